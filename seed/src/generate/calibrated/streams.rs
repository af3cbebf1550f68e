//! The recurring series a household's timeline holds (payroll, rent or mortgage, utilities,
//! each fixed bill from the month it starts to the month it ends), with the days their
//! transactions post on. A series' stream id is keyed by what the series is, not by its place
//! among the others: one more utility in the profile, or a bill started later in a longer
//! timeline, moves no other series' stream id.

use super::super::recurring::Frequency;
use super::super::timeline::{Day, SeriesPlan};

/// What a series is, for its stream's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Series {
    Payroll,
    Housing,
    /// A utility, by its place in the profile.
    Utility(usize),
    /// A fixed bill of the profile, from the month it started (its number since the
    /// timeline's first month) on the account it started on.
    FixedBill {
        bill: usize,
        month: u64,
    },
    /// A fixed bill moved from a card that declined it to checking, from that month.
    MovedBill {
        bill: usize,
        month: u64,
    },
}

impl Series {
    /// The key of its stream's id: its kind in the top bits, then its bill or utility and
    /// its month, each well within its field (a profile lists at most 1,000 bills; a
    /// timeline of a million months is not drawn).
    fn key(self) -> u64 {
        let (kind, item, month) = match self {
            Series::Payroll => (0, 0, 0),
            Series::Housing => (1, 0, 0),
            Series::Utility(u) => (2, u, 0),
            Series::FixedBill { bill, month } => (3, bill, month),
            Series::MovedBill { bill, month } => (4, bill, month),
        };
        (kind << 48) | ((item as u64) << 24) | month
    }
}

/// The series of a household in the making, in the order they start.
#[derive(Debug, Default)]
pub(super) struct Streams<'p> {
    plans: Vec<SeriesPlan<'p>>,
}

impl<'p> Streams<'p> {
    /// A new series; returns its index, which its transactions name.
    pub(super) fn add(
        &mut self,
        series: Series,
        (account, merchant, category): (u8, &'p str, &'p str),
        frequency: Frequency,
    ) -> u16 {
        self.plans.push(SeriesPlan {
            account,
            merchant,
            category,
            frequency,
            schedule: Vec::with_capacity(8),
            key: Some(series.key()),
        });
        (self.plans.len() - 1) as u16
    }

    /// A day on which series `stream` posts, or, last, the day its next transaction would
    /// post on.
    pub(super) fn schedule(&mut self, stream: u16, day: Day) {
        self.plans[usize::from(stream)].schedule.push(day);
    }

    /// Sets the whole schedule of series `stream`.
    pub(super) fn set_schedule(&mut self, stream: u16, days: &[Day]) {
        self.plans[usize::from(stream)].schedule = days.to_vec();
    }

    /// The series.
    pub(super) fn finish(self) -> Vec<SeriesPlan<'p>> {
        self.plans
    }
}
