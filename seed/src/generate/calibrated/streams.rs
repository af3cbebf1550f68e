//! The recurring series a household's timeline holds (payroll, rent or mortgage, utilities,
//! each fixed bill from the month it starts to the month it is cancelled), with the days
//! their transactions post on, and their order in the timeline: payroll, housing, fixed bills
//! in the order they start, then utilities, so that one more utility in the profile moves no
//! other series' stream id.

use super::super::recurring::Frequency;
use super::super::timeline::{Day, Life, SeriesPlan};

/// Where a series sits among the household's series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Rank {
    Payroll,
    Housing,
    /// A fixed bill, numbered in the order the household started its bills.
    FixedBill(u32),
    /// A utility, by its place in the profile.
    Utility(u32),
}

/// The series of a household in the making.
#[derive(Debug, Default)]
pub(super) struct Streams<'p> {
    plans: Vec<(Rank, SeriesPlan<'p>)>,
    fixed_bills: u32,
}

impl<'p> Streams<'p> {
    /// A new series of `rank` (a fixed bill's number is given here); returns its index, which
    /// its transactions name until [`Streams::finish`] puts the series in order.
    pub(super) fn add(
        &mut self,
        rank: Rank,
        (account, merchant, category): (u8, &'p str, &'p str),
        frequency: Frequency,
    ) -> u16 {
        let rank = match rank {
            Rank::FixedBill(_) => {
                self.fixed_bills += 1;
                Rank::FixedBill(self.fixed_bills - 1)
            }
            other => other,
        };
        self.plans.push((
            rank,
            SeriesPlan {
                account,
                merchant,
                category,
                frequency,
                schedule: Vec::with_capacity(8),
            },
        ));
        (self.plans.len() - 1) as u16
    }

    /// A day on which series `stream` posts, or, last, the day its next transaction would
    /// post on.
    pub(super) fn schedule(&mut self, stream: u16, day: Day) {
        self.plans[usize::from(stream)].1.schedule.push(day);
    }

    /// Sets the whole schedule of series `stream`.
    pub(super) fn set_schedule(&mut self, stream: u16, days: &[Day]) {
        self.plans[usize::from(stream)].1.schedule = days.to_vec();
    }

    /// The series in order, with the lives' stream indexes moved to match.
    pub(super) fn finish(self, lives: &mut [Life<'p>]) -> Vec<SeriesPlan<'p>> {
        let mut order: Vec<usize> = (0..self.plans.len()).collect();
        order.sort_by_key(|&i| self.plans[i].0);
        let mut moved = vec![0u16; order.len()];
        for (new, &old) in order.iter().enumerate() {
            moved[old] = new as u16;
        }
        for life in lives.iter_mut() {
            if let Some(s) = life.stream.as_mut() {
                *s = moved[usize::from(*s)];
            }
        }
        let mut plans: Vec<Option<SeriesPlan<'p>>> =
            self.plans.into_iter().map(|(_, p)| Some(p)).collect();
        order
            .into_iter()
            .map(|i| plans[i].take().expect("each series once"))
            .collect()
    }
}
