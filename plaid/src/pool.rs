//! A bounded pool of read-only database connections, and running blocking database work off
//! the async runtime.
//!
//! At most `size` connections exist and at most `size` blocking tasks use them; a request
//! that finds none free within the wait gives up with `INTERNAL_SERVER_ERROR` rather than
//! queueing without bound. Connections are read-only (SQLite's `query_only`, PostgreSQL's
//! read-only default): the API never writes the seeded tables.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backend::{AnyConnection, DatabaseUrl};
use diesel::connection::{Connection, SimpleConnection};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// The pool.
pub struct Pool {
    url: DatabaseUrl,
    idle: Mutex<Vec<AnyConnection>>,
    permits: Arc<Semaphore>,
    size: usize,
    wait: Duration,
}

impl Pool {
    /// A pool of at most `size` connections to `url`; a request waits at most `wait` for one.
    pub fn new(url: DatabaseUrl, size: usize, wait: Duration) -> Pool {
        Pool {
            url,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size)),
            size,
            wait,
        }
    }

    /// The database it serves.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs `work` with a connection on a blocking thread, inside one read-only transaction
    /// (a snapshot on both backends, so every query of `work` sees the same data).
    pub async fn read<T, F>(self: &Arc<Self>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                ApiError::internal(format!(
                    "no database connection became free within {} s ({} in use)",
                    self.wait.as_secs(),
                    self.size
                ))
            })?
            .map_err(|_| ApiError::internal("the connection pool is closed"))?;
        let pool = Arc::clone(self);
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take()?;
            let result = snapshot(&mut conn, work);
            // A connection whose query failed may be broken; a fresh one costs little.
            if result.is_ok() {
                pool.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(conn);
            }
            result
        })
        .await;
        match joined {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(ApiError::internal("the request's handler panicked")),
            Err(_) => Err(ApiError::internal(
                "the request's database work was cancelled",
            )),
        }
    }

    fn take(&self) -> Result<AnyConnection, ApiError> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        open_read_only(&self.url).map_err(|e| ApiError::internal(format!("{e:#}")))
    }
}

/// Opens a connection that refuses to write.
pub fn open_read_only(url: &DatabaseUrl) -> anyhow::Result<AnyConnection> {
    let mut conn = url.connect()?;
    let setup = match conn {
        AnyConnection::Sqlite(_) => "PRAGMA query_only = ON",
        AnyConnection::Postgresql(_) => "SET default_transaction_read_only = on",
    };
    conn.batch_execute(setup)?;
    Ok(conn)
}

/// Runs `work` in one transaction that sees one snapshot: SQLite's read transaction does,
/// and PostgreSQL's needs REPEATABLE READ (READ COMMITTED takes a snapshot per statement).
fn snapshot<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    conn.transaction(|conn| {
        if let AnyConnection::Postgresql(_) = conn {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        work(conn)
    })
}
