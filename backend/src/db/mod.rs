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

pub use error::{DbError, one_line};
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
            Self::Sqlite { path } => {
                let conn = open_sqlite(path).map_err(|reason| self.connect_error(reason))?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Self::Postgres { url, .. } => {
                let conn =
                    PgConnection::establish(url).map_err(|e| self.connect_error(e.to_string()))?;
                Ok(AnyConnection::Postgresql(conn))
            }
        }
    }

    /// Creates the PostgreSQL database if the server does not have it yet, by connecting to
    /// the server's `postgres` database. Does nothing for SQLite. Another process creating
    /// the same database at the same moment (shards starting together) is not an error.
    pub fn create_if_missing(&self) -> Result<(), DbError> {
        let Self::Postgres { url, database, .. } = self else {
            return Ok(());
        };
        if PgConnection::establish(url).is_ok() {
            return Ok(());
        }
        let admin_url = replace_database(url, "postgres");
        let mut admin =
            PgConnection::establish(&admin_url).map_err(|e| self.connect_error(e.to_string()))?;
        let exists: bool = diesel::select(diesel::dsl::exists(
            pg_database::table.filter(pg_database::datname.eq(database)),
        ))
        .get_result(&mut admin)
        .map_err(|source| self.query_error("look up the database", source))?;
        if !exists {
            let quoted = format!("\"{}\"", database.replace('"', "\"\""));
            match admin.batch_execute(&format!("CREATE DATABASE {quoted}")) {
                // 42P04 duplicate_database, or the unique index on pg_database's names when
                // both CREATEs passed the check at once.
                Err(diesel::result::Error::DatabaseError(kind, info))
                    if kind == diesel::result::DatabaseErrorKind::UniqueViolation
                        || info.message().contains("already exists") => {}
                Err(source) => return Err(self.query_error("create the database", source)),
                Ok(()) => {}
            }
        }
        Ok(())
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

/// Reverts every applied migration, then applies them all again: an empty, current schema.
pub fn reset(conn: &mut AnyConnection, target: &DatabaseUrl) -> Result<(), DbError> {
    conn.revert_all_migrations(MIGRATIONS)
        .map(drop)
        .map_err(|e| DbError::Migration {
            context: "revert migrations",
            target: target.to_string(),
            reason: one_line(&e.to_string()),
        })?;
    run_migrations(conn, target)
}

fn open_sqlite(path: &Path) -> Result<SqliteConnection, String> {
    let path_str = path.to_str().ok_or("the path is not valid UTF-8")?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(format!("directory {} does not exist", parent.display()));
    }
    let mut conn = SqliteConnection::establish(path_str).map_err(|e| e.to_string())?;
    // A query that reads the file proves it really is a SQLite database, and foreign keys are
    // off by default in SQLite.
    conn.batch_execute(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; SELECT count(*) FROM sqlite_master;",
    )
    .map_err(|e| e.to_string())?;
    Ok(conn)
}
