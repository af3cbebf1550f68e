//! How a transaction settles and how its bank corrects it, drawn the same way for every
//! generator from the profile's `[pending]` and `[corrections]` and a merchant group's
//! authorisation: the pending lag (calendar or business days), the authorisations that drop,
//! tips added when a restaurant charge posts, holds replaced by the final amount, and posted
//! rows renamed or recategorised a few days later.

use chrono::{Duration, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::draws::chance;
use super::timeline::{Correction, Day, Settle};
use crate::calendar::add_business_days;
use crate::profile::{Authorization, Corrections, Pending};

/// The category a bank files a purchase under before it knows better.
const GENERIC_CATEGORY: (&str, &str) = (
    "GENERAL_MERCHANDISE",
    "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
);

/// A user's settlement rules: the profile's, on the user's calendar.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settler {
    pending: Pending,
    corrections: Corrections,
    /// The timeline's first day.
    start: NaiveDate,
}

/// A transaction as authorised and as it settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Settled {
    /// The amount the authorisation (or the transaction, if it posts at once) shows.
    pub(super) amount: i64,
    /// How it settles.
    pub(super) settle: Settle,
}

impl Settler {
    pub(super) fn new(pending: Pending, corrections: Corrections, start: NaiveDate) -> Settler {
        Settler {
            pending,
            corrections,
            start,
        }
    }

    /// The longest a transaction can stay pending, in calendar days.
    pub(super) fn longest_lag(&self) -> Day {
        let (_, hi) = self.pending.lag_days;
        if self.pending.business_days {
            // Five business days take at most seven calendar days, plus holidays: a week of
            // slack per five business days is more than any US calendar needs.
            hi + (hi / 5 + 1) * 4
        } else {
            hi
        }
    }

    /// A pending lag, in the profile's days (calendar or business). A recurring series draws
    /// one for all its transactions: a biller settles the same way every time, so the series
    /// keeps its cadence.
    pub(super) fn draw_lag(&self, rng: &mut Pcg64) -> u32 {
        let (lo, hi) = self.pending.lag_days;
        rng.random_range(lo..=hi) as u32
    }

    /// How a transaction authorised on `day` for `amount` (signed as stored) by a merchant
    /// whose authorisations work as `authorization` settles: it pends for `lag` of the
    /// profile's days (see [`Settler::draw_lag`]), then posts, with a tip added, or the final
    /// amount replacing a hold.
    pub(super) fn pend(
        &self,
        rng: &mut Pcg64,
        day: Day,
        lag: u32,
        amount: i64,
        authorization: Authorization,
    ) -> Settled {
        let lag = self.calendar_days(day, lag);
        let (authorized, posted) = match authorization {
            Authorization::Exact => (amount, amount),
            Authorization::Tip((lo, hi)) => {
                let percent = rng.random_range(lo..=hi);
                (amount, amount + (amount * i64::from(percent) + 50) / 100)
            }
            Authorization::Hold(hold) => (hold * amount.signum(), amount),
        };
        Settled {
            amount: authorized,
            settle: Settle::Posts {
                lag,
                amount: posted,
            },
        }
    }

    /// A voided authorisation beside a purchase authorised on `day`, if the profile's drop
    /// share draws one: a duplicate or cancelled authorisation that shows as pending for a
    /// lag and then drops. It is an authorisation of its own, so the purchase still posts.
    pub(super) fn void(&self, rng: &mut Pcg64, day: Day) -> Option<Settle> {
        if !chance(rng, self.pending.drop_percent) {
            return None;
        }
        let lag = self.draw_lag(rng);
        Some(Settle::Drops {
            lag: self.calendar_days(day, lag),
        })
    }

    /// `lag` of the profile's days after day `day`, in calendar days.
    pub(super) fn calendar_days(&self, day: Day, lag: u32) -> Day {
        if self.pending.business_days {
            let date = self.start + Duration::days(day);
            (add_business_days(date, lag) - date).num_days()
        } else {
            i64::from(lag)
        }
    }

