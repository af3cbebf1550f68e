//! `/transactions/sync` over the change log: the cursor and how a page is cut and reduced
//! to Plaid's `added`/`modified`/`removed`, without I/O.
//!
//! A **pagination** is the run of pages from a settled cursor until `has_more` is false. Its
//! first page fixes the **window**: the log rows of the Item (or of one account) after the
//! settled position up to the log's last row at that moment, the **high-water mark**. Every
//! page of it pages through that window `count` rows at a time, and its cursor carries the
//! window's start, the position reached and the mark. A later page that finds the Item's log
//! grown past the mark answers `TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`: the client
//! restarts from the cursor it held before the pagination, as Plaid asks. The last page's
//! cursor settles at the mark.
//!
//! Each transaction is reported once per pagination, by its net effect over the window, in
//! the page holding the row that decides it:
//! - gone from `transactions` and added within the window: nothing (the client never had it);
//! - gone and not added within the window: `removed`, in the page of its `removed` row;
//! - present and added within the window: `added` (its current state), in the page of its
//!   `added` row;
//! - present and not added within the window: `modified` (its current state), in the page of
//!   its last `modified` row.
//!
//! So a pending transaction that posts is, as Plaid sends it, a `removed` of the pending id
//! and an `added` of the posted one, whose `pending_transaction_id` names it; a pending that
//! posts within one window is only the posted twin's `added`.

use std::collections::HashMap;

use backend::{Change, TransactionChange};

use crate::error::{ApiError, ErrorKind};

/// Where a client is in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The settled position the pagination started from (`-1`: the log's beginning).
    pub start: i64,
    /// The last row already paged through.
    pub position: i64,
    /// The high-water mark of a pagination under way; `None` once settled.
    pub mark: Option<i64>,
    /// Which Item (and account) the cursor belongs to, as a checksum.
    pub scope: u32,
}

const VERSION: u8 = 1;

impl Cursor {
    /// The cursor before the first sync of `scope`.
    pub fn initial(scope: u32) -> Cursor {
        Cursor {
            start: -1,
            position: -1,
            mark: None,
            scope,
        }
    }

    /// The cursor after a page that reached `end` in the window up to `mark`: still within
    /// the pagination if `has_more`, else settled at the mark.
    pub fn next(self, end: i64, mark: i64, has_more: bool) -> Cursor {
        if has_more {
            Cursor {
                position: end,
                mark: Some(mark),
                ..self
            }
        } else {
            Cursor {
                start: mark,
                position: mark,
                mark: None,
                ..self
            }
        }
    }

