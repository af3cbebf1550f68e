//! The calibrated generator's timelines: what a day holds never depends on how far the
//! timeline is drawn, and pending transactions settle as a card network settles them (issue
//! 16's "pending realism"): a posted twin on or after its pending original and within the
//! lag, tips only on restaurants, holds only at the pump and the hotel, no pending row older
//! than the longest lag.

use std::collections::HashMap;

use backend::{Change, Transaction};
use chrono::{Duration, NaiveDate};
use seed::calendar::add_business_days;
use seed::generate::GenConfig;
use seed::generate::timeline::Day;
use seed::persona::Persona;
use seed::profile::Authorization;
use seed::profile::Profile;

use crate::calibrated::as_of as origin;
use crate::support::calibrated_profile;

fn config(seed: u64, as_of: NaiveDate) -> GenConfig {
    GenConfig::with_profile(seed, as_of, Profile::calibrated()).with_origin(origin())
}

/// A timeline drawn to show day `a` holds, on day `a`, exactly what a timeline drawn a year
/// further holds, for users of every persona (personas are dealt in blocks of 20), at the
/// origin and a month later: rows, accounts, streams, and the changes up to that day.
#[test]
fn what_a_day_holds_does_not_depend_on_how_far_the_timeline_is_drawn() {
    let config = config(21, origin());
    let window = calibrated_profile().common.window_days;
    let a = config.day_of(origin());
    let mut personas = Vec::new();
    for index in 0..60 {
        personas.push(config.persona_of(index));
        let long = config.timeline(index, &[a, a + 30, a + 365]);
        for (which, day) in [(0, a), (1, a + 30)] {
            let short = config.timeline(index, &[day]);
            assert_eq!(
                short.snapshot(0, day, day - window),
                long.snapshot(which, day, day - window),
                "user {index} on day {day}"
            );
            assert_eq!(short.changes(0, day), long.changes(0, day), "user {index}");
        }
    }
    for persona in Persona::ALL {
        assert!(personas.contains(&persona), "no {} user", persona.name());
    }
}

/// Every pending authorisation and its posted twin over a year and a half of 200 users'
/// timelines, read from the change log a sync would page through.
#[test]
fn pending_transactions_settle_as_card_networks_settle_them() {
    let profile = calibrated_profile();
    let (lo, hi) = profile.common.pending.lag_days;
    assert!(profile.common.pending.business_days);
    let (lo, hi) = (lo as u32, hi as u32);
    let holds: HashMap<&str, i64> = profile
        .purchases
        .iter()
        .filter_map(|g| match g.authorization {
            Authorization::Hold(cents) => Some((g.detailed.as_str(), cents)),
            _ => None,
        })
        .collect();
    let tipped: Vec<&str> = profile
        .purchases
        .iter()
        .filter(|g| matches!(g.authorization, Authorization::Tip(_)))
        .map(|g| g.detailed.as_str())
        .collect();
    assert_eq!(tipped, ["FOOD_AND_DRINK_RESTAURANT"]);
    let as_of = origin() + Duration::days(365);
    let config = config(22, as_of);
    let until = config.day_of(as_of);
    let (mut twins, mut tips, mut held) = (0, 0, 0);
    for index in 0..200 {
        let timeline = config.timeline(index, &[until]);
        let rows = latest_rows(&timeline, until);
        // A twin's bank may correct its category within days of posting: those posted long
        // enough before the end show their final category.
        let settled = timeline.date(until - profile.common.corrections.within_days.1 - 1);
        let twins_of = rows
            .values()
            .filter(|t| t.pending_transaction_id.is_some() && t.date.date() < settled);
        for twin in twins_of {
            let original = &rows[twin.pending_transaction_id.as_deref().expect("a twin")];
            assert!(original.pending && !twin.pending, "{twin:?}");
            let (authorised, posted) = (original.date.date(), twin.date.date());
            assert!(
                posted >= add_business_days(authorised, lo),
                "{original:?} {twin:?}"
            );
            assert!(
                posted <= add_business_days(authorised, hi),
                "{original:?} {twin:?}"
            );
            let detailed = twin
                .category_detailed
                .as_deref()
                .expect("a detailed category");
            if twin.amount > original.amount && !holds.contains_key(detailed) {
                assert!(tipped.contains(&detailed), "a tip on {twin:?}");
                tips += 1;
            }
            match holds.get(detailed) {
                Some(&hold) => {
                    assert_eq!(original.amount, hold, "{original:?}");
                    held += 1;
                }
                None if !tipped.contains(&detailed) => {
                    assert_eq!(twin.amount, original.amount, "{twin:?}")
                }
                None => {}
            }
            twins += 1;
        }
        no_pending_row_is_older_than_the_longest_lag(&timeline, until, hi);
    }
    assert!(
        twins > 50_000 && tips > 1_000 && held > 1_000,
        "{twins} {tips} {held}"
    );
}

/// The last version of every row the change log added or modified (a removed pending row
/// keeps its last version, and a posted one shows corrected), by id.
fn latest_rows(
    timeline: &seed::generate::timeline::Timeline<'_>,
    until: Day,
) -> HashMap<String, Transaction> {
    use seed::generate::timeline::Stage;
    let mut versions = HashMap::new();
    for life in 0..timeline.lives.len() {
        for view in [(Stage::Pending, false), (Stage::Posted, true)] {
            let row = timeline.row(life, view);
            versions.insert(row.id.clone(), row);
        }
    }
    let mut rows = HashMap::new();
    for change in timeline.changes(0, until) {
        if change.change != Change::Removed {
            rows.insert(change.id.clone(), versions[&change.id].clone());
        }
    }
    rows
}

/// On every tenth day, each pending row shows at most `hi` business days after it was
/// authorised.
fn no_pending_row_is_older_than_the_longest_lag(
    timeline: &seed::generate::timeline::Timeline<'_>,
    until: Day,
    hi: u32,
) {
    for a in (1..=until).step_by(10) {
        let day = timeline.date(a);
        for row in timeline.transactions_at(a, 0).1 {
            if row.pending {
                let authorised = row.date.date();
                assert!(day <= add_business_days(authorised, hi), "{row:?} on {day}");
            }
        }
    }
}

/// The rows a day shows come out in output order (by account, then date, then id), each
/// beside the life it belongs to, and each as that life's own row of the day: over 60 users
/// and a year of days, one in seven.
#[test]
fn the_rows_a_day_shows_are_in_order_each_beside_its_life() {
    let config = config(5, origin());
    let a0 = config.day_of(origin());
    for index in 0..60 {
        let timeline = config.timeline(index, &[a0 + 365]);
        for a in (1..=a0 + 365).step_by(7) {
            let from = a - 90;
            let (lives, rows) = timeline.transactions_at(a, from);
            assert_eq!(lives.len(), rows.len());
            let shown = (0..timeline.lives.len())
                .filter(|&life| timeline.row_at(life, a, from).is_some())
                .count();
            assert_eq!(rows.len(), shown, "user {index} on day {a}");
            for (&life, row) in lives.iter().zip(&rows) {
                assert_eq!(timeline.row_at(life, a, from).as_ref(), Some(row));
            }
            let key = |(life, row): (&usize, &Transaction)| {
                (timeline.lives[*life].account, row.date, row.id.clone())
            };
            let keys: Vec<_> = lives.iter().zip(&rows).map(key).collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "user {index} on day {a}"
            );
        }
    }
}
