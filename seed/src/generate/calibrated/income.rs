//! Pay: payroll on its schedule, moved off weekends and federal holidays, or a gig earner's
//! irregular payments, sized to what they spent.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::RngExt;

use super::super::draws::{pick, pick_weighted};
use super::{Entry, Kind, Ledger, NO_STREAM, StreamPlan, draw};
use crate::calendar::{Month, next_business_day, previous_business_day};
use crate::profile::calibrated::PayFrequency;

impl<'c> Ledger<'c> {
    /// Draws net pay and schedules every paycheck of the window into checking, as one
    /// recurring stream; a gig earner's payment days are scheduled with no amounts yet (see
    /// [`Ledger::pay_gigs`]).
    pub(super) fn pay(&mut self) {
        let income = &self.cal.income;
        let rng = &mut self.rng.income;
        self.net_monthly = draw(rng, &income.net_monthly_cents);
        let secs = rng.random_range(5 * 3_600..9 * 3_600);
        match self.params.pay {
            Some(weights) => {
                let frequency = PayFrequency::ALL[pick_weighted(rng, weights.iter().copied())];
                let employer = pick(rng, &income.employers);
                let phase = rng.random_range(0..2);
                let amount = (self.net_monthly as f64 * 12.0
                    / f64::from(frequency.frequency().per_year()))
                .round() as i64;
                let (dates, next_date) = paydays(frequency, phase, self.window_start, self.as_of);
                let stream = self.add_stream(StreamPlan {
                    account: 0,
                    merchant: employer,
                    category: "INCOME",
                    frequency: frequency.frequency(),
                    next_date,
                });
                for date in dates {
                    let day = self.day_of(date);
                    self.paydays.push(day);
                    self.push(Entry {
                        account: 0,
                        day,
                        secs,
                        amount: -amount,
                        category: "INCOME",
                        merchant: employer,
                        kind: Kind::Income,
                        stream,
                        pending: false,
                    });
                }
            }
            None => {
                let payers = [pick(rng, &income.gig_payers), pick(rng, &income.gig_payers)];
                let (lo, hi) = income.gig_gap_days;
                let mut day = rng.random_range(3..=20);
                let mut planned = Vec::new();
                while day < self.days {
                    let date = next_business_day(self.window_start + Duration::days(day));
                    let paid = (date - self.window_start).num_days();
                    if paid >= self.days {
                        break;
                    }
                    planned.push((paid, payers[rng.random_range(0..2)]));
                    day = paid + rng.random_range(lo..=hi);
                }
                for (day, merchant) in planned {
                    self.paydays.push(day);
                    self.push(Entry {
                        account: 0,
                        day,
                        secs,
                        amount: 0,
                        category: "INCOME",
                        merchant,
                        kind: Kind::Income,
                        stream: NO_STREAM,
                        pending: false,
                    });
                }
            }
        }
    }

    /// A gig earner is paid, at each payment, for the work that funds what checking pays out
    /// until the next one; the last payment falls a little short, so checking ends the window
    /// thin, as a variable earner's does between jobs.
    pub(super) fn pay_gigs(&mut self) {
        if self.params.pay.is_some() {
            return;
        }
        let mut out = vec![0i64; self.days as usize];
        for e in &self.entries {
            if e.account == 0 && e.amount > 0 {
                out[e.day as usize] += e.amount;
            }
        }
        let rng = &mut self.rng.income;
        let days = self.paydays.clone();
        let mut lumps = Vec::with_capacity(days.len());
        for (k, &day) in days.iter().enumerate() {
            let end = days.get(k + 1).copied().unwrap_or(self.days);
            let spent: i64 = out[day as usize..end as usize].iter().sum();
            let factor = if k + 1 < days.len() {
                rng.random_range(0.95..1.05)
            } else {
                rng.random_range(0.8..0.92)
            };
            lumps.push(((spent as f64 * factor).round() as i64).max(10_000));
        }
        let mut lumps = lumps.into_iter();
        for e in &mut self.entries {
            if e.kind == Kind::Income {
                e.amount = -lumps.next().expect("one amount per gig payment");
            }
        }
    }
}

/// The paydays of a schedule within `[start, as_of)`, each moved back to a business day, and
/// the first one on or after `as_of` (the stream's next date). `phase` picks which Friday a
/// biweekly schedule falls on.
fn paydays(
    frequency: PayFrequency,
    phase: i64,
    start: NaiveDate,
    as_of: NaiveDate,
) -> (Vec<NaiveDate>, NaiveDate) {
    let mut nominal = Vec::new();
    let from = start - Duration::days(35);
    let until = as_of + Duration::days(70);
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
            while day < until {
                nominal.push(day);
                day += Duration::days(step);
            }
        }
        PayFrequency::SemiMonthly | PayFrequency::Monthly => {
            let mut month = Month::of(from);
            while month.last() <= until {
                if frequency == PayFrequency::SemiMonthly {
                    nominal.push(month.day(15));
                }
                nominal.push(month.last());
                month = month.next();
            }
        }
    }
    let mut dates = Vec::with_capacity(60);
    let mut next = until;
    for day in nominal {
        let paid = previous_business_day(day);
        if paid >= as_of {
            next = paid;
            break;
        }
        if paid >= start {
            dates.push(paid);
        }
    }
    (dates, next)
}
