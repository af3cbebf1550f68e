//! The transaction mix: how many transactions a user's accounts hold per window, so that
//! INCOME keeps its share and every window of every as-of date holds a count within the
//! profile's bounds.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::draws::pick_weighted;
use crate::catalog::AccountKind;
use crate::persona::Persona;
use crate::profile::StoryProfile;
use crate::profile::story::{Payroll, StoryPersona};

/// Paychecks a window holds on average under `payroll`.
pub(super) fn expected_paychecks(payroll: Payroll, persona: &StoryPersona, window: f64) -> f64 {
    match payroll {
        Payroll::Biweekly => window / 14.0,
        Payroll::Semimonthly => window * 24.0 / 365.2425,
        Payroll::Irregular => {
            let (lo, hi) = persona.pay_gap_days;
            window / ((lo + hi) as f64 / 2.0)
        }
    }
}

/// How much to shrink every user's transaction count so that paychecks are INCOME's share
/// of all transactions dataset-wide.
///
/// A user's count is its paychecks over INCOME's share, but never below `min_per_account`
/// per account. Irregular earners have few paychecks and hit that floor, which adds
/// non-income transactions; the others' counts shrink by the expected excess. Expectations
/// are per persona: paychecks by schedule, accounts by the sets the persona may hold.
pub(super) fn income_scale(profile: &StoryProfile) -> f64 {
    let window = profile.common.window_days as f64;
    let share = f64::from(profile.income().weight) / 100.0;
    let accounts = &profile.accounts;
    let min_per_account = profile.transactions_per_account.0;
    let (mut regular, mut excess) = (0.0, 0.0);
    for kind in Persona::ALL {
        let persona = profile.persona(kind);
        let paychecks = persona
            .payroll
            .iter()
            .map(|&p| expected_paychecks(p, persona, window))
            .sum::<f64>()
            / persona.payroll.len() as f64;
        let sets = accounts
            .iter()
            .filter(|s| persona.requires.iter().all(|k| s.kinds.contains(k)));
        let (weight, held) = sets.fold((0.0, 0.0), |(w, h), s| {
            (
                w + f64::from(s.weight),
                h + f64::from(s.weight) * s.kinds.len() as f64,
            )
        });
        let floor = if weight > 0.0 { held / weight } else { 1.0 } * f64::from(min_per_account);
        let wanted = paychecks / share;
        let p = f64::from(profile.common.share(kind));
        if wanted < floor {
            excess += p * (floor - wanted);
        } else {
            regular += p * wanted;
        }
    }
    if regular <= 0.0 {
        1.0
    } else {
        ((regular - excess) / regular).clamp(0.5, 1.0)
    }
}

/// What an account carries per window besides purchases: its scheduled transactions
/// (paychecks, recurring charges) on average, and how many schedules they come from.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Scheduled {
    /// Transactions per window, on average.
    pub(super) per_window: f64,
    /// Schedules: each may put one more or one fewer in a given window than on average.
    pub(super) series: u32,
}

/// The least and most transactions an account may be planned to hold per window, so that
/// any window holds a count within the profile's bounds: a window's edges may each cut a
/// purchase slot and each schedule's occurrence (one fewer or more), voided authorisations
/// add the few still pending, and the pending lags carry into a window the posted twins of
/// authorisations made up to the longest lag before it (`stretch` is one plus that share of
/// a window).
pub(super) fn planned_bounds(bounds: (u32, u32), scheduled: Scheduled, stretch: f64) -> (u32, u32) {
    let (lo, hi) = bounds;
    let low = lo + 2 + scheduled.series;
    // Two more for voided authorisations still pending on the date.
    let high = (f64::from(hi.saturating_sub(3 + scheduled.series)) / stretch).floor() as u32;
    if low <= high {
        (low, high)
    } else {
        let middle = (lo + hi) / 2;
        (middle, middle)
    }
}

/// Purchases per window per account: the user's total (`wanted` transactions, within what
/// the accounts may hold) less what each account's schedules already put there, the rest
/// spread over the accounts by the kinds' spending weights.
pub(super) fn purchases_per_window(
    rng: &mut Pcg64,
    profile: &StoryProfile,
    kinds: &[AccountKind],
    scheduled: &[Scheduled],
    wanted: u32,
    stretch: f64,
) -> Vec<u32> {
    let bounds: Vec<(u32, u32)> = scheduled
        .iter()
        .map(|&s| planned_bounds(profile.transactions_per_account, s, stretch))
        .collect();
    let mut counts: Vec<u32> = bounds
        .iter()
        .zip(scheduled)
        .map(|(&(low, high), s)| (s.per_window.ceil() as u32).clamp(low, high))
        .collect();
    let floor: u32 = counts.iter().sum();
    let ceiling: u32 = bounds.iter().map(|b| b.1).sum();
    let total = wanted.clamp(floor, ceiling);
    let weights: Vec<u32> = kinds
        .iter()
        .map(|k| profile.spending_weights[k.index()])
        .collect();
    for _ in floor..total {
        let open: Vec<usize> = (0..counts.len())
            .filter(|&a| counts[a] < bounds[a].1)
            .collect();
        let a = open[pick_weighted(rng, open.iter().map(|&a| weights[a]))];
        counts[a] += 1;
    }
    counts
        .iter()
        .zip(scheduled)
        .map(|(&count, s)| count.saturating_sub(s.per_window.round() as u32).max(1))
        .collect()
}

/// How many transactions a user wants per window: its paychecks over INCOME's weight,
/// scaled by the profile's income scale and a jitter drawn from `count_jitter_percent`.
pub(super) fn wanted(
    rng: &mut Pcg64,
    profile: &StoryProfile,
    paychecks: f64,
    income_scale: f64,
) -> u32 {
    let share = f64::from(profile.income().weight) / 100.0;
    let (lo, hi) = profile.count_jitter_percent;
    let jitter = f64::from(rng.random_range(lo..=hi)) / 100.0;
    (paychecks / share * income_scale * jitter).round() as u32
}
