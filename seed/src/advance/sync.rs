//! The change log read as Plaid's `/transactions/sync` pages: what `seed changes` prints and
//! `seed advance --sync-out` writes, so that an application's sync handler can be tested from
//! files.
//!
//! A page holds the changes after a cursor (a sequence number of `transaction_changes`), at
//! most `count` of them, netted per transaction as Plaid nets them: a transaction added in the
//! page is `added` with its row as the database holds it now, one changed is `modified`, one
//! gone is `removed` as `{transaction_id, account_id}`; one added in the page and gone since is
//! left out. `next_cursor` is the last sequence number read, `has_more` whether more follow.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use anyhow::Context;
use backend::schema::{transaction_changes, transactions};
use backend::{AnyConnection, Change, Transaction, TransactionChange};
use diesel::prelude::*;
use serde::Serialize;

/// The most changes a page holds, as Plaid's `count` allows.
pub const MAX_COUNT: usize = 500;

/// One page of changes, in `/transactions/sync`'s shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncPage {
    /// Transactions that appeared, as they are now.
    pub added: Vec<Transaction>,
    /// Transactions that changed, as they are now.
    pub modified: Vec<Transaction>,
    /// Transactions that went.
    pub removed: Vec<Removed>,
    /// The cursor of the next page: the last sequence number this one read.
    pub next_cursor: String,
    /// Whether changes follow this page.
    pub has_more: bool,
}

/// A transaction that went, as `/transactions/sync`'s `removed` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// Its id.
    pub transaction_id: String,
    /// Its account.
    pub account_id: String,
}

/// The cursor `text` names: a sequence number, `0` (or empty) for the start of the log.
pub fn parse_cursor(text: &str) -> anyhow::Result<i64> {
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<i64>()
        .ok()
        .filter(|&seq| seq >= 0)
        .with_context(|| format!("{text:?} is not a cursor (a sequence number of the change log)"))
}

/// The page of at most `count` changes after sequence number `since`.
pub fn page(conn: &mut AnyConnection, since: i64, count: usize) -> anyhow::Result<SyncPage> {
    let mut log: Vec<TransactionChange> = transaction_changes::table
        .filter(transaction_changes::seq.gt(since))
        .order(transaction_changes::seq)
        .limit(count as i64 + 1)
        .select(TransactionChange::as_select())
        .load(conn)
        .context("read the change log")?;
    let has_more = log.len() > count;
    log.truncate(count);
    let next_cursor = log.last().map_or(since, |c| c.seq).to_string();
    let ids: Vec<&str> = log.iter().map(|c| c.transaction_id.as_str()).collect();
    let mut rows: HashMap<String, Transaction> = HashMap::new();
    for chunk in ids.chunks(MAX_COUNT) {
        let found: Vec<Transaction> = transactions::table
            .filter(transactions::id.eq_any(chunk))
            .select(Transaction::as_select())
            .load(conn)
            .context("read the changed transactions")?;
        rows.extend(found.into_iter().map(|t| (t.id.clone(), t)));
    }
    let mut page = SyncPage {
        added: Vec::new(),
        modified: Vec::new(),
        removed: Vec::new(),
        next_cursor,
        has_more,
    };
    let mut seen = HashSet::new();
    for change in &log {
        if !seen.insert(change.transaction_id.as_str()) {
            continue;
        }
        let added = Change::parse(&change.change) == Some(Change::Added);
        match (rows.remove(&change.transaction_id), added) {
            (Some(row), true) => page.added.push(row),
            (Some(row), false) => page.modified.push(row),
            (None, true) => {}
            (None, false) => page.removed.push(Removed {
                transaction_id: change.transaction_id.clone(),
                account_id: change.account_id.clone(),
            }),
        }
    }
    Ok(page)
}

/// Writes every page after sequence number `since`, `count` changes at most each, to `out`
/// as a JSON array, one page at a time; returns how many.
pub fn write_pages(
    conn: &mut AnyConnection,
    since: i64,
    count: usize,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let mut cursor = since;
    let mut written = 0u64;
    out.write_all(b"[")?;
    loop {
        let page = page(conn, cursor, count)?;
        cursor = page
            .next_cursor
            .parse()
            .expect("a cursor this module wrote");
        out.write_all(if written == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer_pretty(&mut *out, &page).context("write a page")?;
        written += 1;
        if !page.has_more {
            out.write_all(b"\n]\n")?;
            return Ok(written);
        }
    }
}

/// The greatest sequence number of the log, 0 if it is empty.
pub fn last_seq(conn: &mut AnyConnection) -> anyhow::Result<i64> {
    let last: Option<i64> = transaction_changes::table
        .select(diesel::dsl::max(transaction_changes::seq))
        .first(conn)
        .context("read the change log")?;
    Ok(last.unwrap_or(0))
}
