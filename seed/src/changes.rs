//! The change log's sequence numbers, and the `added` rows a load writes for its
//! transactions.
//!
//! `transaction_changes.seq` orders the log a Plaid-style `/transactions/sync` pages through.
//! It is not a counter the database hands out: it is computed from what a change is, so the
//! same run writes the same log whatever the thread count, and shards loaded in parallel
//! never need to agree on a next number. A sequence number is, from the high bits down:
//!
//! - the **day** of the change: days from the timeline's origin to the as-of date at which
//!   the change is first visible (0 for the rows of the run that seeded the data), 19 bits;
//! - the **shard** that wrote it: `K - 1` of `--shard K/N`, 0 for a whole run, 12 bits;
//! - its **ordinal** among that shard's changes of that day, in the order they were written,
//!   32 bits.
//!
//! So every change of a later day sorts after every change of an earlier one, and two
//! writers never produce the same number. Shards of one day sort by shard: a client that
//! syncs while shards are still being loaded may miss a shard that commits after it synced a
//! later one (as it would with any sequence shared by concurrent writers); sync after seeding.

use backend::{Change, Transaction, TransactionChange};
use chrono::NaiveDate;

use crate::dataset::{Meta, Shard};

/// Bits of the ordinal within a day and shard.
const ORDINAL_BITS: u32 = 32;
/// Bits of the shard: `Shard::MAX_COUNT` shards.
const SHARD_BITS: u32 = Shard::MAX_COUNT.trailing_zeros();
/// Bits of the day; with the others, 63: a sequence number is a positive BIGINT.
const DAY_BITS: u32 = 19;

/// The most days a timeline may run past its origin (1,435 years).
pub const MAX_DAYS: i64 = 1 << DAY_BITS;

/// Where one writer's changes of one day go in the log: the next number to hand out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeStamp {
    /// The day's and shard's bits.
    prefix: i64,
    /// The next ordinal.
    next: u64,
    /// The as-of date of the run writing the changes.
    as_of: NaiveDate,
}

impl ChangeStamp {
    /// Changes first visible `day` days after the timeline's origin, written by shard
    /// `shard` (0-based; 0 for a whole run) in a run as of `as_of`.
    pub fn new(day: i64, shard: u64, as_of: NaiveDate) -> anyhow::Result<ChangeStamp> {
        if !(0..MAX_DAYS).contains(&day) {
            anyhow::bail!(
                "the as-of date is {day} days from the timeline's origin; the change log holds 0 to {}",
                MAX_DAYS - 1
            );
        }
        if shard >= Shard::MAX_COUNT {
            anyhow::bail!("the change log numbers at most {} shards", Shard::MAX_COUNT);
        }
        Ok(ChangeStamp {
            prefix: (day << (SHARD_BITS + ORDINAL_BITS)) | ((shard as i64) << ORDINAL_BITS),
            next: 0,
            as_of,
        })
    }

    /// The stamp of a load of `meta`'s rows: the day of its as-of date on its timeline, and
    /// its shard.
    pub fn for_load(meta: &Meta) -> anyhow::Result<ChangeStamp> {
        let day = (meta.as_of - meta.origin).num_days();
        let shard = meta.shard.map_or(0, |s| s.index() - 1);
        ChangeStamp::new(day, shard, meta.as_of)
    }

    /// The next change: `change` of `transaction_id` on `account_id`.
    pub fn stamp(
        &mut self,
        transaction_id: &str,
        account_id: &str,
        change: Change,
    ) -> anyhow::Result<TransactionChange> {
        let seq = self.reserve(1)?.first;
        Ok(TransactionChange {
            seq,
            transaction_id: transaction_id.to_owned(),
            account_id: account_id.to_owned(),
            change: change.as_str().to_owned(),
            as_of: self.as_of,
        })
    }

    /// The next `count` numbers, for the `added` changes of `count` transactions.
    pub fn reserve(&mut self, count: usize) -> anyhow::Result<AddedChanges> {
        let count = count as u64;
        if self.next + count > 1 << ORDINAL_BITS {
            anyhow::bail!(
                "more than {} changes in one day of one shard; split the run into shards",
                1u64 << ORDINAL_BITS
            );
        }
        // The ordinal is the low bits and stays below 2^32, so adding to the sequence number
        // never carries into the shard's bits.
        let first = self.prefix | self.next as i64;
        self.next += count;
        Ok(AddedChanges {
            first,
            count,
            as_of: self.as_of,
        })
    }

