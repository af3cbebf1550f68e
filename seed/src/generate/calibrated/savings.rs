//! Money between a user's checking and savings: a share of each paycheck saved on payday, a
//! low checking account refilled from savings, a saver's savings beyond their usual level
//! moved back to be spent, and a gig earner's payments parked in savings.
//!
//! Savings never pay for anything else. Every move is a TRANSFER_OUT on one account and a
//! TRANSFER_IN of the same amount on the other, the same second.

use rand::RngExt;

use super::super::draws::{Purpose, UserDraws, chance, second_in};
use super::super::timeline::{Day, Life};
use super::ledger::{CHECKING, Ledger};
use super::payroll::Paycheck;
use super::vocabulary::{FROM_CHECKING, FROM_SAVINGS, TO_CHECKING, TO_SAVINGS};
use super::{key, percent_in};
use crate::profile::calibrated::Savings as SavingsTerms;

/// What a user's savings are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Saver {
    /// A savings builder: a large share of every paycheck, never taken back.
    Builder,
    /// A gig earner: payments parked in savings, checking refilled from them.
    Gig,
    /// Anyone else: a small share of every paycheck, savings kept about where they are.
    Usual,
}

/// The kinds of moves, whose numbers key their rows (twice the kind, plus one for the side
/// money comes into).
#[derive(Debug, Clone, Copy)]
enum Move {
    /// A share of a paycheck (occurrence: the paycheck).
    Deposit = 0,
    /// A gig payment parked (occurrence: the payment).
    Park = 1,
    /// A low checking account refilled (occurrence: the day).
    Refill = 2,
    /// A saver's savings beyond their usual level (occurrence: the month).
    Withdrawal = 3,
}

/// A user's savings habits.
#[derive(Debug, Clone)]
pub(super) struct Savings<'p> {
    terms: &'p SavingsTerms,
    /// The savings account.
    account: u8,
    saver: Saver,
    /// Share of a paycheck saved.
    share: f64,
    /// What a usual saver keeps in savings.
    usual: i64,
    /// Checking below this at the start of a day is refilled...
    low: i64,
    /// ...to this.
    refill: i64,
    /// Debit purchases keep checking at or above this.
    reserve: i64,
    /// What a gig earner keeps in checking on a payday.
    keep: i64,
}