    /// The bank's correction of a purchase that posts on `posted` at `merchant` in
    /// `category`, if it makes one: a raw descriptor renamed, or a generic category refined.
    pub(super) fn correct<'p>(
        &self,
        rng: &mut Pcg64,
        posted: Day,
        merchant: &str,
        category: &'p str,
    ) -> Option<Correction<'p>> {
        let (lo, hi) = self.corrections.within_days;
        let day = posted + rng.random_range(lo..=hi);
        let renamed = chance(rng, self.corrections.merchant_percent);
        let refiled =
            chance(rng, self.corrections.category_percent) && category != GENERIC_CATEGORY.0;
        if !renamed && !refiled {
            return None;
        }
        Some(Correction {
            day,
            merchant: renamed.then(|| raw_descriptor(rng, merchant)),
            category: refiled.then_some((GENERIC_CATEGORY.0, Some(GENERIC_CATEGORY.1))),
        })
    }
}

/// The name a card network passes on for `merchant` before the bank cleans it: upper case,
/// letters, digits and ampersands only, a processor's prefix now and then, cut to the 22
/// characters of a descriptor, and a store number.
fn raw_descriptor(rng: &mut Pcg64, merchant: &str) -> String {
    const PREFIXES: [&str; 4] = ["", "", "SQ *", "TST* "];
    let prefix = PREFIXES[rng.random_range(0..PREFIXES.len())];
    let name: String = merchant
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '&')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let name: String = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let room = 22usize.saturating_sub(prefix.len());
    let name: String = name.chars().take(room).collect();
    format!(
        "{prefix}{} #{:04}",
        name.trim_end(),
        rng.random_range(1..10_000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn settler(business_days: bool) -> Settler {
        Settler::new(
            Pending {
                lag_days: (1, 3),
                business_days,
                drop_percent: 0.0,
            },
            Corrections {
                merchant_percent: 100.0,
                category_percent: 0.0,
                within_days: (1, 7),
            },
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        )
    }

    #[test]
    fn business_day_lags_skip_weekends_and_holidays() {
        let settler = settler(true);
        let mut longest = 0;
        for seed in 0..200 {
            let rng = &mut Pcg64::seed_from_u64(seed);
            // Day 6 is Thursday 2026-11-26, Thanksgiving.
            let lag = settler.draw_lag(rng);
            let Settle::Posts { lag, amount } = settler
                .pend(rng, 6, lag, 1_000, Authorization::Exact)
                .settle
            else {
                panic!("nothing drops at 0%");
            };
            assert_eq!(amount, 1_000);
            // One to three business days after Thanksgiving: Friday, Monday or Tuesday.
            assert!([1, 4, 5].contains(&lag), "lag {lag}");
            longest = longest.max(lag);
        }
        assert!(longest <= settler.longest_lag());
    }

    #[test]
    fn tips_are_added_and_holds_replaced_when_they_post() {
        let settler = settler(false);
        let rng = &mut Pcg64::seed_from_u64(1);
        let tipped = settler.pend(rng, 0, 2, 4_000, Authorization::Tip((15, 25)));
        let Settle::Posts { amount, .. } = tipped.settle else {
            panic!("posts")
        };
        assert_eq!(tipped.amount, 4_000);
        assert!((4_600..=5_000).contains(&amount), "{amount}");
        let held = settler.pend(rng, 0, 2, 4_217, Authorization::Hold(10_000));
        assert_eq!(held.amount, 10_000);
        assert!(matches!(held.settle, Settle::Posts { amount: 4_217, .. }));
    }

    #[test]
    fn raw_descriptors_are_upper_case_and_short() {
        let rng = &mut Pcg64::seed_from_u64(3);
        for _ in 0..50 {
            let raw = raw_descriptor(rng, "Bean & Leaf Coffee");
            assert!(
                raw.contains("BEAN & LEAF COFFEE") || raw.contains("BEAN & LEAF"),
                "{raw}"
            );
            assert!(raw.len() <= 28, "{raw}");
            assert_eq!(raw, raw.to_ascii_uppercase());
        }
        let correction = settler(false).correct(rng, 5, "Corner Drug Store", "HEALTHCARE");
        let correction = correction.expect("every purchase is renamed at 100%");
        assert!((6..=12).contains(&correction.day));
        assert!(correction.category.is_none());
    }
}
