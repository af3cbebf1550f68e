//! Errors from opening, migrating or resetting a database, each rendered as one line.

/// Errors from opening, migrating or resetting a database. Each renders as one line that
/// names the database, never its password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is not one this crate understands.
    #[error("invalid database url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given, with any password masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The connection could not be made.
    #[error("cannot open {target}: {reason}")]
    Connect {
        /// The database, as [`DatabaseUrl`] displays it.
        target: String,
        /// The driver's message, on one line.
        reason: String,
    },
    /// A query failed.
    #[error("{context} on {target}: {source}")]
    Query {
        /// What was being done.
        context: &'static str,
        /// The database, as [`DatabaseUrl`] displays it.
        target: String,
        /// The driver's error.
        source: diesel::result::Error,
    },
    /// Applying or reverting migrations failed.
    #[error("{context} on {target}: {reason}")]
    Migration {
        /// What was being done.
        context: &'static str,
        /// The database, as [`DatabaseUrl`] displays it.
        target: String,
        /// The migration harness's message, on one line.
        reason: String,
    },
}

/// `message` on one line: every run of whitespace, newlines included, becomes one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a failed statement means to a command that must react to it, read from the
/// database's code for the failure, never from its message: PostgreSQL writes its messages
/// in the server's language (`lc_messages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Another connection holds a lock the statement needed: SQLite's `SQLITE_BUSY` or
    /// `SQLITE_LOCKED`, PostgreSQL's 55P03 `lock_not_available` (a `lock_timeout` ran out).
    Locked,
    /// The disk is full: SQLite's `SQLITE_FULL`, PostgreSQL's 53100 `disk_full`.
    DiskFull,
    /// The statement was cancelled: PostgreSQL's 57014 `query_canceled`.
    Canceled,
}

/// How [`pg_execute`](super::pg_execute) passes a PostgreSQL error's SQLSTATE on: the hint
/// is this followed by the five characters of the code.
pub const SQLSTATE_HINT: &str = "SQLSTATE ";

impl Condition {
    /// The condition `error` reports, if it is one of these.
    ///
    /// PostgreSQL: the SQLSTATE of a statement run through
    /// [`pg_execute`](super::pg_execute), which diesel 2.3 does not expose otherwise.
    /// SQLite: diesel 2.3 passes SQLite's result code on only as `sqlite3_errmsg`, which for
    /// these codes is `sqlite3_errstr(code)`, SQLite's own fixed name for the code (the same
    /// in every build and locale, as SQLite translates nothing); the name is compared
    /// whole.
    pub fn of(error: &diesel::result::Error) -> Option<Condition> {
        let diesel::result::Error::DatabaseError(_, info) = error else {
            return None;
        };
        if let Some(code) = info.hint().and_then(|h| h.strip_prefix(SQLSTATE_HINT)) {
            return match code {
                "55P03" => Some(Condition::Locked),
                "53100" => Some(Condition::DiskFull),
                "57014" => Some(Condition::Canceled),
                _ => None,
            };
        }
        match info.message() {
            // sqlite3_errstr(SQLITE_BUSY) and sqlite3_errstr(SQLITE_LOCKED).
            "database is locked" | "database table is locked" => Some(Condition::Locked),
            // sqlite3_errstr(SQLITE_FULL).
            "database or disk is full" => Some(Condition::DiskFull),
            _ => None,
        }
    }
}