    /// An `added` change for each of `transactions`, in their order.
    pub fn added(
        &mut self,
        transactions: &[Transaction],
    ) -> anyhow::Result<Vec<TransactionChange>> {
        Ok(self.reserve(transactions.len())?.rows(transactions))
    }
}

/// The `added` changes of a batch of transactions, numbered but not yet made into rows: the
/// `i`-th transaction's change is number `first + i`. A loader makes the rows
/// ([`AddedChanges::rows`]) or, on SQLite, derives them in SQL from the transactions it
/// inserted, by the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedChanges {
    first: i64,
    count: u64,
    as_of: NaiveDate,
}

impl AddedChanges {
    /// The sequence number of the first transaction's change.
    pub fn first_seq(&self) -> i64 {
        self.first
    }

    /// How many changes: one per transaction of the batch.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The as-of date the changes record.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The numbers, the first transaction's first.
    pub fn seqs(&self) -> std::ops::Range<i64> {
        self.first..self.first + self.count as i64
    }

    /// The change rows of `transactions`, the batch these numbers were reserved for.
    pub fn rows(&self, transactions: &[Transaction]) -> Vec<TransactionChange> {
        assert_eq!(
            transactions.len() as u64,
            self.count,
            "changes reserved for another batch"
        );
        let added = Change::Added.as_str();
        transactions
            .iter()
            .zip(self.first..)
            .map(|(t, seq)| TransactionChange {
                seq,
                transaction_id: t.id.clone(),
                account_id: t.account_id.clone(),
                change: added.to_owned(),
                as_of: self.as_of,
            })
            .collect()
    }
}

/// The day, shard and ordinal a sequence number packs, for messages and tests.
pub fn unpack(seq: i64) -> (i64, u64, u64) {
    let ordinal = (seq as u64) & ((1 << ORDINAL_BITS) - 1);
    let shard = ((seq as u64) >> ORDINAL_BITS) & ((1 << SHARD_BITS) - 1);
    (seq >> (SHARD_BITS + ORDINAL_BITS), shard, ordinal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()
    }

    #[test]
    fn later_days_sort_after_earlier_ones_and_fields_round_trip() {
        let mut early = ChangeStamp::new(3, 4095, date()).unwrap();
        let mut late = ChangeStamp::new(4, 0, date()).unwrap();
        let a = early.stamp("t1", "a1", Change::Added).unwrap();
        let b = early.stamp("t2", "a1", Change::Removed).unwrap();
        let c = late.stamp("t3", "a1", Change::Modified).unwrap();
        assert!(a.seq < b.seq && b.seq < c.seq);
        assert_eq!(unpack(b.seq), (3, 4095, 1));
        assert_eq!(unpack(c.seq), (4, 0, 0));
        let last = ChangeStamp::new(MAX_DAYS - 1, Shard::MAX_COUNT - 1, date()).unwrap();
        assert!(
            last.prefix > 0,
            "the largest day still makes a positive BIGINT"
        );
    }

    #[test]
    fn reserved_numbers_continue_the_stamps_one_by_one() {
        let mut one_by_one = ChangeStamp::new(7, 3, date()).unwrap();
        let mut reserved = one_by_one.clone();
        let singles: Vec<i64> = (0..5)
            .map(|i| {
                one_by_one
                    .stamp(&format!("t{i}"), "a", Change::Added)
                    .unwrap()
                    .seq
            })
            .collect();
        let first = reserved.reserve(2).unwrap();
        let second = reserved.reserve(3).unwrap();
        assert_eq!(first.first_seq(), singles[0]);
        assert_eq!(second.first_seq(), singles[2]);
        assert_eq!((first.count(), second.count()), (2, 3));
        assert_eq!(reserved, one_by_one);
        let mut full = ChangeStamp::new(0, 0, date()).unwrap();
        full.next = (1 << ORDINAL_BITS) - 2;
        assert!(full.clone().reserve(3).is_err());
        let last = full.reserve(2).unwrap();
        assert_eq!(
            unpack(last.first_seq() + 1),
            (0, 0, (1 << ORDINAL_BITS) - 1)
        );
        assert!(full.reserve(1).is_err());
    }

    #[test]
    fn out_of_range_days_and_shards_are_refused() {
        assert!(ChangeStamp::new(-1, 0, date()).is_err());
        assert!(ChangeStamp::new(MAX_DAYS, 0, date()).is_err());
        assert!(ChangeStamp::new(0, Shard::MAX_COUNT, date()).is_err());
    }
}
