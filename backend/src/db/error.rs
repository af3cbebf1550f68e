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
