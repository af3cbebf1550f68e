//! The server: its state, the layers every request passes (a deadline, a caught panic, a
//! Plaid-shaped 404), and the accept loop that bounds connections and header reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use backend::DatabaseUrl;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::error::{ApiError, ErrorKind};
use crate::items::{DataIdentity, Items};
use crate::links::Links;
use crate::pool::{Pool, open_read_only};
use crate::request::Credentials;

/// Limits and settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The API keys every request must present.
    pub credentials: Credentials,
    /// Database connections at most.
    pub pool_size: usize,
    /// How long a request waits for a free connection.
    pub pool_wait: Duration,
    /// The largest request body accepted.
    pub body_limit: usize,
    /// How long a request body may take to arrive.
    pub body_wait: Duration,
    /// How long a request may take in all.
    pub request_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Whether webhooks may go to hosts other than this machine's loopback interface.
    pub allow_non_loopback: bool,
}

impl Config {
    /// The defaults, with these API keys.
    pub fn new(credentials: Credentials) -> Config {
        Config {
            credentials,
            pool_size: 8,
            pool_wait: Duration::from_secs(10),
            body_limit: 1 << 20,
            body_wait: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            allow_non_loopback: false,
        }
    }
}

/// Everything a request can reach.
pub struct State {
    /// Read-only connections to the served database.
    pub pool: Arc<Pool>,
    /// One Item per seeded user.
    pub items: Items,
    /// Public tokens and what links set.
    pub links: Mutex<Links>,
    /// Limits and keys.
    pub config: Config,
    /// Moves the data's time forward.
    pub clock: Clock,
    /// Held while the clock moves: one advance at a time.
    pub advancing: tokio::sync::Mutex<()>,
}

/// The state handlers share.
pub type AppState = Arc<State>;

impl State {
    /// Opens `url` for serving: its schema must be current and every user recorded by a seed
    /// run (real people's data is never served), and its Items are derived.
    pub fn open(url: DatabaseUrl, config: Config, clock: Clock) -> anyhow::Result<State> {
        let mut conn = open_read_only(&url)?;
        if let Some(why) = seed::database::unseeded_users(&mut conn)? {
            anyhow::bail!(
                "refusing to serve {url}: {why}, which may be real people's data; the API \
                 serves only seeded data"
            );
        }
        let no_users = || format!("{url} holds no seeded users; run `cargo xtask seed` first");
        let users: i64 = backend::schema::users::table
            .count()
            .get_result(&mut conn)
            .with_context(no_users)?;
        if users == 0 {
            anyhow::bail!(no_users());
        }
        // Only data a seed run recorded gets here, so the migrations' bookkeeping table exists
        // and Diesel's check, which would create it if missing, writes nothing. It needs a
        // connection that may write all the same: PostgreSQL refuses even a CREATE TABLE IF
        // NOT EXISTS in a read-only transaction.
        let pending = url
            .connect()?
            .has_pending_migration(backend::db::MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("read the migrations of {url}: {e}"))?;
        if pending {
            anyhow::bail!(
                "{url} has no current schema (pending migrations); seed it again with `cargo xtask seed --database-url …`"
            );
        }
        let identity = DataIdentity::read(&mut conn)
            .with_context(|| format!("read seed_runs of {url}"))?
            .with_context(no_users)?;
        let items =
            Items::read(&mut conn, &identity).with_context(|| format!("read users of {url}"))?;
        let pool = Pool::new(url, config.pool_size, config.pool_wait);
        Ok(State {
            pool: Arc::new(pool),
            items,
            links: Mutex::new(Links::default()),
            config,
            clock,
            advancing: tokio::sync::Mutex::new(()),
        })
    }
}

