//! Pay: a payroll on its schedule, paydays moved back off weekends and federal holidays, or a
//! gig earner's payments at irregular gaps, each paying the earner's monthly rate for the
//! days worked since the previous one.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::draws::{Purpose, UserDraws, pick, pick_weighted, second_in};
use super::super::recurring::Frequency;
use super::super::timeline::{Day, RowKey};
use super::{key, percent_in};
use crate::calendar::{DAYS_PER_MONTH, Month, next_business_day, previous_business_day};
use crate::profile::CalibratedProfile;
use crate::profile::calibrated::PayFrequency;

/// One payment of pay, as it posts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Paycheck<'p> {
    /// What it is.
    pub(super) key: RowKey,
    /// Its number, counted from the timeline's start.
    pub(super) number: u64,
    /// What it pays, positive.
    pub(super) amount: i64,
    /// The payer.
    pub(super) merchant: &'p str,
    /// Plaid's detailed category.
    pub(super) detailed: &'p str,
    /// Seconds into the day.
    pub(super) secs: i64,
}

/// How a user is paid.
#[derive(Debug, Clone)]
pub(super) enum Payroll<'p> {
    /// An employer's payroll: one amount on a schedule, a recurring stream.
    Salary(Salary<'p>),
    /// Gig platforms' payments at irregular gaps: no stream.
    Gig(Gig<'p>),
}

/// An employer's payroll.
#[derive(Debug, Clone)]
pub(super) struct Salary<'p> {
    frequency: PayFrequency,
    amount: i64,
    employer: &'p str,
    detailed: &'p str,
    secs: i64,
    /// Every payday from the timeline's start, through past the last day drawn.
    days: Vec<Day>,
    /// The next payday to pay, an index into `days`.
    next: usize,
}

/// A gig earner's payments.
#[derive(Debug, Clone)]
pub(super) struct Gig<'p> {
    /// The timeline's first day.
    start: NaiveDate,
    payers: [&'p str; 2],
    detailed: &'p str,
    secs: i64,
    /// The earner's rate: net pay a month.
    monthly: i64,
    pay_percent: (u32, u32),
    gap_days: (i64, i64),
    /// The day of the next payment, and its number.
    next: Day,
    number: u64,
    /// The days the next payment pays for.
    worked: Day,
}

impl<'p> Payroll<'p> {
    /// Draws how a user paid `monthly` a month is paid, with paydays from `start` through
    /// day `horizon` at least.
    pub(super) fn new(
        rng: &mut Pcg64,
        profile: &'p CalibratedProfile,
        weights: Option<[u32; 4]>,
        (start, horizon): (NaiveDate, Day),
        monthly: i64,
    ) -> Payroll<'p> {
        let income = &profile.income;
        let secs = second_in(rng, income.hours);
        let Some(weights) = weights else {
            let payers = [pick(rng, &income.gig_payers), pick(rng, &income.gig_payers)];
            let (lo, hi) = income.gig_first_days;
            let first = business_day(start, rng.random_range(lo..=hi));
            let (lo, hi) = income.gig_gap_days;
            return Payroll::Gig(Gig {
                start,
                payers,
                detailed: &income.gig_detailed,
                secs,
                monthly,
                pay_percent: income.gig_pay_percent,
                gap_days: income.gig_gap_days,
                next: first,
                number: 0,
                // The first payment pays for a gap's work before it.
                worked: rng.random_range(lo..=hi),
            });
        };
        let frequency = PayFrequency::ALL[pick_weighted(rng, weights.iter().copied())];
        let employer = pick(rng, &income.employers);
        let phase = rng.random_range(0..2);
        let per_year = f64::from(frequency.frequency().per_year());
        Payroll::Salary(Salary {
            frequency,
            amount: (monthly as f64 * 12.0 / per_year).round() as i64,
            employer,
            detailed: &income.detailed,
            secs,
            days: paydays(frequency, phase, start, horizon),
            next: 0,
        })
    }

    /// The pay due on `day`, if it is a payday.
    pub(super) fn due(&mut self, day: Day, draws: &UserDraws) -> Option<Paycheck<'p>> {
        match self {
            Payroll::Salary(salary) => salary.due(day),
            Payroll::Gig(gig) => gig.due(day, draws),
        }
    }

    /// Paychecks a year, for a payroll.
    pub(super) fn per_year(&self) -> Option<u32> {
        match self {
            Payroll::Salary(salary) => Some(salary.frequency.frequency().per_year()),
            Payroll::Gig(_) => None,
        }
    }

    /// The payroll's stream, for a payroll: its employer, cadence and paydays.
    pub(super) fn stream(&self) -> Option<(&'p str, Frequency, &[Day])> {
        match self {
            Payroll::Salary(s) => Some((s.employer, s.frequency.frequency(), &s.days)),
            Payroll::Gig(_) => None,
        }
    }
}