impl<'p> Savings<'p> {
    /// The habits of a `saver` whose savings account is `account`, who keeps `usual` in
    /// savings and `cushion` in checking, and is paid `monthly` a month.
    pub(super) fn new(
        terms: &'p SavingsTerms,
        (account, saver): (u8, Saver),
        share: f64,
        (usual, cushion): (i64, i64),
        monthly: i64,
    ) -> Savings<'p> {
        let of_month = |percent: u32| monthly * i64::from(percent) / 100;
        // A gig earner lives on refills: checking is refilled once purchases have spent part
        // of the last refill, before they reach the cushion.
        let (low, refill, keep, reserve) = match saver {
            Saver::Gig => (
                cushion
                    + of_month(terms.gig_refill_percent) * i64::from(terms.gig_low_percent) / 100,
                cushion + of_month(terms.gig_refill_percent),
                cushion + of_month(terms.gig_keep_percent),
                cushion,
            ),
            _ => {
                let low = cushion * i64::from(terms.low_percent) / 100;
                (low, cushion, 0, low)
            }
        };
        Savings {
            terms,
            account,
            saver,
            share,
            usual,
            low,
            refill,
            reserve,
            keep,
        }
    }

    /// What debit purchases leave in checking at least.
    pub(super) fn reserve(&self) -> i64 {
        self.reserve
    }

    /// The savings account.
    pub(super) fn account(&self) -> u8 {
        self.account
    }

    /// On payday, moves the paycheck's share to savings: builders at least their monthly
    /// least, others at most their monthly most, spread over the paychecks of a month.
    pub(super) fn deposit(
        &self,
        ledger: &mut Ledger<'p>,
        draws: &UserDraws,
        (day, pay): (Day, &Paycheck<'_>),
        per_year: u32,
    ) {
        if self.saver == Saver::Gig {
            return;
        }
        let t = self.terms;
        let rng = &mut draws.at(Purpose::Transfer, Move::Deposit as u64 * 2, pay.number);
        let per_paycheck = |monthly: i64| monthly as f64 * 12.0 / f64::from(per_year);
        let mut amount = pay.amount as f64 * self.share * percent_in(rng, t.jitter_percent);
        amount = if self.saver == Saver::Builder {
            let least = per_paycheck(t.builder_min_monthly_cents);
            amount.max(least * percent_in(rng, t.builder_min_percent))
        } else {
            let most = per_paycheck(t.max_monthly_cents);
            amount.min(most * percent_in(rng, t.max_percent))
        };
        let secs = second_in(rng, t.deposit_hours);
        let moved = (Move::Deposit, pay.number, (CHECKING, self.account));
        self.transfer(ledger, moved, (day, secs), amount.round() as i64);
    }

    /// On a gig payday, parks what checking holds beyond the earner's keep in savings.
    pub(super) fn park(&self, ledger: &mut Ledger<'p>, draws: &UserDraws, day: Day, number: u64) {
        if self.saver != Saver::Gig {
            return;
        }
        let rng = &mut draws.at(Purpose::Transfer, Move::Park as u64 * 2, number);
        let secs = second_in(rng, self.terms.deposit_hours);
        let excess = ledger.available(CHECKING) - self.keep;
        let moved = (Move::Park, number, (CHECKING, self.account));
        self.transfer(ledger, moved, (day, secs), excess);
    }

    /// At the start of a day, refills checking from savings if it holds less than its low
    /// mark (savings builders leave their savings alone).
    pub(super) fn refill(&self, ledger: &mut Ledger<'p>, draws: &UserDraws, day: Day) {
        let held = ledger.available(CHECKING);
        if self.saver == Saver::Builder || held >= self.low {
            return;
        }
        let amount = (self.refill - held).min(ledger.available(self.account));
        let rng = &mut draws.at(Purpose::Transfer, Move::Refill as u64 * 2, day as u64);
        let secs = second_in(rng, self.terms.top_up_hours);
        let moved = (Move::Refill, day as u64, (self.account, CHECKING));
        self.transfer(ledger, moved, (day, secs), amount);
    }

    /// At the start of month `month`, now and then, moves a usual saver's savings beyond
    /// their usual level back to checking, where the budget spends it.
    pub(super) fn withdraw(
        &self,
        ledger: &mut Ledger<'p>,
        draws: &UserDraws,
        day: Day,
        month: u64,
    ) {
        if self.saver != Saver::Usual {
            return;
        }
        let rng = &mut draws.at(Purpose::Transfer, Move::Withdrawal as u64 * 2, month);
        if !chance(rng, f64::from(self.terms.withdrawal_percent)) {
            return;
        }
        let secs = second_in(rng, self.terms.withdrawal_hours);
        let excess = ledger.available(self.account) - self.usual;
        let moved = (Move::Withdrawal, month, (self.account, CHECKING));
        self.transfer(ledger, moved, (day, secs), excess);
    }

    /// Both sides of a move of `amount` between `from` and `to`, unless it is less than the
    /// least a transfer moves.
    fn transfer(
        &self,
        ledger: &mut Ledger<'p>,
        (kind, occurrence, (from, to)): (Move, u64, (u8, u8)),
        (day, secs): (Day, i64),
        amount: i64,
    ) {
        if amount < self.terms.min_transfer_cents {
            return;
        }
        let (out, into) = if to == CHECKING {
            (TO_CHECKING, FROM_SAVINGS)
        } else {
            (TO_SAVINGS, FROM_CHECKING)
        };
        let series = kind as u32 * 2;
        let side = out.posted(
            key(Purpose::Transfer, series, occurrence),
            (from, day, secs),
            amount,
        );
        ledger.post(side.clone());
        ledger.post(Life {
            key: key(Purpose::Transfer, series + 1, occurrence),
            account: to,
            amount: -amount,
            category: into.category,
            detailed: Some(into.detailed),
            merchant: into.merchant,
            ..side
        });
    }
}

/// Draws the share of each paycheck a `saver` saves, from the profile's range for them.
pub(super) fn draw_share(rng: &mut rand_pcg::Pcg64, terms: &SavingsTerms, saver: Saver) -> f64 {
    let (lo, hi) = match saver {
        Saver::Builder => terms.builder_transfer_percent,
        _ => terms.transfer_percent,
    };
    f64::from(rng.random_range(lo..=hi)) / 100.0
}
