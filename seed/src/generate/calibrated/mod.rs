//! The calibrated generator: one household whose money adds up, simulated day by day from its
//! timeline's start, from the calibrated profile.
//!
//! A user's [`Household`] runs forward from day 0 (the origin minus the window) to the last
//! as-of day asked for, and what happens on a day depends only on the days before it: pay
//! arrives on its schedule ([`payroll`]), bills fall due and subscriptions come and go
//! ([`bills`]), purchases arrive at their habits' rates and pend before they post
//! ([`shopping`]), a budget factor ([`budget`]) keeps spending within income by following
//! what the household has at hand, savings take a share of pay and refill a low checking
//! account ([`savings`]), and the card closes monthly statements that its user pays as their
//! habit says, with interest and late fees ([`card`]). The [`ledger::Ledger`] keeps every account's
//! posted balance and pending authorisations, so a balance as of any day is its opening
//! balance plus the transactions posted before that day, and every decision (a decline, a
//! refill, a payment) is made on what the books show at the time.
//!
//! Like the story generator it does no I/O and reads no clock; every draw and every id is
//! keyed by (seed, user index, purpose, series, occurrence) ([`super::draws`]), so a user is
//! the same whatever the thread count or `--num-users`, and a change to one part of the
//! profile moves only the draws made for that part.

mod bills;
mod budget;
mod card;
mod household;
mod ledger;
mod payroll;
mod savings;
mod shopping;
mod streams;

use std::sync::Arc;

use rand_pcg::Pcg64;

use super::draws::Purpose;
use super::timeline::{Day, RowKey, Timeline};
use super::{GenConfig, Generator};
use crate::profile::CalibratedProfile;
use household::Household;

/// The calibrated generator.
#[derive(Debug)]
pub(super) struct CalibratedGenerator {
    profile: Arc<CalibratedProfile>,
}

impl CalibratedGenerator {
    pub(super) fn new(profile: Arc<CalibratedProfile>) -> CalibratedGenerator {
        CalibratedGenerator { profile }
    }
}

impl Generator for CalibratedGenerator {
    fn timeline<'g>(&'g self, config: &GenConfig, index: u64, at: &[Day]) -> Timeline<'g> {
        Household::new(&self.profile, config, index, at).run()
    }
}

/// The key of occurrence `occurrence` of series `series` of `purpose`.
fn key(purpose: Purpose, series: u32, occurrence: u64) -> RowKey {
    RowKey {
        purpose,
        series,
        occurrence: occurrence as u32,
    }
}

/// A value uniformly within the inclusive range `(lo, hi)` of percent, as a fraction.
fn percent_in(rng: &mut Pcg64, (lo, hi): (u32, u32)) -> f64 {
    use rand::RngExt;
    f64::from(rng.random_range(lo..=hi)) / 100.0
}

/// The categories, detailed categories and names of the rows the generator makes of its own
/// accord (money between a user's accounts, card payments, fees): Plaid's vocabulary, not a
/// profile's choice.
mod vocabulary {
    /// A move from checking to savings, as checking shows it.
    pub(super) const TO_SAVINGS: Side = Side {
        category: "TRANSFER_OUT",
        detailed: "TRANSFER_OUT_SAVINGS",
        merchant: "Transfer to Savings",
    };
    /// The same move, as savings shows it.
    pub(super) const FROM_CHECKING: Side = Side {
        category: "TRANSFER_IN",
        detailed: "TRANSFER_IN_SAVINGS",
        merchant: "Transfer from Checking",
    };
    /// A move from savings to checking, as savings shows it.
    pub(super) const TO_CHECKING: Side = Side {
        category: "TRANSFER_OUT",
        detailed: "TRANSFER_OUT_ACCOUNT_TRANSFER",
        merchant: "Transfer to Checking",
    };
    /// The same move, as checking shows it.
    pub(super) const FROM_SAVINGS: Side = Side {
        category: "TRANSFER_IN",
        detailed: "TRANSFER_IN_ACCOUNT_TRANSFER",
        merchant: "Transfer from Savings",
    };
    /// A card payment, as checking shows it.
    pub(super) const CARD_PAYMENT: Side = Side {
        category: "LOAN_PAYMENTS",
        detailed: "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        merchant: "Credit Card Payment",
    };
    /// The same payment, as the card shows it.
    pub(super) const PAYMENT_THANK_YOU: Side = Side {
        category: "LOAN_PAYMENTS",
        detailed: "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        merchant: "Payment Thank You",
    };
    /// Interest on a revolving card balance.
    pub(super) const INTEREST: Side = Side {
        category: "BANK_FEES",
        detailed: "BANK_FEES_INTEREST_CHARGE",
        merchant: "Interest Charge",
    };
    /// A card's late fee (Plaid has no detailed category of its own for one).
    pub(super) const LATE_FEE: Side = Side {
        category: "BANK_FEES",
        detailed: "BANK_FEES_OTHER_BANK_FEES",
        merchant: "Late Fee",
    };
    /// An ATM's fee.
    pub(super) const ATM_FEE: Side = Side {
        category: "BANK_FEES",
        detailed: "BANK_FEES_ATM_FEES",
        merchant: "ATM Fee",
    };
    /// An overdraft fee.
    pub(super) const OVERDRAFT_FEE: Side = Side {
        category: "BANK_FEES",
        detailed: "BANK_FEES_OVERDRAFT_FEES",
        merchant: "Overdraft Fee",
    };
    /// The category of pay.
    pub(super) const INCOME: &str = crate::catalog::INCOME;

    /// How one side of a row the generator makes of its own accord is filed.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Side {
        pub(super) category: &'static str,
        pub(super) detailed: &'static str,
        pub(super) merchant: &'static str,
    }

    impl Side {
        /// A row filed this way that posts at once, of no stream and never corrected:
        /// `amount` on `account` at `secs` of `day`, keyed `key`.
        pub(in super::super) fn posted<'p>(
            self,
            key: super::RowKey,
            (account, day, secs): (u8, super::Day, i64),
            amount: i64,
        ) -> super::super::timeline::Life<'p> {
            super::super::timeline::Life {
                key,
                account,
                day,
                secs,
                amount,
                category: self.category,
                detailed: Some(self.detailed),
                merchant: self.merchant,
                stream: None,
                settle: super::super::timeline::Settle::Posted,
                correction: None,
            }
        }
    }
}