    /// The opaque text Plaid clients hold.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(29);
        bytes.push(VERSION);
        bytes.extend(self.start.to_be_bytes());
        bytes.extend(self.position.to_be_bytes());
        bytes.extend(self.mark.unwrap_or(i64::MIN).to_be_bytes());
        bytes.extend(self.scope.to_be_bytes());
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a cursor of `scope`; an empty text is the initial cursor.
    pub fn decode(text: &str, scope: u32) -> Result<Cursor, ApiError> {
        if text.is_empty() {
            return Ok(Cursor::initial(scope));
        }
        let invalid = || ApiError::invalid_field("cursor", "not a cursor this server issued");
        if text.len() != 58 || !text.is_ascii() {
            return Err(invalid());
        }
        let bytes: Vec<u8> = (0..29)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
            .collect::<Result<_, _>>()
            .map_err(|_| invalid())?;
        let word = |at: usize| i64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let cursor = Cursor {
            start: word(1),
            position: word(9),
            mark: Some(word(17)).filter(|&m| m != i64::MIN),
            scope: u32::from_be_bytes(bytes[25..29].try_into().expect("4 bytes")),
        };
        if bytes[0] != VERSION {
            return Err(invalid());
        }
        if cursor.scope != scope {
            return Err(ApiError::invalid_field(
                "cursor",
                "the cursor belongs to another Item or account",
            ));
        }
        let ordered = cursor.start <= cursor.position
            && cursor.mark.is_none_or(|m| cursor.position <= m)
            && (cursor.mark.is_some() || cursor.start == cursor.position);
        if !ordered {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

/// The checksum of a cursor's scope: the Item and the account filter.
pub fn scope_of(item_id: &str, account_id: Option<&str>) -> u32 {
    // FNV-1a: enough to catch a cursor handed to the wrong Item.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in item_id
        .bytes()
        .chain([0])
        .chain(account_id.unwrap_or("").bytes())
    {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// One entry of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `added`, `modified` or `removed`.
    pub change: Change,
    /// The transaction.
    pub transaction_id: String,
    /// Its account.
    pub account_id: String,
}

/// The rows of one page and where it leaves the client.
#[derive(Debug)]
pub struct Page<'w> {
    window: &'w [TransactionChange],
    /// Index of the page's first row in the window.
    from: usize,
    /// Index after its last row.
    to: usize,
}

impl<'w> Page<'w> {
    /// The page of at most `count` rows after `position` in `window` (the rows after the
    /// pagination's start up to its mark, in order).
    pub fn cut(window: &'w [TransactionChange], position: i64, count: usize) -> Page<'w> {
        let from = window.partition_point(|c| c.seq <= position);
        let to = (from + count).min(window.len());
        Page { window, from, to }
    }

    /// Whether rows of the window remain after this page.
    pub fn has_more(&self) -> bool {
        self.to < self.window.len()
    }

    /// The position this page reaches: its last row, or the position it started from.
    pub fn end(&self, position: i64) -> i64 {
        self.window[..self.to]
            .last()
            .map_or(position, |c| c.seq.max(position))
    }

    /// The ids of the transactions this page has rows of.
    pub fn transaction_ids(&self) -> Vec<&'w str> {
        let mut ids: Vec<&str> = self.window[self.from..self.to]
            .iter()
            .map(|c| c.transaction_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The page's entries in log order, each transaction by its net effect over the window;
    /// `exists` says whether a transaction is in `transactions` now.
    pub fn entries(&self, exists: impl Fn(&str) -> bool) -> Vec<Entry> {
        // Per transaction of the window: whether it was added within it, and the index of
        // its last `modified` row.
        let mut added: HashMap<&str, usize> = HashMap::new();
        let mut last_modified: HashMap<&str, usize> = HashMap::new();
        for (i, row) in self.window.iter().enumerate() {
            match Change::parse(&row.change) {
                Some(Change::Added) => {
                    added.insert(&row.transaction_id, i);
                }
                Some(Change::Modified) => {
                    last_modified.insert(&row.transaction_id, i);
                }
                Some(Change::Removed) | None => {}
            }
        }
        let mut entries = Vec::new();
        for (i, row) in self.window.iter().enumerate().take(self.to).skip(self.from) {
            let id = row.transaction_id.as_str();
            let change = match (exists(id), Change::parse(&row.change)) {
                (true, Some(Change::Added)) => Some(Change::Added),
                (true, Some(Change::Modified))
                    if !added.contains_key(id) && last_modified.get(id) == Some(&i) =>
                {
                    Some(Change::Modified)
                }
                (false, Some(Change::Removed)) if !added.contains_key(id) => Some(Change::Removed),
                _ => None,
            };
            if let Some(change) = change {
                entries.push(Entry {
                    change,
                    transaction_id: row.transaction_id.clone(),
                    account_id: row.account_id.clone(),
                });
            }
        }
        entries
    }
}

/// The mutation error of a pagination whose window grew.
pub fn mutated() -> ApiError {
    ApiError::new(
        ErrorKind::MutationDuringPagination,
        "underlying transaction data changed since the last page was fetched; restart the \
         pagination from the cursor held before its first page",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn row(seq: i64, id: &str, change: Change) -> TransactionChange {
        TransactionChange {
            seq,
            transaction_id: id.into(),
            account_id: "acc".into(),
            change: change.as_str().into(),
            as_of: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        }
    }

    fn names(entries: &[Entry]) -> Vec<(String, &'static str)> {
        entries
            .iter()
            .map(|e| (e.transaction_id.clone(), e.change.as_str()))
            .collect()
    }

    #[test]
    fn cursors_round_trip_and_refuse_tampering_and_other_items() {
        let scope = scope_of("item", None);
        let c = Cursor {
            start: 5,
            position: 9,
            mark: Some(12),
            scope,
        };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, scope).unwrap(), c);
        assert_eq!(Cursor::decode("", scope).unwrap(), Cursor::initial(scope));
        assert!(Cursor::decode(&text, scope_of("other", None)).is_err());
        assert!(Cursor::decode(&text, scope_of("item", Some("acc"))).is_err());
        assert!(Cursor::decode("zz", scope).is_err());
        assert!(Cursor::decode(&text.replace('0', "g"), scope).is_err());
        let backwards = Cursor {
            start: 9,
            position: 5,
            mark: Some(12),
            scope,
        };
        assert!(Cursor::decode(&backwards.encode(), scope).is_err());
        let settled = Cursor {
            start: 12,
            position: 12,
            mark: None,
            scope,
        };
        assert_eq!(Cursor::decode(&settled.encode(), scope).unwrap(), settled);
    }

    #[test]
    fn pages_cut_the_window_by_count() {
        let window: Vec<_> = (0..5)
            .map(|s| row(s, &format!("t{s}"), Change::Added))
            .collect();
        let first = Page::cut(&window, -1, 2);
        assert!(first.has_more());
        assert_eq!(first.end(-1), 1);
        assert_eq!(first.transaction_ids(), ["t0", "t1"]);
        let last = Page::cut(&window, 3, 2);
        assert!(!last.has_more());
        assert_eq!(last.end(3), 4);
        let empty = Page::cut(&[], 7, 100);
        assert!(!empty.has_more());
        assert_eq!(empty.end(7), 7);
    }

    #[test]
    fn each_transaction_is_reported_once_by_its_net_effect() {
        // t_old existed before the window; p pends then posts as q; x comes and goes.
        let window = vec![
            row(10, "t_old", Change::Modified),
            row(11, "p", Change::Added),
            row(12, "x", Change::Added),
            row(13, "t_old", Change::Modified),
            row(14, "p", Change::Removed),
            row(15, "q", Change::Added),
            row(16, "x", Change::Removed),
            row(17, "gone_old", Change::Removed),
        ];
        let exists = |id: &str| ["t_old", "q"].contains(&id);
        let whole = Page::cut(&window, 9, 100).entries(exists);
        assert_eq!(
            names(&whole),
            [
                ("t_old".into(), "modified"),
                ("q".into(), "added"),
                ("gone_old".into(), "removed")
            ]
        );
        // Paged two rows at a time, the same entries arrive, each once.
        let mut paged = Vec::new();
        let mut position = 9;
        loop {
            let page = Page::cut(&window, position, 2);
            paged.extend(page.entries(exists));
            position = page.end(position);
            if !page.has_more() {
                break;
            }
        }
        assert_eq!(paged, whole);
    }

    #[test]
    fn a_pending_posted_after_the_client_synced_is_removed_and_its_twin_added() {
        let window = vec![row(20, "p", Change::Removed), row(21, "q", Change::Added)];
        let entries = Page::cut(&window, 19, 100).entries(|id| id == "q");
        assert_eq!(
            names(&entries),
            [("p".into(), "removed"), ("q".into(), "added")]
        );
    }
}
