//! Loading rows into a database inside one transaction, on a thread of its own.
//!
//! The loader owns the connection. It starts the transaction before the first row arrives,
//! takes [`RowBatch`]es from a bounded channel, and commits only when told to: if the sender
//! goes away first (an error or an interrupted run upstream), it rolls back and the database
//! is exactly as before.

pub mod ceiling;
mod postgres;
mod sqlite;

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use backend::{AnyConnection, DatabaseUrl};

use crate::progress::Progress;
use crate::tables::{RowBatch, RowCounts};

/// Whether a load replaces the tables' rows or adds to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Delete every row of the seeded tables first: running twice leaves one copy.
    Replace,
    /// Keep existing rows, as shards seeding one database do.
    Append,
}

/// The tables a load fills, parents first.
pub const SEEDED_TABLES: [&str; 4] = ["users", "accounts", "transactions", "persona_labels"];

/// A command that deletes rows, which must not reach a remote server by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destructive {
    /// A replacing load: the seeded tables are emptied first.
    Replace,
    /// `reset-db`: every migration is reverted and re-applied.
    Reset,
}

/// Refuses a destructive command on a database that is not on this machine (see
/// [`DatabaseUrl::is_local`]) unless `allow_remote` is set, saying what it would drop. It
/// runs before any connection is made. Appending loads (shards) delete nothing and need no
/// permission.
pub fn refuse_remote(
    target: &DatabaseUrl,
    action: Destructive,
    allow_remote: bool,
) -> anyhow::Result<()> {
    if allow_remote || target.is_local() {
        return Ok(());
    }
    let tables = SEEDED_TABLES.join(", ");
    let what = match action {
        Destructive::Replace => format!("replace {tables} in {target}"),
        Destructive::Reset => format!("drop and re-create {tables} in {target}"),
    };
    anyhow::bail!("refusing to {what}: the host is not local; pass --allow-remote")
}

/// What a finished load did and how long each step took.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadReport {
    /// Rows inserted per table.
    pub counts: RowCounts,
    /// Time spent inserting rows (including waiting for them).
    pub insert: Duration,
    /// Time spent building indexes and keys after the rows were in.
    pub index: Duration,
    /// Time spent checking foreign keys.
    pub check: Duration,
}

/// A message to the loader thread.
enum LoadMsg {
    Rows(RowBatch),
    Commit,
}

/// A load in progress on its own thread.
pub struct Loader {
    sender: Option<SyncSender<LoadMsg>>,
    thread: Option<JoinHandle<anyhow::Result<LoadReport>>>,
}

impl Loader {
    /// Starts loading into `conn` (already open and migrated). `queue` bounds how many batches
    /// may wait, which bounds memory.
    pub fn start(
        conn: AnyConnection,
        target: DatabaseUrl,
        mode: LoadMode,
        progress: Progress,
        queue: usize,
    ) -> Loader {
        let (sender, receiver) = mpsc::sync_channel(queue);
        let thread = std::thread::Builder::new()
            .name("loader".into())
            .spawn(move || {
                let batches = Batches { receiver };
                match conn {
                    AnyConnection::Sqlite(mut conn) => {
                        sqlite::load(&mut conn, batches, mode, &progress)
                    }
                    AnyConnection::Postgresql(mut conn) => {
                        postgres::load(&mut conn, batches, mode, &progress)
                    }
                }
                .with_context(|| format!("load into {target}"))
            })
            .expect("spawn the loader thread");
        Loader {
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// Hands rows to the loader. Fails with the loader's own error if it has stopped.
    pub fn send(&mut self, batch: RowBatch) -> anyhow::Result<()> {
        let sender = self.sender.as_ref().expect("loader is running");
        if sender.send(LoadMsg::Rows(batch)).is_err() {
            return Err(self.join_error());
        }
        Ok(())
    }

    /// Tells the loader that every row has been sent, and waits for it to commit.
    pub fn commit(mut self) -> anyhow::Result<LoadReport> {
        let sender = self.sender.take().expect("loader is running");
        if sender.send(LoadMsg::Commit).is_err() {
            return Err(self.join_error());
        }
        drop(sender);
        self.join()
    }

    fn join_error(&mut self) -> anyhow::Error {
        self.sender = None;
        match self.join() {
            Err(e) => e,
            Ok(_) => anyhow::anyhow!("the loader stopped early"),
        }
    }

    fn join(&mut self) -> anyhow::Result<LoadReport> {
        let thread = self.thread.take().expect("loader joined once");
        match thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Loader {
    /// Dropping a loader that was not committed rolls its transaction back and waits for that.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The receiving end, as the backends see it: batches until a commit, or an abort.
struct Batches {
    receiver: Receiver<LoadMsg>,
}

/// Raised when the rows stop without a commit: the transaction must roll back.
#[derive(Debug, thiserror::Error)]
#[error("the load was abandoned before it finished; nothing was changed")]
pub struct Abandoned;

impl Batches {
    /// The next batch; `Ok(None)` once the commit arrives, `Err(Abandoned)` if the sender left.
    fn next(&self) -> Result<Option<RowBatch>, Abandoned> {
        match self.receiver.recv() {
            Ok(LoadMsg::Rows(batch)) => Ok(Some(batch)),
            Ok(LoadMsg::Commit) => Ok(None),
            Err(_) => Err(Abandoned),
        }
    }
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
            "refusing to replace users, accounts, transactions, persona_labels in PostgreSQL database \"app\" \
             on db.example.com:5432: the host is not local; pass --allow-remote"
        );
        let error = refuse_remote(&remote, Destructive::Reset, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "refusing to drop and re-create users, accounts, transactions, persona_labels in"
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
}
