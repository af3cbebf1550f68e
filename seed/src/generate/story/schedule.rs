//! Calendars: paydays by payroll schedule and the days of monthly charges, as days of the
//! timeline, from its start up to a horizon. Each schedule is drawn forward from the start,
//! so its first days are the same whatever horizon it is drawn to.

use chrono::{Datelike, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::timeline::Day;
use crate::calendar::Month;
use crate::profile::story::{Payroll, StoryPersona};

/// Paydays before day `horizon`, on weekdays (the story moves paydays off weekends; it does
/// not model public holidays).
pub(super) fn paydays(
    rng: &mut Pcg64,
    payroll: Payroll,
    params: &StoryPersona,
    start: NaiveDate,
    horizon: Day,
) -> Vec<Day> {
    let weekday = |d: Day| (i64::from(start.weekday().num_days_from_monday()) + d).rem_euclid(7);
    let mut out = Vec::with_capacity(16);
    match payroll {
        Payroll::Biweekly => {
            let first_friday = (4 - start.weekday().num_days_from_monday() as i64).rem_euclid(7);
            let mut d = first_friday + 7 * rng.random_range(0..2);
            while d < horizon {
                out.push(d);
                d += 14;
            }
        }
        Payroll::Semimonthly => {
            let mut month = Month::of(start);
            loop {
                for day in [month.day(15), month.last()] {
                    let mut d = (day - start).num_days();
                    // Weekend paydays move back to Friday.
                    d -= match weekday(d) {
                        5 => 1,
                        6 => 2,
                        _ => 0,
                    };
                    if d >= horizon {
                        return out;
                    }
                    if d >= 0 {
                        out.push(d);
                    }
                }
                month = month.next();
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
                if d >= horizon {
                    break;
                }
                out.push(d);
                d += rng.random_range(min_gap..=max_gap);
            }
        }
    }
    out
}

/// The days of a monthly charge on `day_of_month` (1-28) from the timeline's start to
/// `horizon`, with the number of each one's month since the start's month.
pub(super) fn billing_days(start: NaiveDate, horizon: Day, day_of_month: u32) -> Vec<(u32, Day)> {
    let mut out = Vec::with_capacity(8);
    let mut month = Month::of(start);
    for number in 0.. {
        let day = (month.day(day_of_month) - start).num_days();
        if day >= horizon {
            break;
        }
        if day >= 0 {
            out.push((number, day));
        }
        month = month.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persona::Persona;
    use rand::SeedableRng;

    /// A schedule drawn further holds the same first paydays: what a day holds never depends
    /// on how far the timeline is drawn.
    #[test]
    fn a_longer_horizon_only_adds_later_paydays() {
        let story = crate::profile::Profile::story();
        let crate::profile::Profile::Story(profile) = story else {
            unreachable!("the story profile is a story profile")
        };
        let start = NaiveDate::from_ymd_opt(2023, 12, 2).unwrap();
        for persona in [Persona::Steady, Persona::VariableIncome] {
            let params = profile.persona(persona);
            for &payroll in &params.payroll {
                let draw = |horizon| {
                    paydays(
                        &mut Pcg64::seed_from_u64(7),
                        payroll,
                        params,
                        start,
                        horizon,
                    )
                };
                let (short, long) = (draw(200), draw(600));
                assert!(long.len() > short.len(), "{payroll:?}");
                assert_eq!(long[..short.len()], short[..], "{payroll:?}");
                assert!(short.iter().all(|&d| (0..200).contains(&d)));
            }
        }
        let bills = billing_days(start, 70, 1);
        assert_eq!(bills, vec![(1, 30), (2, 61)]);
    }
}
