//! The calendar: days and months as generation steps through them, and the US banking
//! calendar, whose weekends and observed federal holidays payroll and transfers do not settle
//! on.
//!
//! Holidays follow 5 U.S.C. 6103 as the Office of Personnel Management observes them: a
//! holiday falling on a Saturday is observed the Friday before, one on a Sunday the Monday
//! after. Juneteenth counts from 2021, the year it became a federal holiday. Pure date
//! arithmetic: generation and `stats` share it, so the generator's paydays and the report's
//! check of them cannot disagree.

use std::cell::Cell;

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Days in an average month of the Gregorian calendar (365.2425 / 12).
pub const DAYS_PER_MONTH: f64 = 30.436_875;

/// A calendar month: what monthly schedules (bills, statements, paydays) step through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month `date` falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        match self.month {
            12 => Month {
                year: self.year + 1,
                month: 1,
            },
            m => Month {
                month: m + 1,
                ..self
            },
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Month {
        match self.month {
            1 => Month {
                year: self.year - 1,
                month: 12,
            },
            m => Month {
                month: m - 1,
                ..self
            },
        }
    }

    /// Day `day` of the month; days 1 to 28 exist in every month.
    pub fn day(self, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, day).expect("a day of the month")
    }

    /// The month's first day.
    pub fn first(self) -> NaiveDate {
        self.day(1)
    }

    /// The month's last day.
    pub fn last(self) -> NaiveDate {
        self.next().first() - Duration::days(1)
    }
}

/// `date` moved `months` calendar months later, on the same day of the month or the month's
/// last day if it is shorter.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .expect("a date within the supported years")
}

/// Whether `date` is an observed US federal holiday.
pub fn is_federal_holiday(date: NaiveDate) -> bool {
    holidays_of(date.year()).contains(date)
}

/// The observed holidays of `year`, worked out once per thread. Generation asks about nearly
/// every day it settles a payment on, and working out a year's holidays from the rules costs
/// a few hundred instructions; each thread keeps two years, an even and an odd one, so that
/// a span across New Year's Day does not work out both years again at every step (a pure
/// function's result: nothing depends on which thread asks, or in which order).
fn holidays_of(year: i32) -> HolidaysOfYear {
    thread_local! {
        static YEARS: [Cell<Option<HolidaysOfYear>>; 2] = const { [Cell::new(None), Cell::new(None)] };
    }
    YEARS.with(|years| {
        let slot = &years[year.rem_euclid(2) as usize];
        match slot.get() {
            Some(holidays) if holidays.year == year => holidays,
            _ => {
                let holidays = HolidaysOfYear::new(year);
                slot.set(Some(holidays));
                holidays
            }
        }
    })
}

/// The days of one year observed as federal holidays: those of [`holidays_observed`] that
/// fall in the year and, where it falls on December 31st, the next year's New Year's Day.
#[derive(Debug, Clone, Copy)]
struct HolidaysOfYear {
    year: i32,
    dates: [NaiveDate; 12],
    len: usize,
}

impl HolidaysOfYear {
    fn new(year: i32) -> HolidaysOfYear {
        let mut holidays = HolidaysOfYear {
            year,
            dates: [NaiveDate::MIN; 12],
            len: 0,
        };
        // A holiday observed in `year` is fixed in it, or is the next year's New Year's Day
        // observed on December 31st; this year's New Year's Day observed on the year
        // before's December 31st belongs to that year.
        let next_new_year = observed(ymd(year.saturating_add(1), 1, 1));
        let in_year = holidays_observed(year)
            .chain(next_new_year)
            .filter(|day| day.year() == year);
        for day in in_year {
            holidays.dates[holidays.len] = day;
            holidays.len += 1;
        }
        holidays
    }

    fn contains(&self, date: NaiveDate) -> bool {
        self.dates[..self.len].contains(&date)
    }

    /// How many of this year's observed holidays fall after `from` and on or before `to`.
    fn count_in(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let between = self.dates[..self.len]
            .iter()
            .filter(|day| from < **day && **day <= to);
        between.count() as u32
    }
}

/// Whether `date` is a business day: a weekday that is not an observed federal holiday.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_federal_holiday(date)
}

/// `date` if it is a business day, else the last business day before it (a payday that
/// falls on a weekend or holiday is paid early).
pub fn previous_business_day(mut date: NaiveDate) -> NaiveDate {
    while !is_business_day(date) {
        match date.pred_opt() {
            Some(day) => date = day,
            None => return date,
        }
    }
    date
}