impl<'p> Salary<'p> {
    fn due(&mut self, day: Day) -> Option<Paycheck<'p>> {
        if self.days.get(self.next) != Some(&day) {
            return None;
        }
        let number = self.next as u64;
        self.next += 1;
        Some(Paycheck {
            key: key(Purpose::Paycheck, 0, number),
            number,
            amount: self.amount,
            merchant: self.employer,
            detailed: self.detailed,
            secs: self.secs,
        })
    }
}

impl<'p> Gig<'p> {
    /// A payment's draws are its own: its share of the rate, its payer and the gap to the
    /// next one.
    fn due(&mut self, day: Day, draws: &UserDraws) -> Option<Paycheck<'p>> {
        if day != self.next {
            return None;
        }
        let number = self.number;
        let rng = &mut draws.at(Purpose::Paycheck, 1, number);
        let share = percent_in(rng, self.pay_percent);
        let rate = self.monthly as f64 / DAYS_PER_MONTH;
        let amount = (rate * self.worked as f64 * share).round() as i64;
        let merchant = self.payers[rng.random_range(0..2)];
        let (lo, hi) = self.gap_days;
        // Gaps are drawn in calendar days; a payment lands on the next business day.
        self.next = business_day(self.start, day + rng.random_range(lo..=hi));
        self.worked = self.next - day;
        self.number += 1;
        Some(Paycheck {
            key: key(Purpose::Paycheck, 1, number),
            number,
            amount: amount.max(1),
            merchant,
            detailed: self.detailed,
            secs: self.secs,
        })
    }
}

/// Day `day` of a timeline starting on `start`, moved forward to a business day.
fn business_day(start: NaiveDate, day: Day) -> Day {
    (next_business_day(start + Duration::days(day)) - start).num_days()
}

/// The paydays of a schedule from `start` through day `horizon` at least, each moved back to
/// a business day, as days of the timeline. `phase` picks which Friday a biweekly schedule
/// falls on. The schedule is laid from a fixed point before the start, so its first days are
/// the same whatever horizon it is drawn to.
fn paydays(frequency: PayFrequency, phase: i64, start: NaiveDate, horizon: Day) -> Vec<Day> {
    // A payday moves back at most a few days: starting five weeks early catches every
    // payday that lands on or after the start.
    let from = start - Duration::days(35);
    let until = start + Duration::days(horizon);
    let mut nominal = Vec::with_capacity((horizon / 7 + 8) as usize);
    match frequency {
        PayFrequency::Weekly | PayFrequency::Biweekly => {
            let step = if frequency == PayFrequency::Weekly {
                7
            } else {
                14
            };
            let to_friday = (i64::from(Weekday::Fri.num_days_from_monday())
                - i64::from(from.weekday().num_days_from_monday()))
            .rem_euclid(7);
            let mut day = from + Duration::days(to_friday + 7 * phase);
            while day <= until {
                nominal.push(day);
                day += Duration::days(step);
            }
        }
        PayFrequency::SemiMonthly | PayFrequency::Monthly => {
            let mut month = Month::of(from);
            while month.first() <= until {
                if frequency == PayFrequency::SemiMonthly {
                    nominal.push(month.day(15));
                }
                nominal.push(month.last());
                month = month.next();
            }
        }
    }
    nominal
        .into_iter()
        .map(previous_business_day)
        .filter(|&paid| paid >= start)
        .map(|paid| (paid - start).num_days())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paydays_are_business_days_and_a_longer_horizon_only_adds_later_ones() {
        let start = NaiveDate::from_ymd_opt(2026, 5, 29).unwrap();
        for frequency in PayFrequency::ALL {
            let short = paydays(frequency, 1, start, 200);
            let long = paydays(frequency, 1, start, 600);
            assert_eq!(long[..short.len()], short[..], "{frequency:?}");
            assert!(*short.last().unwrap() >= 200 - 31, "{frequency:?}");
            for day in &long {
                let date = start + Duration::days(*day);
                assert!(crate::calendar::is_business_day(date), "{date}");
            }
        }
        // July 4th, 2026 is a Saturday, observed on Friday the 3rd: the weekly payday moves
        // back to Thursday the 2nd.
        let weekly = paydays(PayFrequency::Weekly, 0, start, 60);
        let july = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap();
        assert!(weekly.contains(&(july - start).num_days()));
    }
}