/// The database a `--database-url` (or the environment) names, which must exist: serving
/// never creates one.
pub fn served_database(arg: Option<&str>) -> anyhow::Result<DatabaseUrl> {
    let url = DatabaseUrl::from_arg_or_env(arg)?;
    if let DatabaseUrl::Sqlite { path } = &url
        && !path.is_file()
    {
        anyhow::bail!(
            "no database at {}; seed one with `cargo xtask seed` first",
            path.display()
        );
    }
    Ok(url)
}

/// A Plaid request id: 15 characters, unique within the process.
pub fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SALT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let salt = *SALT.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id())
    });
    // SplitMix64 of a counter: distinct ids that do not look sequential.
    let mut x = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(salt);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..15)
        .map(|_| {
            let c = ALPHABET[(x % 62) as usize] as char;
            x /= 62;
            if x == 0 {
                x = 0x9e37_79b9_7f4a_7c15;
            }
            c
        })
        .collect()
}

/// An answer: the success body, or the error in Plaid's shape.
pub fn respond<T: Serialize>(result: Result<T, ApiError>, request_id: &str) -> Response {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(error) => error_response(&error, request_id),
    }
}

/// An error answer, logged on standard error when it is the server's fault.
pub fn error_response(error: &ApiError, request_id: &str) -> Response {
    if error.kind.status().is_server_error() {
        eprintln!(
            "plaid: request {request_id}: {}: {}",
            error.kind.error_code(),
            error.message
        );
    }
    json(error.kind.status(), &error.body(request_id))
}

/// A JSON answer with `status`.
fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("serialise the answer: {e}"),
        )
            .into_response(),
    }
}

/// `router`'s routes behind the layers every request passes: a deadline (but for the
/// clock's advance), a handler panic
/// answered as `INTERNAL_SERVER_ERROR` (the server keeps serving), and unknown paths
/// answered as Plaid's 404.
pub fn harden(router: Router, request_timeout: Duration) -> Router {
    router
        .fallback(|| async {
            error_response(
                &ApiError::new(
                    ErrorKind::NotFound,
                    "no such endpoint; see docs/plaid-api.md",
                ),
                &request_id(),
            )
        })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            guard(request, next, request_timeout)
        }))
}

/// The clock's path: the one request without a deadline. Its advance runs on a blocking
/// thread as long as the seeder's advance takes (a minute and more on a large database) and
/// cannot be stopped half-way; a deadline would answer an error while it goes on to commit.
const CLOCK_PATH: &str = "/seed/advance";

async fn guard(request: Request, next: Next, timeout: Duration) -> Response {
    let deadline = (request.uri().path() != CLOCK_PATH).then_some(timeout);
    let task = tokio::spawn(next.run(request));
    let abort = task.abort_handle();
    let finished = match deadline {
        Some(timeout) => tokio::time::timeout(timeout, task).await,
        None => Ok(task.await),
    };
    let failure = match finished {
        Ok(Ok(response)) => return response,
        Ok(Err(e)) if e.is_panic() => "the request's handler panicked".to_owned(),
        Ok(Err(_)) => "the request was cancelled".to_owned(),
        Err(_) => {
            abort.abort();
            format!("the request did not finish within {} s", timeout.as_secs())
        }
    };
    error_response(&ApiError::internal(failure), &request_id())
}

/// The answer to a method other than POST on a known endpoint.
pub async fn method_not_allowed() -> Response {
    let mut response = error_response(
        &ApiError::new(
            ErrorKind::MethodNotAllowed,
            "Plaid endpoints take POST only",
        ),
        &request_id(),
    );
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// How long a connection may take to send a request's headers.
const HEADER_WAIT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until the task is dropped: HTTP/1.1, at most
/// `max_connections` connections at once, each given [`HEADER_WAIT`] for its headers.
pub async fn serve(listener: TcpListener, app: Router, max_connections: usize) {
    let permits = Arc::new(Semaphore::new(max_connections));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait a moment rather than spin.
                eprintln!("plaid: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_WAIT)
                .serve_connection(TokioIo::new(stream), service);
            // A client that hangs up mid-request is its own business.
            let _ = connection.await;
        });
    }
}