/// `date` if it is a business day, else the first business day after it (a transfer
/// started on a weekend settles then).
pub fn next_business_day(mut date: NaiveDate) -> NaiveDate {
    while !is_business_day(date) {
        match date.succ_opt() {
            Some(day) => date = day,
            None => return date,
        }
    }
    date
}

/// The `n`th business day after `date` (`date` itself for `n == 0`, even when it is not a
/// business day).
///
/// Weeks are jumped rather than walked: the `n`th weekday after `date` is found by
/// arithmetic, and then one more business day is added for each observed holiday passed
/// (holidays are observed on weekdays only), until none is.
pub fn add_business_days(date: NaiveDate, n: u32) -> NaiveDate {
    let (mut from, mut n) = (date, n);
    while n > 0 {
        let Some(to) = nth_weekday_after(from, n) else {
            return step_business_days(from, n);
        };
        n = (from.year()..=to.year())
            .map(|year| holidays_of(year).count_in(from, to))
            .sum();
        from = to;
    }
    from
}

/// The `n`th weekday after `date`, if it is a date chrono can hold.
fn nth_weekday_after(date: NaiveDate, n: u32) -> Option<NaiveDate> {
    let since_monday = i64::from(date.weekday().num_days_from_monday());
    let monday = date.checked_sub_signed(Duration::days(since_monday))?;
    // Weekdays from that Monday on, a weekend counted as its Friday: the weekdays after a
    // Saturday or a Sunday are those after the Friday before.
    let weekdays = since_monday.min(4) + i64::from(n);
    monday.checked_add_signed(Duration::days(weekdays / 5 * 7 + weekdays % 5))
}

/// [`add_business_days`] a day at a time: for the dates at the ends of chrono's range, where
/// a week cannot be jumped.
fn step_business_days(mut date: NaiveDate, n: u32) -> NaiveDate {
    for _ in 0..n {
        match date.succ_opt() {
            Some(day) => date = next_business_day(day),
            None => return date,
        }
    }
    date
}

/// The observed dates of `year`'s federal holidays (those whose nominal date falls in
/// `year`; New Year's Day may be observed on December 31st of the year before).
fn holidays_observed(year: i32) -> impl Iterator<Item = NaiveDate> {
    let fixed = [(1, 1), (7, 4), (11, 11), (12, 25)]
        .into_iter()
        .chain((year >= 2021).then_some((6, 19)))
        .filter_map(move |(month, day)| observed(ymd(year, month, day)));
    let floating = [
        nth_weekday(year, 1, Weekday::Mon, 3), // Birthday of Martin Luther King, Jr.
        nth_weekday(year, 2, Weekday::Mon, 3), // Washington's Birthday
        last_weekday(year, 5, Weekday::Mon),   // Memorial Day
        nth_weekday(year, 9, Weekday::Mon, 1), // Labor Day
        nth_weekday(year, 10, Weekday::Mon, 2), // Columbus Day
        nth_weekday(year, 11, Weekday::Thu, 4), // Thanksgiving Day
    ];
    fixed.chain(floating.into_iter().flatten())
}

/// The day a holiday falling on `date` is observed.
fn observed(date: Option<NaiveDate>) -> Option<NaiveDate> {
    let date = date?;
    match date.weekday() {
        Weekday::Sat => date.pred_opt(),
        Weekday::Sun => date.succ_opt(),
        _ => Some(date),
    }
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The `n`th (1-based) `weekday` of `month`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
}

