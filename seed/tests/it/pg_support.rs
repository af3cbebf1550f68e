//! Helpers for the database tests: throwaway PostgreSQL databases and SQLite files, running
//! the `seed` binary, and reading every row back through the backend's models.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use backend::schema::{
    accounts, recurring_stream_transactions, recurring_streams, transactions, users,
};
use backend::{
    Account, DatabaseUrl, RecurringStream, RecurringStreamTransaction, Transaction, User,
};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;

/// Where the PostgreSQL tests find a server they may create databases on.
pub(crate) const POSTGRES_URL_ENV: &str = "SEED_TEST_POSTGRES_URL";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A name no other test (or concurrent test run) uses.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "seed_it_{tag}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server URL without a database, and its query string (such as `sslmode=require`).
fn server() -> (String, String) {
    let url = std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned());
    let (base, query) = url.split_once('?').unwrap_or((&url, ""));
    let (scheme, rest) = base.split_once("://").expect("a postgres:// URL");
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    (format!("{scheme}://{authority}"), query.to_owned())
}

/// A PostgreSQL database created for one test and dropped when the guard goes away, even
/// when the test fails.
pub(crate) struct TestDb {
    name: String,
    base: String,
    query: String,
}

impl TestDb {
    /// Creates an empty database named after `tag`.
    pub(crate) fn create(tag: &str) -> TestDb {
        let (base, query) = server();
        let db = TestDb {
            name: unique(tag),
            base,
            query,
        };
        db.admin()
            .batch_execute(&format!("CREATE DATABASE {}", db.name))
            .expect("create the test database");
        db
    }

    /// The database's URL, with the server URL's query string.
    pub(crate) fn url(&self) -> String {
        self.url_with("")
    }

    /// The database's URL with `extra` (such as `sslmode=require`) added to the query string.
    pub(crate) fn url_with(&self, extra: &str) -> String {
        let query: Vec<&str> = [self.query.as_str(), extra]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect();
        match query.is_empty() {
            true => format!("{}/{}", self.base, self.name),
            false => format!("{}/{}?{}", self.base, self.name, query.join("&")),
        }
    }

    /// The database's URL, connecting as `user` instead of the server URL's user.
    pub(crate) fn url_as(&self, user: &str) -> String {
        let url = self.url();
        let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
        let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
        format!("{scheme}://{user}@{rest}")
    }

    /// The database's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The URL of the server's `postgres` database.
    pub(crate) fn admin_url(&self) -> String {
        match self.query.is_empty() {
            true => format!("{}/postgres", self.base),
            false => format!("{}/postgres?{}", self.base, self.query),
        }
    }

    fn admin(&self) -> PgConnection {
        PgConnection::establish(&self.admin_url())
            .expect("connect to the test server's postgres database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // FORCE ends any connection a failed test left open.
        let _ = self.admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A directory under the system's temporary directory, removed with everything in it.
pub(crate) struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Creates an empty directory whose name starts with `tag`.
    pub(crate) fn create(tag: &str) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("seed_it_{tag}_"))
            .tempdir();
        TempDir(dir.expect("create a temporary directory"))
    }

    /// A path inside the directory.
    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// Runs the `seed` binary with `args` and extra environment variables; `DATABASE_URL` and
/// `SEED_PG_LOAD` are cleared first so the caller's shell cannot change a test.
pub(crate) fn seed(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seed"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SEED_PG_LOAD");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run the seed binary")
}

/// Runs `seed` and fails the test with its stderr unless it succeeded.
pub(crate) fn seed_ok(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let output = seed(args, envs);
    assert!(
        output.status.success(),
        "seed {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every row of the app's three tables and of the recurring streams with their links, each
/// table ordered by its key.
#[derive(Debug, PartialEq)]
pub(crate) struct Rows {
    pub(crate) users: Vec<User>,
    pub(crate) accounts: Vec<Account>,
    pub(crate) transactions: Vec<Transaction>,
    pub(crate) recurring_streams: Vec<RecurringStream>,
    pub(crate) recurring_stream_transactions: Vec<RecurringStreamTransaction>,
}

/// Reads every row through the backend's models, from SQLite or PostgreSQL alike.
pub(crate) fn read_rows(url: &str) -> Rows {
    let target = DatabaseUrl::parse(url).expect("a valid database url");
    let conn = &mut target.connect().expect("connect to read the rows back");
    Rows {
        users: users::table
            .order(users::id)
            .select(User::as_select())
            .load(conn)
            .expect("read users"),
        accounts: accounts::table
            .order(accounts::id)
            .select(Account::as_select())
            .load(conn)
            .expect("read accounts"),
        transactions: transactions::table
            .order(transactions::id)
            .select(Transaction::as_select())
            .load(conn)
            .expect("read transactions"),
        recurring_streams: recurring_streams::table
            .order(recurring_streams::id)
            .select(RecurringStream::as_select())
            .load(conn)
            .expect("read recurring streams"),
        recurring_stream_transactions: recurring_stream_transactions::table
            .order((
                recurring_stream_transactions::stream_id,
                recurring_stream_transactions::transaction_id,
            ))
            .select(RecurringStreamTransaction::as_select())
            .load(conn)
            .expect("read recurring stream transactions"),
    }
}

/// A SQLite URL for `path`.
pub(crate) fn sqlite_url(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temporary path").to_owned()
}
