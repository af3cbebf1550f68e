//! Calendars: paydays by payroll schedule and the days of monthly charges, as day offsets
//! from the window's first day.

use chrono::{Datelike, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use crate::profile::story::{Payroll, StoryPersona};

/// Paydays as day offsets from the window start, on business days (Monday to Friday; public
/// holidays are not modelled).
pub(super) fn paydays(
    rng: &mut Pcg64,
    payroll: Payroll,
    params: &StoryPersona,
    start: NaiveDate,
    as_of: NaiveDate,
) -> Vec<i64> {
    let days = (as_of - start).num_days();
    let weekday = |d: i64| (i64::from(start.weekday().num_days_from_monday()) + d).rem_euclid(7);
    let mut out = Vec::with_capacity(16);
    match payroll {
        Payroll::Biweekly => {
            let first_friday = (4 - start.weekday().num_days_from_monday() as i64).rem_euclid(7);
            let mut d = first_friday + 7 * rng.random_range(0..2);
            while d < days {
                out.push(d);
                d += 14;
            }
        }
        Payroll::Semimonthly => {
            let mut month =
                NaiveDate::from_ymd_opt(start.year(), start.month(), 1).expect("first of month");
            while month < as_of {
                let next = month
                    .checked_add_months(chrono::Months::new(1))
                    .expect("next month");
                for day in [
                    month.with_day(15).expect("15th"),
                    next.pred_opt().expect("last day"),
                ] {
                    let mut d = (day - start).num_days();
                    // Weekend paydays move back to Friday.
                    d -= match weekday(d) {
                        5 => 1,
                        6 => 2,
                        _ => 0,
                    };
                    if (0..days).contains(&d) {
                        out.push(d);
                    }
                }
                month = next;
            }
        }
        Payroll::Irregular => {
            let (min_gap, max_gap) = params.pay_gap_days;
            let mut d = rng.random_range(0..max_gap);
            loop {
                // Weekend paydays move forward to Monday, so no gap ends up shorter than drawn.
                d += match weekday(d) {
                    5 => 2,
                    6 => 1,
                    _ => 0,
                };
                if d >= days {
                    break;
                }
                out.push(d);
                d += rng.random_range(min_gap..=max_gap);
            }
        }
    }
    out
}

/// Day offsets from the window start of a monthly charge on `day_of_month` (1-28).
pub(super) fn billing_days(start: NaiveDate, as_of: NaiveDate, day_of_month: u32) -> Vec<i64> {
    let mut out = Vec::with_capacity(8);
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), day_of_month)
        .expect("day 1-28 exists");
    while month < as_of {
        if month >= start {
            out.push((month - start).num_days());
        }
        month = month
            .checked_add_months(chrono::Months::new(1))
            .expect("next month");
    }
    out
}

/// The payday after day offset `after` on a fixed schedule, placed as [`paydays`] places
/// them, so the schedule can be continued past the window; `None` for irregular pay, whose
/// next gap is not known in advance.
pub(super) fn next_payday(payroll: Payroll, start: NaiveDate, after: i64) -> Option<i64> {
    match payroll {
        Payroll::Biweekly => Some(after + 14),
        Payroll::Semimonthly => {
            let date = start + chrono::Duration::days(after);
            let mut month =
                NaiveDate::from_ymd_opt(date.year(), date.month(), 1).expect("first of month");
            loop {
                let next = month
                    .checked_add_months(chrono::Months::new(1))
                    .expect("next month");
                for day in [
                    month.with_day(15).expect("15th"),
                    next.pred_opt().expect("last day"),
                ] {
                    // Weekend paydays move back to Friday, as in `paydays`.
                    let day = match day.weekday() {
                        chrono::Weekday::Sat => day - chrono::Duration::days(1),
                        chrono::Weekday::Sun => day - chrono::Duration::days(2),
                        _ => day,
                    };
                    let d = (day - start).num_days();
                    if d > after {
                        return Some(d);
                    }
                }
                month = next;
            }
        }
        Payroll::Irregular => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persona::Persona;
    use crate::profile::Profile;
    use crate::profile::story::StoryProfile;

    /// `next_payday` continues `paydays` exactly: from each payday it finds the next one,
    /// across month ends, weekends and a leap day.
    #[test]
    fn the_next_payday_is_the_one_paydays_schedules() {
        let Profile::Story(profile) = Profile::story() else {
            unreachable!("the story profile is a story profile")
        };
        let params = StoryProfile::persona(&profile, Persona::Steady);
        let start = NaiveDate::from_ymd_opt(2023, 12, 2).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        for payroll in [Payroll::Biweekly, Payroll::Semimonthly] {
            for seed in 0..4 {
                let rng = &mut Pcg64::new(seed, 0);
                let days = paydays(rng, payroll, params, start, as_of);
                assert!(days.len() > 25, "{payroll:?}");
                for pair in days.windows(2) {
                    assert_eq!(next_payday(payroll, start, pair[0]), Some(pair[1]));
                }
            }
        }
        assert_eq!(next_payday(Payroll::Irregular, start, 3), None);
    }
}
