//! Foreign keys during a SQLite advance, checked by the advance itself.
//!
//! An advance's connection runs with SQLite's own foreign-key enforcement off: with an
//! immediate key on a table, every statement that writes several of its rows may have to be
//! undone alone, so SQLite copies each page the statement touches to a statement journal
//! first, and at 100,000 users that copying was about a third of a one-day advance
//! (BENCHMARKS.md). What the keys guarded is checked here instead, chunk by chunk, inside the
//! same transaction, so a failure still leaves the database as it was:
//!
//! - every transaction the chunk writes, and every stream it adds, belongs to an account the
//!   database holds (which also covers the account of every change it logs);
//! - no row of any table (the application's included) references a transaction, stream or
//!   stream link the chunk removed.
//!
//! A stream link the advance adds needs its stream and its transaction by the statement that
//! adds it (write.rs). PostgreSQL enforces its keys itself and needs none of this.

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;

use crate::load::{ForeignKey, quote};

/// The seeded tables an advance deletes from, each with the temporary table that stages its
/// rows: the staged table names its columns as the seeded one does.
const REMOVED_FROM: [(&str, &str); 3] = [
    ("transactions", "advance_transactions"),
    ("recurring_streams", "advance_streams"),
    ("recurring_stream_transactions", "advance_links"),
];

/// The keys an advance checks, read once from the database's catalog.
pub(super) struct Keys {
    /// Every foreign key, from any table, to a table the advance deletes from, with the
    /// staged table of that parent.
    into_removed: Vec<(ForeignKey, &'static str)>,
}

#[derive(QueryableByName)]
struct Missing {
    #[diesel(sql_type = Text)]
    account: String,
}

impl Keys {
    /// Reads the foreign keys into the tables an advance deletes from.
    pub(super) fn read(conn: &mut SqliteConnection) -> anyhow::Result<Keys> {
        let into_removed = crate::load::sqlite_foreign_keys(conn)?
            .into_iter()
            .filter_map(|key| {
                let (_, staged) = REMOVED_FROM.iter().find(|(t, _)| *t == key.parent)?;
                Some((key, *staged))
            })
            .collect();
        Ok(Keys { into_removed })
    }

    /// Checks the rows a chunk staged for writing before any of them is written: their
    /// accounts must still be there.
    pub(super) fn check_accounts(&self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        let missing: Option<Missing> = diesel::sql_query(
            "SELECT n.account_id AS account FROM advance_transactions n \
             WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.account_id) \
             UNION ALL SELECT n.account_id FROM advance_streams n WHERE n.op = 'insert' \
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.account_id) LIMIT 1",
        )
        .get_result(conn)
        .optional()
        .context("check the accounts of the advance's rows")?;
        match missing {
            Some(Missing { account }) => anyhow::bail!(
                "the advance would write rows of account {account}, which the database no \
                 longer holds (deleted by the application?); nothing was changed"
            ),
            None => Ok(()),
        }
    }

    /// Checks, after a chunk's statements ran, that nothing references a row they removed.
    pub(super) fn check_removals(&self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        for (key, staged) in &self.into_removed {
            if let Some(orphans) = key.orphans(conn, Some(&removed_condition(key, staged)))? {
                return Err(key.removal_error(&orphans));
            }
        }
        Ok(())
    }
}

/// The SQL condition on a child row `c` that its key names a row `staged` holds for removal.
fn removed_condition(key: &ForeignKey, staged: &str) -> String {
    let list = |prefix: &str, columns: &[String]| {
        columns
            .iter()
            .map(|c| format!("{prefix}.{}", quote(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "({}) IN (SELECT {} FROM {staged} s WHERE s.op = 'delete')",
        list("c", &key.child_columns),
        list("s", &key.parent_columns),
    )
}