/// The last `weekday` of `month`.
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let last = Month { year, month }.last();
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    Some(last - Duration::days(i64::from(back)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn observed_holidays_of_2026_match_opm() {
        // OPM's published list of 2026 federal holidays.
        let opm = [
            d(2026, 1, 1),
            d(2026, 1, 19),
            d(2026, 2, 16),
            d(2026, 5, 25),
            d(2026, 6, 19),
            d(2026, 7, 3), // July 4th is a Saturday
            d(2026, 9, 7),
            d(2026, 10, 12),
            d(2026, 11, 11),
            d(2026, 11, 26),
            d(2026, 12, 25),
        ];
        let found: Vec<NaiveDate> = d(2026, 1, 1)
            .iter_days()
            .take_while(|day| day.year() == 2026)
            .filter(|day| is_federal_holiday(*day))
            .collect();
        assert_eq!(found, opm);
    }

    #[test]
    fn new_year_on_a_saturday_is_observed_the_year_before() {
        // January 1st, 2022 was a Saturday: observed Friday December 31st, 2021.
        assert!(is_federal_holiday(d(2021, 12, 31)));
        assert!(!is_federal_holiday(d(2022, 1, 1)));
        // Juneteenth 2021 fell on a Saturday; in 2020 it was no federal holiday.
        assert!(is_federal_holiday(d(2021, 6, 18)));
        assert!(!is_federal_holiday(d(2020, 6, 19)));
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Thanksgiving 2026 is Thursday November 26th.
        assert!(!is_business_day(d(2026, 11, 26)));
        assert_eq!(previous_business_day(d(2026, 11, 26)), d(2026, 11, 25));
        assert_eq!(next_business_day(d(2026, 11, 28)), d(2026, 11, 30));
        assert_eq!(add_business_days(d(2026, 11, 25), 1), d(2026, 11, 27));
        assert_eq!(add_business_days(d(2026, 11, 25), 2), d(2026, 11, 30));
        assert_eq!(add_business_days(d(2026, 11, 28), 0), d(2026, 11, 28));
        // Christmas 2027 is a Saturday: Friday the 24th is off, Monday the 27th is open.
        assert_eq!(previous_business_day(d(2027, 12, 25)), d(2027, 12, 23));
        assert!(is_business_day(d(2027, 12, 27)));
    }

    #[test]
    fn months_step_across_years_and_know_their_length() {
        let december = Month::of(d(2023, 12, 9));
        assert_eq!(december.next(), Month::of(d(2024, 1, 31)));
        assert_eq!(december.next().previous(), december);
        assert_eq!(Month::of(d(2024, 2, 1)).last(), d(2024, 2, 29));
        assert_eq!(Month::of(d(2025, 2, 1)).last(), d(2025, 2, 28));
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2024, 1, 15), 12), d(2025, 1, 15));
    }

    /// The rule as first written, without the per-year cache.
    fn is_federal_holiday_by_rule(date: NaiveDate) -> bool {
        holidays_observed(date.year()).any(|holiday| holiday == date)
            || (date.month() == 12
                && date.day() == 31
                && observed(ymd(date.year() + 1, 1, 1)) == Some(date))
    }

    #[test]
    fn cached_holidays_match_the_rule_on_every_day_of_three_centuries() {
        let mut holidays = 0;
        for day in d(1900, 1, 1)
            .iter_days()
            .take_while(|day| day.year() < 2200)
        {
            assert_eq!(
                is_federal_holiday(day),
                is_federal_holiday_by_rule(day),
                "{day}"
            );
            holidays += usize::from(is_federal_holiday(day));
        }
        // 300 years of ten or eleven holidays, and the odd New Year observed the year before.
        assert!((3000..=3400).contains(&holidays), "{holidays}");
        // Asking out of order (another year between) answers the same.
        assert!(is_federal_holiday(d(2026, 11, 26)));
        assert!(is_federal_holiday(d(2021, 12, 31)));
        assert!(!is_federal_holiday(d(2026, 11, 27)));
    }

    #[test]
    fn jumped_business_days_match_a_day_at_a_time() {
        // Every start day of two centuries, weekends and holidays included, and every lag up
        // to six weeks: the jump lands where walking a day at a time does.
        for day in d(1950, 1, 1)
            .iter_days()
            .take_while(|day| day.year() < 2150)
        {
            for n in 0..=30 {
                assert_eq!(
                    add_business_days(day, n),
                    step_business_days(day, n),
                    "{day} + {n}"
                );
            }
        }
        // Across New Year's Day 2022, observed on Friday December 31st, 2021.
        assert_eq!(add_business_days(d(2021, 12, 30), 1), d(2022, 1, 3));
        // From Christmas Day 2021, a Saturday: Monday the 27th to Thursday the 30th, then
        // Monday January 3rd.
        assert_eq!(add_business_days(d(2021, 12, 25), 5), d(2022, 1, 3));
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        assert_eq!(previous_business_day(NaiveDate::MIN), NaiveDate::MIN);
        assert_eq!(next_business_day(NaiveDate::MAX), NaiveDate::MAX);
        let _ = is_federal_holiday(NaiveDate::MAX);
        assert_eq!(add_business_days(NaiveDate::MAX, 3), NaiveDate::MAX);
        assert_eq!(
            add_business_days(NaiveDate::MAX - Duration::days(10), 30),
            NaiveDate::MAX
        );
    }
}
