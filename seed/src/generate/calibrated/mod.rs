//! The calibrated generator: one user whose money adds up, from the calibrated profile.
//!
//! A user is built as a household's books would explain it ([`Ledger`]'s phases): a persona
//! and accounts, then pay ([`income`]), housing and bills ([`bills`]), everyday purchases
//! ([`purchases`]), transfers to and from savings, the card's month-by-month statements and
//! payments ([`cards`]), gig pay sized to what was spent, and last each depository account's
//! opening balance, the least that keeps it at or above zero on every day of the window, or
//! more ([`ledger`]). Every balance is its opening balance plus the window's posted
//! transactions, and each card's statement fields are read off its own ledger.
//!
//! Like the story generator it does no I/O and reads no clock; every draw comes from a
//! generator keyed by (seed, user index, purpose), so a user is the same whatever the thread
//! count or `--num-users`.

mod bills;
mod cards;
mod income;
mod ledger;
mod purchases;

use std::sync::Arc;

use backend::Account;
use chrono::{Duration, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::amounts::draw_log_normal as draw;
use super::draws::{Purpose as Keyed, UserDraws};
use super::timeline::{Day, Timeline};
use super::{GenConfig, Generator, accounts, identity};
use crate::catalog::{AccountKind, Frequency};
use crate::persona::Persona;
use crate::profile::CalibratedProfile;
use crate::profile::calibrated::{CalibratedPersona, StatementTerms};

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
        let until = at.iter().copied().max().unwrap_or(0);
        let as_of = config.start() + Duration::days(until);
        Ledger::new(config, &self.profile, index, as_of).build(at.len())
    }
}

/// What a draw is for, in the calibrated generator. Keys sit apart from the story's purposes.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    Identity,
    Accounts,
    Income,
    Bills,
    Purchases,
    Savings,
    Cards,
    Pending,
    Balances,
}

/// The draws of user `index` for `purpose`.
fn draws(seed: u64, index: u64, purpose: Purpose) -> Pcg64 {
    UserDraws::new(seed, index).at(Keyed::Balances, 1 << 32, purpose as u64)
}

/// A user's draws, one generator per purpose.
struct Draws {
    accounts: Pcg64,
    income: Pcg64,
    bills: Pcg64,
    purchases: Pcg64,
    savings: Pcg64,
    cards: Pcg64,
    pending: Pcg64,
    balances: Pcg64,
}

/// What a transaction is, for the phases that treat kinds differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A one-off purchase; may be pending, may be declined by a full card.
    Purchase,
    /// A refund of a purchase.
    Refund,
    /// A bill of a recurring stream.
    Bill,
    /// Pay.
    Income,
    /// One side of a transfer between the user's own accounts.
    Transfer,
    /// One side of a card payment.
    CardPayment,
    /// Interest, a late fee or an ATM fee.
    Fee,
}

/// No stream.
const NO_STREAM: u16 = u16::MAX;

/// A transaction before it has an id.
#[derive(Debug, Clone, Copy)]
struct Entry<'p> {
    account: u8,
    /// Day of the window, 0-based.
    day: i64,
    /// Seconds into the day.
    secs: i64,
    amount: i64,
    category: &'static str,
    merchant: &'p str,
    kind: Kind,
    stream: u16,
    pending: bool,
}

/// A recurring stream in the making; its transactions point at it by index.
struct StreamPlan<'p> {
    account: u8,
    merchant: &'p str,
    category: &'static str,
    frequency: Frequency,
    next_date: NaiveDate,
}

/// One user in the making.
struct Ledger<'c> {
    seed: u64,
    /// The date the window ends before.
    as_of: NaiveDate,
    cal: &'c CalibratedProfile,
    terms: StatementTerms,
    index: u64,
    persona: Persona,
    params: &'c CalibratedPersona,
    rng: Draws,
    identity: Pcg64,
    window_start: NaiveDate,
    days: i64,
    accounts: Vec<Account>,
    savings: Option<u8>,
    card: Option<u8>,
    /// Net pay per month; the basis of every budget.
    net_monthly: i64,
    /// The savings cushion drawn at the window's start.
    savings_opening: i64,
    /// Days of paychecks (or gig payments), with their amounts once known.
    paydays: Vec<i64>,
    entries: Vec<Entry<'c>>,
    streams: Vec<StreamPlan<'c>>,
    card_plan: Option<cards::CardPlan>,
    card_outcome: cards::CardOutcome,
}

