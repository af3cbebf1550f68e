//! What advancing one user from one as-of date to a later one does to the seeded tables: the
//! rows as of the earlier date (what the database should hold), the rows as of the later one,
//! and the difference, table by table, with the change log of the days between.
//!
//! Pure: it reads the user's timeline only. The rows the database should hold before are part
//! of the result, so the writer changes only rows that are still as the seeder left them.

use std::collections::HashMap;
use std::hash::Hash;

use backend::{Account, RecurringStream, RecurringStreamTransaction, Transaction};

use crate::generate::timeline::{Day, TimedChange, Timeline};

/// One user's advance, table by table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserAdvance {
    /// Transactions that appear.
    pub inserts: Vec<Transaction>,
    /// Transactions that go (a pending one that posted or dropped), as they were.
    pub deletes: Vec<Transaction>,
    /// Transactions that change (a correction): before and after.
    pub updates: Vec<(Transaction, Transaction)>,
    /// Accounts whose balances or statement fields change: before and after.
    pub accounts: Vec<(Account, Account)>,
    /// Recurring streams that appear.
    pub new_streams: Vec<RecurringStream>,
    /// Recurring streams that change (a new last date, next date or amount): before and
    /// after.
    pub streams: Vec<(RecurringStream, RecurringStream)>,
    /// Links of streams to their transactions that appear.
    pub new_links: Vec<RecurringStreamTransaction>,
    /// Links that go (their transaction went), as they were.
    pub gone_links: Vec<RecurringStreamTransaction>,
    /// Every change to the transactions, day by day, as the change log records it.
    pub log: Vec<TimedChange>,
}

impl UserAdvance {
    /// The advance of a user whose database rows start at day `from` of `timeline` (the
    /// first day of the window of the load that wrote them), from as-of day `before` (the
    /// timeline's first as-of day asked for) to as-of day `after` (its second). Only the lives
    /// whose rows differ between the two days, and the streams of their series, are built.
    pub fn of(timeline: &Timeline<'_>, from: Day, before: Day, after: Day) -> UserAdvance {
        let mut advance = UserAdvance::default();
        let mut touched = vec![false; timeline.series.len()];
        for (i, life) in timeline.lives.iter().enumerate() {
            let old = timeline.view_at(i, before, from);
            let new = timeline.view_at(i, after, from);
            if old == new {
                continue;
            }
            if let Some(s) = life.stream {
                touched[usize::from(s)] = true;
            }
            match (old, new) {
                (None, Some(new)) => advance.inserts.push(timeline.row(i, new)),
                (Some(old), None) => advance.deletes.push(timeline.row(i, old)),
                // A correction: the posted row keeps its id.
                (Some(old), Some(new)) if old.0 == new.0 => advance
                    .updates
                    .push((timeline.row(i, old), timeline.row(i, new))),
                // A pending row replaced by its posted twin.
                (Some(old), Some(new)) => {
                    advance.deletes.push(timeline.row(i, old));
                    advance.inserts.push(timeline.row(i, new));
                }
                (None, None) => unreachable!("equal views are skipped"),
            }
        }
        advance.accounts = timeline.accounts_at[0]
            .iter()
            .zip(&timeline.accounts_at[1])
            .filter(|(old, new)| old != new)
            .map(|(old, new)| (old.clone(), new.clone()))
            .collect();
        for (s, plan) in timeline.series.iter().enumerate() {
            // A stream's next date moves when the as-of date passes it, whatever posted.
            let next = |a: Day| plan.schedule.iter().find(|&&d| d >= a).copied();
            if touched[s] || next(before) != next(after) {
                advance.stream_changes(timeline, s, from, (before, after));
            }
        }
        advance.log = timeline
            .changes(before, after)
            .into_iter()
            .filter(|c| c.dated >= from)
            .collect();
        advance
    }

    /// Adds how series `s`'s stream and links change between the two as-of days.
    fn stream_changes(&mut self, timeline: &Timeline<'_>, s: usize, from: Day, days: (Day, Day)) {
        let stream_at = |a: Day| {
            let rows: Vec<(usize, backend::Transaction)> = (0..timeline.lives.len())
                .filter(|&i| timeline.lives[i].stream == Some(s as u16))
                .filter_map(|i| Some((i, timeline.row_at(i, a, from)?)))
                .collect();
            let mut out = crate::tables::RowBatch::default();
            timeline.push_stream(s, a, rows.iter().map(|(i, t)| (*i, t)), &mut out);
            out
        };
        let (old, new) = (stream_at(days.0), stream_at(days.1));
        let (added, gone, changed) = diff(old.recurring_streams, new.recurring_streams, |s| {
            s.id.clone()
        });
        debug_assert!(gone.is_empty(), "streams only grow");
        self.new_streams.extend(added);
        self.streams.extend(changed);
        let (new_links, gone_links, _) = diff(
            old.recurring_stream_transactions,
            new.recurring_stream_transactions,
            |l| (l.stream_id.clone(), l.transaction_id.clone()),
        );
        self.new_links.extend(new_links);
        self.gone_links.extend(gone_links);
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty()
            && self.deletes.is_empty()
            && self.updates.is_empty()
            && self.accounts.is_empty()
            && self.new_streams.is_empty()
            && self.streams.is_empty()
            && self.new_links.is_empty()
            && self.gone_links.is_empty()
            && self.log.is_empty()
    }
}

/// Rows only `new` holds, rows only `old` holds, and rows both hold that differ (old, new),
/// each in the order of the list they come from.
fn diff<T: Clone + PartialEq, K: Eq + Hash>(
    old: Vec<T>,
    new: Vec<T>,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Vec<T>, Vec<(T, T)>) {
    let mut before: HashMap<K, T> = old.iter().map(|row| (key(row), row.clone())).collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for row in new {
        match before.remove(&key(&row)) {
            None => added.push(row),
            Some(was) if was != row => changed.push((was, row)),
            Some(_) => {}
        }
    }
    let gone = old
        .into_iter()
        .filter(|row| before.contains_key(&key(row)))
        .collect();
    (added, gone, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_sorts_rows_into_added_gone_and_changed() {
        let (added, gone, changed) = diff(
            vec![(1, 'a'), (2, 'b'), (3, 'c')],
            vec![(2, 'b'), (3, 'x'), (4, 'd')],
            |r| r.0,
        );
        assert_eq!(added, [(4, 'd')]);
        assert_eq!(gone, [(1, 'a')]);
        assert_eq!(changed, [((3, 'c'), (3, 'x'))]);
    }
}
