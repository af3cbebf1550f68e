//! Recurring streams: the ground truth of which transactions a generator scheduled as one
//! series (payroll, subscriptions, bills), as `recurring_streams` rows and their links.
//!
//! A generator knows each series' account, payee, category, cadence and next due day; this
//! module turns that and the series' transactions into the rows Plaid's
//! `/transactions/recurring/get` would report, so every generator builds them the same way.

use backend::{RecurringStream, RecurringStreamTransaction};
use chrono::NaiveDate;

pub use crate::catalog::Frequency;
use crate::tables::RowBatch;

/// What the generator scheduled for one series: everything about a stream but its
/// transactions and id.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The account every transaction of the series posts to.
    pub account_id: &'a str,
    /// The payer or payee.
    pub merchant_name: &'a str,
    /// The transactions' category.
    pub category: &'a str,
    /// The cadence.
    pub frequency: Frequency,
    /// The day the schedule puts the series' next transaction on, after the data ends.
    pub next_date: NaiveDate,
}

/// One transaction of a series: its id, day and signed amount.
#[derive(Debug, Clone, Copy)]
pub struct Occurrence<'a> {
    /// The transaction's `id`.
    pub transaction_id: &'a str,
    /// The day it is dated.
    pub date: NaiveDate,
    /// Its amount in cents, signed as stored (negative is money in).
    pub amount: i64,
}

impl Series<'_> {
    /// Adds the stream of this series, with id `id`, and its links to `rows`. `occurrences`
    /// are its transactions, oldest first. A stream needs two transactions to recur: with
    /// fewer, nothing is added and `false` returned.
    ///
    /// The stream's amount is the median of its amounts (the lower of the middle two), so a
    /// fixed charge reports exactly itself; its direction follows that amount's sign.
    pub fn push_stream(
        &self,
        id: String,
        occurrences: &[Occurrence<'_>],
        rows: &mut RowBatch,
    ) -> bool {
        let (Some(first), Some(last)) = (occurrences.first(), occurrences.last()) else {
            return false;
        };
        if occurrences.len() < 2 {
            return false;
        }
        debug_assert!(occurrences.windows(2).all(|w| w[0].date <= w[1].date));
        let mut amounts: Vec<i64> = occurrences.iter().map(|o| o.amount).collect();
        amounts.sort_unstable();
        let amount = amounts[(amounts.len() - 1) / 2];
        rows.recurring_stream_transactions
            .extend(occurrences.iter().map(|o| RecurringStreamTransaction {
                stream_id: id.clone(),
                transaction_id: o.transaction_id.to_owned(),
            }));
        rows.recurring_streams.push(RecurringStream {
            id,
            account_id: self.account_id.to_owned(),
            direction: if amount < 0 { "inflow" } else { "outflow" }.to_owned(),
            merchant_name: self.merchant_name.to_owned(),
            category: self.category.to_owned(),
            frequency: self.frequency.name().to_owned(),
            amount,
            first_date: first.date,
            last_date: last.date,
            next_date: self.next_date,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    #[test]
    fn a_stream_reports_its_median_amount_dates_and_links() {
        let series = Series {
            account_id: "a",
            merchant_name: "Acme Payroll",
            category: "INCOME",
            frequency: Frequency::Weekly,
            next_date: day(29),
        };
        let occurrences = [
            Occurrence {
                transaction_id: "t1",
                date: day(1),
                amount: -300,
            },
            Occurrence {
                transaction_id: "t2",
                date: day(8),
                amount: -100,
            },
            Occurrence {
                transaction_id: "t3",
                date: day(15),
                amount: -200,
            },
            Occurrence {
                transaction_id: "t4",
                date: day(22),
                amount: -250,
            },
        ];
        let mut rows = RowBatch::default();
        assert!(series.push_stream("s".into(), &occurrences, &mut rows));
        let stream = &rows.recurring_streams[0];
        assert_eq!(stream.amount, -250);
        assert_eq!(stream.direction, "inflow");
        assert_eq!(stream.frequency, "WEEKLY");
        assert_eq!((stream.first_date, stream.last_date), (day(1), day(22)));
        let ids: Vec<&str> = rows
            .recurring_stream_transactions
            .iter()
            .map(|l| l.transaction_id.as_str())
            .collect();
        assert_eq!(ids, ["t1", "t2", "t3", "t4"]);
        assert!(!series.push_stream("x".into(), &occurrences[..1], &mut rows));
        assert_eq!(rows.recurring_streams.len(), 1);
    }

    #[test]
    fn names_round_trip_and_one_period_falls_in_its_gap() {
        for f in Frequency::ALL {
            assert_eq!(Frequency::from_name(f.name()), Some(f));
            let gap = (f.after(day(31)) - day(31)).num_days();
            let (lo, hi) = f.gap_days();
            assert!((lo..=hi).contains(&gap), "{f:?}: {gap}");
        }
        assert_eq!(Frequency::from_name("DAILY"), None);
    }
}