impl<'c> Ledger<'c> {
    fn new(config: &GenConfig, cal: &'c CalibratedProfile, index: u64, as_of: NaiveDate) -> Self {
        let persona = config.persona_of(index);
        let s = |purpose| draws(config.seed, index, purpose);
        let window_days = cal.common.window_days;
        Ledger {
            seed: config.seed,
            as_of,
            cal,
            terms: cal.cards.statement,
            index,
            persona,
            params: cal.persona(persona),
            rng: Draws {
                accounts: s(Purpose::Accounts),
                income: s(Purpose::Income),
                bills: s(Purpose::Bills),
                purchases: s(Purpose::Purchases),
                savings: s(Purpose::Savings),
                cards: s(Purpose::Cards),
                pending: s(Purpose::Pending),
                balances: s(Purpose::Balances),
            },
            identity: s(Purpose::Identity),
            window_start: as_of - Duration::days(window_days),
            days: window_days,
            accounts: Vec::new(),
            savings: None,
            card: None,
            net_monthly: 0,
            savings_opening: 0,
            paydays: Vec::new(),
            entries: Vec::with_capacity(320),
            streams: Vec::with_capacity(16),
            card_plan: None,
            card_outcome: cards::CardOutcome::default(),
        }
    }

    fn build(mut self, at: usize) -> Timeline<'c> {
        let start = self
            .window_start
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists");
        let user = identity::new_user(&mut self.identity, &self.cal.common, self.index, start);
        self.open_accounts(&user);
        self.pay();
        self.plan_card();
        self.pay_bills();
        self.shop();
        self.mark_pending();
        self.move_savings();
        self.run_card();
        self.pay_gigs();
        self.set_balances();
        self.finish(user, at)
    }

    /// The date of window day `day`.
    fn date(&self, day: i64) -> NaiveDate {
        self.window_start + Duration::days(day)
    }

    /// The window day of `date` (negative before the window).
    fn day_of(&self, date: NaiveDate) -> i64 {
        (date - self.window_start).num_days()
    }

    /// Whether the card is in use (has one, and it is not left unused).
    fn card_in_use(&self) -> Option<u8> {
        self.card
            .filter(|_| self.card_plan.as_ref().is_some_and(|p| p.in_use()))
    }

    /// Checking always; savings and a card as the persona requires or the shares draw.
    fn open_accounts(&mut self, user: &backend::User) {
        let rng = &mut self.rng.accounts;
        let shares = &self.cal.accounts;
        let savings =
            self.params.requires_savings || rng.random_range(0..100) < shares.savings_percent;
        let card = self.params.requires_card || rng.random_range(0..100) < shares.card_percent;
        let mut kinds = vec![AccountKind::Checking];
        if savings {
            self.savings = Some(kinds.len() as u8);
            kinds.push(AccountKind::Savings);
        }
        if card {
            self.card = Some(kinds.len() as u8);
            kinds.push(AccountKind::CreditCard);
        }
        self.accounts = kinds
            .iter()
            .map(|&kind| accounts::new_account(rng, user, kind))
            .collect();
    }

    fn push(&mut self, entry: Entry<'c>) {
        self.entries.push(entry);
    }

    /// A new stream; returns its index.
    fn add_stream(&mut self, plan: StreamPlan<'c>) -> u16 {
        self.streams.push(plan);
        (self.streams.len() - 1) as u16
    }

    /// Marks purchases of the last `pending_days` days pending, each with the profile's chance.
    fn mark_pending(&mut self) {
        let (lo, hi) = self.cal.common.pending.lag_days;
        let from = self.days - (lo + hi) / 2;
        let chance = 1.0 - self.cal.common.pending.drop_percent / 100.0;
        for e in &mut self.entries {
            if e.kind == Kind::Purchase && e.day >= from {
                e.pending = self.rng.pending.random::<f64>() < chance;
            }
        }
    }

    /// Savings: a share of each paycheck moves there on payday, and some users take a little
    /// back now and then. Savings never pay for anything else.
    fn move_savings(&mut self) {
        let Some(savings) = self.savings else {
            return;
        };
        let cal = self.cal;
        let rng = &mut self.rng.savings;
        let builder = self.persona == Persona::SavingsBuilder;
        let opening = draw(rng, &cal.savings.savings_opening_cents);
        let pays: Vec<(i64, i64)> = self
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Income && e.account == 0)
            .map(|e| (e.day, -e.amount))
            .collect();
        if self.params.pay.is_some() && !pays.is_empty() {
            let (lo, hi) = if builder {
                cal.savings.builder_transfer_percent
            } else {
                cal.savings.transfer_percent
            };
            let percent = f64::from(rng.random_range(lo..=hi));
            let per_year = pays.len() as f64 * 365.0 / self.days as f64;
            // Savings builders put away at least $250 a month; others at most $150, so only
            // the builders show a builder's inflow.
            let per_month = |cents: f64| cents * 12.0 / per_year.max(1.0);
            for (day, pay) in pays {
                let mut amount = pay as f64 * percent / 100.0 * rng.random_range(0.85..1.15);
                if builder {
                    amount = amount.max(per_month(25_000.0) * rng.random_range(1.0..1.2));
                } else {
                    amount = amount.min(per_month(15_000.0) * rng.random_range(0.8..1.0));
                }
                let amount = amount.round() as i64;
                if amount < 100 {
                    continue;
                }
                self.entries
                    .extend(transfer(0, savings, day, 10 * 3_600, amount));
            }
        }
        // A gig earner's pay is sized to checking's outflow; money from savings would leave
        // checking flush.
        if !builder && self.params.pay.is_some() {
            let (lo, hi) = cal.savings.withdrawals;
            let n = rng.random_range(lo..=hi);
            let (start, window) = (self.window_start, self.days);
            let mut days: Vec<i64> = (0..n)
                .map(|_| {
                    let day = rng.random_range(0..window);
                    let date = crate::calendar::next_business_day(start + Duration::days(day));
                    (date - start).num_days()
                })
                .filter(|&d| d < window)
                .collect();
            days.sort_unstable();
            for day in days {
                // What savings holds by then: the opening plus what came in and went out.
                let held = opening + inflow_until(&self.entries, savings, day);
                let amount = (held as f64 * rng.random_range(0.1..0.4)).round() as i64;
                if amount < 100 {
                    continue;
                }
                self.entries
                    .extend(transfer(savings, 0, day, 14 * 3_600, amount));
            }
        }
        // The drawn opening is the savings cushion; `set_balances` keeps it or raises it.
        self.savings_opening = opening;
    }
}

/// Money into `account` (negative amounts, positive here) over days `..= day`.
fn inflow_until(entries: &[Entry<'_>], account: u8, day: i64) -> i64 {
    -entries
        .iter()
        .filter(|e| e.account == account && e.day <= day)
        .map(|e| e.amount)
        .sum::<i64>()
}

/// Both sides of a transfer of `amount` from account `from` to account `to` on `day`.
fn transfer<'p>(from: u8, to: u8, day: i64, secs: i64, amount: i64) -> [Entry<'p>; 2] {
    let out = Entry {
        account: from,
        day,
        secs,
        amount,
        category: "TRANSFER_OUT",
        merchant: if to == 0 {
            "Transfer to Checking"
        } else {
            "Transfer to Savings"
        },
        kind: Kind::Transfer,
        stream: NO_STREAM,
        pending: false,
    };
    let into = Entry {
        account: to,
        amount: -amount,
        category: "TRANSFER_IN",
        merchant: if from == 0 {
            "Transfer from Checking"
        } else {
            "Transfer from Savings"
        },
        ..out
    };
    [out, into]
}
