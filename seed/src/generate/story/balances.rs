//! Balances, limits and APRs as of a date, set from the transactions that date shows.

use backend::Account;
use rand::RngExt;

use super::super::draws::{Purpose, UserDraws};
use super::super::timeline::Day;
use crate::calendar::DAYS_PER_MONTH;
use crate::catalog::AccountKind;
use crate::profile::StoryProfile;
use crate::profile::story::StoryPersona;

/// One transaction an as-of date shows: its account, day and amount.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    pub(super) account: u8,
    pub(super) day: Day,
    pub(super) amount: i64,
}

/// What balances are set from: the user's profile and persona, and the transactions the
/// as-of date shows within its window.
pub(super) struct BalanceInputs<'a> {
    pub(super) profile: &'a StoryProfile,
    pub(super) params: &'a StoryPersona,
    pub(super) kinds: &'a [AccountKind],
    pub(super) flows: &'a [Flow],
    /// The as-of day.
    pub(super) as_of: Day,
}

/// Sets each account's balance as of a date. A card owes at least its recent charges at the
/// persona's utilisation; savings hold a cushion plus what flowed in; checking is drawn from
/// the profile's range, or measured in months of the user's own spending for personas that
/// fix it. These are the story profile's balances: drawn to show each persona's signal, not
/// derived from a ledger, so they do not equal an opening balance plus the flows. Checking
/// receives most paychecks and spends far less, so nearly every checking account would have
/// had to start the window below zero for its balance to be the sum of its flows (49 of the
/// 50 of the default 50 users as of 2025-06-01); savings, a cushion plus their net inflow,
/// would not.
///
/// The story has no statement cycle and no card payments, so a card's statement and payment
/// fields (`last_statement_balance`, `last_statement_issue_date`, `next_payment_due_date`,
/// `last_payment_amount`, `last_payment_date`) stay null: the data holds none of the events
/// they report, and a statement balance computed back from a drawn balance would be a figure
/// no ledger produced. `min_payment` is the profile's percentage of the balance and
/// `is_overdue` is drawn with the persona's overdue share.
/// Each account draws from its own generator, the same at every as-of date: a persona's
/// utilisation, overdue state, limit and APR stay the user's as the dates move.
pub(super) fn set_balances(
    draws: &UserDraws,
    inputs: &BalanceInputs<'_>,
    accounts: &mut [Account],
) {
    let BalanceInputs {
        profile,
        params,
        kinds,
        flows,
        as_of,
    } = inputs;
    let months = profile.common.window_days as f64 / DAYS_PER_MONTH;
    let spending: i64 = flows
        .iter()
        .filter(|e| e.amount > 0)
        .map(|e| e.amount)
        .sum();
    let b = &profile.balances;
    for (a, (account, kind)) in accounts.iter_mut().zip(kinds.iter()).enumerate() {
        let mine = flows.iter().filter(|e| e.account as usize == a);
        let rng = &mut draws.at(Purpose::Balances, kind.index() as u64, 0);
        match kind {
            AccountKind::CreditCard => {
                let recent: i64 = mine
                    .filter(|e| e.day >= as_of - b.recent_charge_days)
                    .map(|e| e.amount)
                    .sum();
                let overdue = rng.random_range(0..100) < params.overdue_percent;
                let (lo, hi) = if overdue {
                    params.overdue_utilization_percent
                } else {
                    params.card_utilization_percent
                };
                let utilization =
                    rng.random_range(f64::from(lo.max(1))..=f64::from(hi.max(1))) / 100.0;
                // Limits are whole steps (hundreds of dollars, as issuers set them), raised
                // when the recent charges alone would overshoot the persona's utilisation.
                let (min_limit, max_limit) = b.credit_limit_cents;
                let step = b.credit_limit_step_cents;
                let drawn = rng.random_range(min_limit / step..=max_limit / step) * step;
                let needed = ((recent as f64 / utilization) / step as f64).ceil() as i64 * step;
                let limit = drawn.max(needed).min(max_limit / step * step);
                let mut balance = ((limit as f64 * utilization).round() as i64).max(recent);
                if !overdue {
                    balance = balance.min(limit);
                }
                let (min_apr, max_apr) = b.apr_basis_points;
                account.balance = balance;
                account.credit_limit = Some(limit);
                account.apr = Some(rng.random_range(min_apr..=max_apr) as f64 / 100.0);
                account.min_payment = Some(min_payment(balance, b.min_payment_percent));
                account.is_overdue = Some(overdue);
            }
            AccountKind::Savings => {
                // A cushion drawn from the range, plus whatever net deposits came in over the
                // window.
                let (min, max) = b.savings_cents;
                let cushion = rng.random_range(min..=max);
                let inflow: i64 = -mine.map(|e| e.amount).sum::<i64>();
                account.balance = cushion + inflow.max(0);
            }
            AccountKind::Checking => {
                account.balance = match params.checking_cover_percent {
                    Some((lo, hi)) => {
                        let monthly = spending as f64 / months;
                        (monthly * f64::from(rng.random_range(lo..=hi)) / 100.0).round() as i64
                    }
                    None => rng.random_range(b.checking_cents.0..=b.checking_cents.1),
                };
            }
        }
    }
}

/// The minimum payment on a card balance, rounded half up to whole cents. Computed in
/// `i128`: a balance near a profile's largest credit limit times the percentage does not fit
/// `i64`, while the result (at most the balance, for a percentage of 0 to 100) does.
pub fn min_payment(balance_cents: i64, percent: i64) -> i64 {
    let cents = (i128::from(balance_cents) * i128::from(percent) + 50) / 100;
    i64::try_from(cents).unwrap_or(if cents < 0 { i64::MIN } else { i64::MAX })
}
