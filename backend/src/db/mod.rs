//! Opening a database by URL, applying the embedded migrations and resetting the schema.

mod error;
mod libpq;
mod url;

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use url::replace_database;

pub use error::{Condition, DbError, SQLSTATE_HINT, one_line};
pub use libpq::{Address, Endpoint, Source};
pub use url::{DEFAULT_SQLITE_PATH, DatabaseUrl, mask_password};

/// The migrations under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

pub use any::AnyConnection;

mod any {
    // The derive generates public items of its own that carry no docs.
    #![allow(missing_docs)]

    use diesel::pg::PgConnection;
    use diesel::sqlite::SqliteConnection;

    /// A connection to either supported database, chosen at run time by URL.
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// An embedded SQLite database file.
        Sqlite(SqliteConnection),
        /// A PostgreSQL server (or a compatible cluster).
        Postgresql(PgConnection),
    }
}

impl DatabaseUrl {
    /// Opens a connection, enables SQLite's foreign keys, and applies pending migrations.
    pub fn open(&self) -> Result<AnyConnection, DbError> {
        let mut conn = self.connect()?;
        run_migrations(&mut conn, self)?;
        Ok(conn)
    }

    /// Opens a connection without touching the schema.
    pub fn connect(&self) -> Result<AnyConnection, DbError> {
        match self {
            Self::Sqlite { .. } => Ok(AnyConnection::Sqlite(self.connect_sqlite(5_000)?)),
            Self::Postgres { url, .. } => {
                let conn =
                    PgConnection::establish(url).map_err(|e| self.connect_error(e.to_string()))?;
                Ok(AnyConnection::Postgresql(conn))
            }
        }
    }

    /// Creates the PostgreSQL database if the server does not have it yet, by connecting to
    /// the server's `postgres` database; true if this call created it. Does nothing for
    /// SQLite. Another process creating the same database at the same moment (shards starting
    /// together) is not an error: only one of them created it.
    pub fn create_if_missing(&self) -> Result<bool, DbError> {
        if !matches!(self, Self::Postgres { .. }) || self.connect().is_ok() {
            return Ok(false);
        }
        let mut admin = self.connect_admin()?;
        self.create_with(&mut admin)
    }

    /// Creates the PostgreSQL database through `admin`, a connection to the server's
    /// `postgres` database, unless it exists; true if this call created it.
    pub fn create_with(&self, admin: &mut PgConnection) -> Result<bool, DbError> {
        let Self::Postgres { database, .. } = self else {
            return Ok(false);
        };
        if self.pg_database_exists(admin)? {
            return Ok(false);
        }
        match admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(database))) {
            Ok(()) => Ok(true),
            // Another process created it since the check (42P04 duplicate_database, or the
            // unique index on pg_database's names when both CREATEs passed the check at
            // once): recognised by the database now being there, not by the message.
            Err(source) => match self.pg_database_exists(admin) {
                Ok(true) => Ok(false),
                _ => Err(self.query_error("create the database", source)),
            },
        }
    }

    fn pg_database_exists(&self, admin: &mut PgConnection) -> Result<bool, DbError> {
        let Self::Postgres { database, .. } = self else {
            return Ok(false);
        };
        diesel::select(diesel::dsl::exists(
            pg_database::table.filter(pg_database::datname.eq(database)),
        ))
        .get_result(admin)
        .map_err(|source| self.query_error("look up the database", source))
    }

    /// A connection to the server's `postgres` database, with this URL's every other
    /// setting: where databases are created and dropped.
    pub fn connect_admin(&self) -> Result<PgConnection, DbError> {
        let Self::Postgres { url, .. } = self else {
            return Err(self.connect_error("not a PostgreSQL database".to_owned()));
        };
        PgConnection::establish(&replace_database(url, "postgres"))
            .map_err(|e| self.connect_error(e.to_string()))
    }

    /// Drops the PostgreSQL database, unless another connection uses it (then it is
    /// someone else's now, and stays); true if it was dropped. For a database a failed run
    /// created: the run's own connections must be closed first.
    pub fn drop_database(&self) -> Result<bool, DbError> {
        let Self::Postgres { database, .. } = self else {
            return Ok(false);
        };
        let mut admin = self.connect_admin()?;
        // Without FORCE: DROP DATABASE fails while any other connection uses the database.
        match admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}",
            quote_ident(database)
        )) {
            Ok(()) => Ok(true),
            Err(_) if self.pg_database_exists(&mut admin)? => Ok(false),
            Err(source) => Err(self.query_error("drop the database", source)),
        }
    }

    /// The name of the PostgreSQL database, for advisory-lock keys; `None` for SQLite.
    pub fn pg_database(&self) -> Option<&str> {
        match self {
            Self::Postgres { database, .. } => Some(database),
            Self::Sqlite { .. } => None,
        }
    }

    /// How to cancel, from another thread, the statement `conn` (a connection to this
    /// database) is running: its server process, read now, and this URL to reach the server
    /// again.
    pub fn pg_canceller(&self, conn: &mut PgConnection) -> Result<PgCanceller, DbError> {
        #[derive(QueryableByName)]
        struct Pid {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
        }
        let url = match self {
            Self::Postgres { url, .. } => url.clone(),
            Self::Sqlite { .. } => {
                return Err(self.connect_error("not a PostgreSQL database".to_owned()));
            }
        };
        let pid: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result(conn)
            .map_err(|source| self.query_error("ask the server for its process", source))?;
        Ok(PgCanceller {
            urls: [replace_database(&url, "postgres"), url],
            pid: pid.pid,
        })
    }

    pub(crate) fn connect_error(&self, reason: String) -> DbError {
        DbError::Connect {
            target: self.to_string(),
            reason: one_line(&reason),
        }
    }

    /// Wraps a query error with this database's name.
    pub fn query_error(&self, context: &'static str, source: diesel::result::Error) -> DbError {
        DbError::Query {
            context,
            target: self.to_string(),
            source,
        }
    }
}

