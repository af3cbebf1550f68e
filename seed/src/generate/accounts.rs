//! Opening an account: its id, name and mask, the same way for every generator.

use backend::{Account, User};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::draws::uuid_v4;
use crate::catalog::AccountKind;

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
