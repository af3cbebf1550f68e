//! What a destructive command must prove before it deletes anything: that the database is
//! on this machine, that the users it would delete were seeded, and that it waits only a
//! bounded time for another connection's lock.

use std::time::Duration;

use backend::DatabaseUrl;

use crate::tables::TABLES;

/// How long a load waits for another connection to release the tables before it gives up.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A command that deletes rows, which must not reach a remote server by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destructive {
    /// A replacing load: the seeded tables are emptied first.
    Replace,
    /// `reset-db`: every migration is reverted and re-applied.
    Reset,
}

impl Destructive {
    /// What it does to the seeded tables, in words.
    pub(crate) fn what(self) -> String {
        let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let tables = tables.join(", ");
        match self {
            Destructive::Replace => format!("replace {tables}"),
            Destructive::Reset => format!("drop and re-create {tables}"),
        }
    }
}

/// Refuses a destructive command on a database that is not on this machine (see
/// [`DatabaseUrl::is_local`]) unless `allow_remote` is set, saying what it would drop and
/// which host decided. It runs before any connection is made. Appending loads (shards)
/// delete nothing and need no permission.
pub fn refuse_remote(
    target: &DatabaseUrl,
    action: Destructive,
    allow_remote: bool,
) -> anyhow::Result<()> {
    match target.explain_not_local() {
        Some(remote) if !allow_remote => anyhow::bail!(
            "refusing to {} in {remote}: the host is not local; pass --allow-remote",
            action.what()
        ),
        _ => Ok(()),
    }
}

/// Refuses to delete users that no seed run recorded: `users` holds `users` rows while
/// `seed_runs` holds none, so they may be an application's own data, unless
/// `allow_unseeded` is set. The check runs inside the transaction, under the lock.
pub(crate) fn refuse_unseeded(
    action: Destructive,
    users: i64,
    runs: i64,
    allow_unseeded: bool,
) -> anyhow::Result<()> {
    if users == 0 || runs > 0 || allow_unseeded {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to {}: users holds {users} rows that no seed run recorded (seed_runs is \
         empty), which may be an application's own data; pass --allow-unseeded to delete them",
        action.what()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_destructive_commands_on_remote_hosts() {
        let remote = DatabaseUrl::parse("postgres://u:secret@db.example.com/app").unwrap();
        let error = refuse_remote(&remote, Destructive::Replace, false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "refusing to replace users, accounts, transactions, persona_labels, recurring_streams, \
             recurring_stream_transactions, transaction_changes in PostgreSQL database \"app\" on db.example.com:5432 \
             (host from the URL): the host is not local; pass --allow-remote"
        );
        let error = refuse_remote(&remote, Destructive::Reset, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "refusing to drop and re-create users, accounts, transactions, persona_labels, \
                 recurring_streams, recurring_stream_transactions, transaction_changes in"
            ),
            "{error}"
        );
        assert!(!error.contains("secret"));
        assert!(refuse_remote(&remote, Destructive::Replace, true).is_ok());
        assert!(refuse_remote(&remote, Destructive::Reset, true).is_ok());
        for local in [
            "postgres://127.0.0.1/app",
            "postgres://localhost/app",
            "data/x.db",
        ] {
            let local = DatabaseUrl::parse(local).unwrap();
            assert!(refuse_remote(&local, Destructive::Replace, false).is_ok());
            assert!(refuse_remote(&local, Destructive::Reset, false).is_ok());
        }
    }

    #[test]
    fn refuses_users_that_no_seed_run_recorded() {
        let error = refuse_unseeded(Destructive::Replace, 1_234, 0, false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("users holds 1234 rows"), "{error}");
        assert!(error.contains("pass --allow-unseeded"), "{error}");
        assert!(refuse_unseeded(Destructive::Replace, 1_234, 0, true).is_ok());
        assert!(refuse_unseeded(Destructive::Replace, 1_234, 1, false).is_ok());
        assert!(refuse_unseeded(Destructive::Reset, 0, 0, false).is_ok());
    }
}