/// Cancels the statement a PostgreSQL connection is running, from any thread: it connects
/// again (with the same URL) and asks the server to cancel that connection's process, as
/// `SELECT pg_cancel_backend(pid)` does. The cancelled statement fails with SQLSTATE 57014
/// (query_canceled) and its transaction is aborted; an idle connection is not affected.
#[derive(Debug, Clone)]
pub struct PgCanceller {
    /// The URL of the server's `postgres` database, then the connection's own: the cancel
    /// connects to the first it can, preferring one that keeps no connection open in the
    /// database a failed run may be about to drop.
    urls: [String; 2],
    pid: i32,
}

impl PgCanceller {
    /// Sends the cancel; false if the server could not be reached or refused it.
    pub fn cancel(&self) -> bool {
        #[derive(QueryableByName)]
        struct Sent {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            sent: bool,
        }
        let Some(mut conn) = self
            .urls
            .iter()
            .find_map(|url| PgConnection::establish(url).ok())
        else {
            return false;
        };
        diesel::sql_query("SELECT pg_cancel_backend($1) AS sent")
            .bind::<diesel::sql_types::Integer, _>(self.pid)
            .get_result::<Sent>(&mut conn)
            .is_ok_and(|s| s.sent)
    }
}

/// Runs `sql` on PostgreSQL so that, should it fail, its SQLSTATE comes back with the error:
/// diesel 2.3 does not pass the server's code on, only its message, which is in the server's
/// language (`lc_messages`). The statement runs in a PL/pgSQL block that re-raises any error
/// with the same code, message and detail, and the code in the hint as `SQLSTATE XXXXX`,
/// where [`Condition::of`] reads it. `sql` must be a statement PL/pgSQL can `EXECUTE` (not
/// `COPY ... FROM STDIN`); it runs in a subtransaction of the open transaction, if any.
pub fn pg_execute(conn: &mut PgConnection, sql: &str) -> QueryResult<()> {
    let unused = |tag: &str| {
        let mut tag = tag.to_owned();
        while sql.contains(&format!("${tag}$")) {
            tag.push('_');
        }
        tag
    };
    let (tag, block) = (unused("seed_statement"), unused("seed_block"));
    conn.batch_execute(&format!(
        "DO ${block}$ DECLARE detail text; BEGIN EXECUTE ${tag}${sql}${tag}$; \
         EXCEPTION WHEN OTHERS OR query_canceled THEN \
           GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL; \
           IF detail <> '' THEN \
             RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM, DETAIL = detail, \
               HINT = '{SQLSTATE_HINT}' || SQLSTATE; \
           ELSE \
             RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM, \
               HINT = '{SQLSTATE_HINT}' || SQLSTATE; \
           END IF; \
         END ${block}$"
    ))
}

/// `name` as a quoted PostgreSQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

mod pg_catalog {
    #![allow(missing_docs)]

    diesel::table! {
        /// PostgreSQL's list of databases.
        pg_database (datname) {
            datname -> Text,
        }
    }
}

use pg_catalog::pg_database;

/// Applies every pending migration.
pub fn run_migrations(conn: &mut AnyConnection, target: &DatabaseUrl) -> Result<(), DbError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(drop)
        .map_err(|e| DbError::Migration {
            context: "apply migrations",
            target: target.to_string(),
            reason: one_line(&e.to_string()),
        })
}

impl DatabaseUrl {
    /// Opens the SQLite database with foreign keys on, waiting at most `busy_ms` for
    /// another connection's lock on each statement. A first query reads the file, which
    /// proves it is a SQLite database: should another connection's lock keep it out, the
    /// error is [`DbError::Query`], whose [`Condition`] is [`Condition::Locked`].
    pub fn connect_sqlite(&self, busy_ms: u32) -> Result<SqliteConnection, DbError> {
        let Self::Sqlite { path } = self else {
            return Err(self.connect_error("not a SQLite database".to_owned()));
        };
        let conn = open_sqlite(path).map_err(|reason| self.connect_error(reason))?;
        let mut conn = conn;
        // Foreign keys are off by default in SQLite.
        conn.batch_execute(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy_ms};"
        ))
        .map_err(|e| self.connect_error(e.to_string()))?;
        match conn.batch_execute("SELECT count(*) FROM sqlite_master") {
            Ok(()) => Ok(conn),
            Err(source) if Condition::of(&source) == Some(Condition::Locked) => {
                Err(self.query_error("read the database", source))
            }
            Err(e) => Err(self.connect_error(e.to_string())),
        }
    }
}

fn open_sqlite(path: &Path) -> Result<SqliteConnection, String> {
    let path_str = path.to_str().ok_or("the path is not valid UTF-8")?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(format!("directory {} does not exist", parent.display()));
    }
    SqliteConnection::establish(path_str).map_err(|e| e.to_string())
}
