//! Opening a user's accounts: which kinds, and each account's name and mask.

use backend::{Account, User};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::rng::{pick_weighted, uuid_v4};
use crate::catalog::AccountKind;
use crate::profile::{AccountSet, Profile};

/// Picks an account set holding every kind in `requires`; validation keeps one with a
/// positive weight for every persona.
pub(super) fn pick_accounts<'p>(
    rng: &mut Pcg64,
    profile: &'p Profile,
    requires: &[AccountKind],
) -> &'p AccountSet {
    let fits: Vec<&AccountSet> = profile
        .accounts
        .iter()
        .filter(|set| requires.iter().all(|k| set.kinds.contains(k)))
        .collect();
    fits[pick_weighted(rng, fits.iter().map(|s| s.weight))]
}

/// A new account of `kind` for `user`, with no balance yet.
pub(super) fn new_account(rng: &mut Pcg64, user: &User, kind: AccountKind) -> Account {
    let names = kind.names();
    let credit = kind == AccountKind::CreditCard;
    Account {
        id: uuid_v4(rng),
        user_id: user.id.clone(),
        name: names[rng.random_range(0..names.len())].to_owned(),
        account_type: kind.account_type().to_owned(),
        subtype: kind.subtype().to_owned(),
        mask: format!("{:04}", rng.random_range(0..10_000)),
        balance: 0,
        currency: "USD".to_owned(),
        credit_limit: None,
        apr: None,
        min_payment: None,
        is_overdue: credit.then_some(false),
        last_statement_balance: None,
        last_statement_issue_date: None,
        next_payment_due_date: None,
        last_payment_amount: None,
        last_payment_date: None,
    }
}
