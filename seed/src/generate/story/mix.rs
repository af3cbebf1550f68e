//! The transaction mix: how many transactions a user gets, so that INCOME keeps its share.

use crate::persona::Persona;
use crate::profile::StoryProfile;
use crate::profile::story::Payroll;

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
            .map(|p| match p {
                Payroll::Biweekly => window / 14.0,
                Payroll::Semimonthly => window * 24.0 / 365.25,
                Payroll::Irregular => {
                    let (lo, hi) = persona.pay_gap_days;
                    let first = hi as f64 / 2.0;
                    ((window - first) / ((lo + hi) as f64 / 2.0)).max(0.0) + 1.0
                }
            })
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
