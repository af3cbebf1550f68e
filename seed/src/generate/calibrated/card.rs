//! The card: its limit, APR and habits, its monthly statements, and how its user pays them
//! (in full, more than the minimum, the minimum, or now and then nothing), from checking by
//! the due date, with interest on what revolves and a fee when a minimum is missed.
//!
//! Everything is decided forward: a statement is the balance at the end of its issue day; a
//! revolver's payment is planned when the statement closes so that, with the charges of a
//! cycle like the last one, the next statement lands near the balance its user carries, and
//! its charges go on the card only while the card owes less than that; a payment is capped
//! by what checking holds on the day it is made.

use backend::Account;
use chrono::{Duration, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::amounts::{draw_log_normal, draw_normal};
use super::super::draws::{Purpose, UserDraws, chance, pick_weighted, second_in};
use super::super::recurring::Frequency;
use super::super::timeline::{Day, Life};
use super::key;
use super::ledger::{CHECKING, Ledger};
use super::vocabulary::{CARD_PAYMENT, INTEREST, LATE_FEE, PAYMENT_THANK_YOU, Side};
use crate::calendar::Month;
use crate::profile::calibrated::{CalibratedPersona, CardUse, Cards};

/// The side of a card payment that leaves checking, and the side that reaches the card.
const FROM_CHECKING: u32 = 0;
const ONTO_CARD: u32 = 1;
/// The draws of a statement's payment.
const PLAN: u64 = 2;
/// The kinds of card fees, whose numbers key their rows.
const INTEREST_FEE: u32 = 0;
const LATE: u32 = 1;

/// One monthly statement.
#[derive(Debug, Clone, Copy)]
struct Statement {
    /// Its number; the statement issued before the timeline's start is 0.
    number: u64,
    /// Its issue day.
    issue: Day,
    /// The card's balance at the end of the issue day.
    balance: i64,
    minimum: i64,
    /// What was paid to it by its due date.
    paid: i64,
    /// The payment planned for it: its day and amount.
    plan: Option<(Day, i64)>,
}

/// A user's card and how they use it.
#[derive(Debug, Clone)]
pub(super) struct Card<'p> {
    terms: &'p Cards,
    /// The card's account.
    pub(super) account: u8,
    usage: CardUse,
    limit: i64,
    apr_bp: i64,
    /// Purchases that would take a transactor's card past this go on the debit card.
    ceiling: i64,
    /// The balance a revolver steers its statements toward.
    target: i64,
    /// The least a revolver keeps owing after a payment.
    floor: i64,
    /// Share of the card-eligible purchases a transactor puts on the card.
    share: f64,
    /// What the user means to charge a month.
    spend: i64,
    start: NaiveDate,
    statement_day: u32,
    next_issue: Day,
    statements: Vec<Statement>,
    last_payment: Option<(Day, i64)>,
    /// How many statements in a row the user had missed before the timeline's first.
    missed_before: u32,
}

impl<'p> Card<'p> {
    /// Draws a card's terms and habits for a user of `params` whose card-eligible purchases
    /// come to `eligible` a month, and its balance at the timeline's start.
    pub(super) fn new(
        rng: &mut Pcg64,
        terms: &'p Cards,
        params: &CalibratedPersona,
        (account, start): (u8, NaiveDate),
        eligible: f64,
    ) -> (Card<'p>, i64) {
        let usage = CardUse::ALL[pick_weighted(rng, params.card_use.iter().copied())];
        let step = terms.limit_step_cents;
        let limit = (draw_log_normal(rng, &terms.limit_cents) / step * step).max(step);
        let apr_bp = draw_normal(rng, &terms.apr_basis_points);
        let (lo, hi) = terms.statement_days;
        let statement_day = rng.random_range(lo..=hi);
        let bands = &params.revolving_utilization;
        // A card is never meant past its persona's highest utilisation.
        let highest_bp = i64::from(bands.iter().map(|b| b.percent.1).max().unwrap_or(0)) * 100;
        let spend_bp = match usage {
            CardUse::Unused => 0,
            CardUse::Full => draw_log_normal(rng, &terms.transactor_spend_bp)
                .min(highest_bp * i64::from(terms.transactor_spend_max_percent) / 100),
            _ => rng.random_range(terms.revolver_spend_bp.0..=terms.revolver_spend_bp.1),
        };
        let band = pick_weighted(rng, bands.iter().map(|b| b.weight));
        let (lo, hi) = bands[band].percent;
        let lowest = i64::from(bands.iter().map(|b| b.percent.0).min().unwrap_or(0));
        let floor = limit * lowest / 100;
        // A revolver carries enough above the least it keeps owing that a payment of more
        // than the largest minimum the card can have, from a statement that fell a little
        // short of its usual balance, never takes it below.
        let margin = limit * terms.revolver_margin_bp / 10_000;
        let room = terms.statement.minimum_payment(limit) + 1 + margin;
        let target = (limit * i64::from(rng.random_range(lo..=hi)) / 100).max(floor + room);
        let monthly_spend = limit * spend_bp / 10_000;
        let opening = match usage {
            CardUse::Unused => 0,
            CardUse::Full => {
                let (lo, hi) = terms.transactor_opening_percent;
                monthly_spend * i64::from(rng.random_range(lo..=hi)) / 100
            }
            _ => target,
        };
        let mut card = Card {
            terms,
            account,
            usage,
            limit,
            apr_bp,
            ceiling: (limit * (highest_bp + terms.ceiling_margin_bp) / 10_000).min(limit),
            target,
            floor,
            share: if eligible > 0.0 {
                let most = f64::from(terms.transactor_share_max_percent) / 100.0;
                (monthly_spend as f64 / eligible).min(most)
            } else {
                0.0
            },
            spend: monthly_spend,
            start,
            statement_day,
            next_issue: 0,
            statements: Vec::with_capacity(24),
            last_payment: None,
            missed_before: 0,
        };
        if usage == CardUse::Missed {
            card.missed_before = settled_run(rng, terms);
        }
        card.open(rng, opening);
        (card, opening)
    }

    /// The statement issued before the timeline's start, holding the opening balance, and
    /// the day of the next one. Its user pays it as they pay any statement; if its due date
    /// passed before the start, they paid it before anything the timeline shows.
    fn open(&mut self, rng: &mut Pcg64, opening: i64) {
        let mut month = Month::of(self.start);
        if month.day(self.statement_day) >= self.start {
            month = month.previous();
        }
        let issue = (month.day(self.statement_day) - self.start).num_days();
        self.next_issue = (month.next().day(self.statement_day) - self.start).num_days();
        let minimum = self.terms.statement.minimum_payment(opening);
        let due = issue + i64::from(self.terms.statement.due_days);
        let amount = self.plan(rng, (opening, minimum), self.missed_before);
        let mut statement = Statement {
            number: 0,
            issue,
            balance: opening,
            minimum,
            paid: 0,
            plan: None,
        };
        if due < 0 {
            statement.paid = amount;
        } else if amount > 0 {
            statement.plan = Some((due.max(issue + 1).max(0), amount));
        }
        self.statements.push(statement);
    }

    /// Whether the card is used at all.
    pub(super) fn in_use(&self) -> bool {
        self.usage != CardUse::Unused
    }

    /// Whether a card-eligible purchase of `amount` goes on the card, `roll` being the
    /// purchase's uniform draw. A transactor puts its share of purchases there while the card
    /// stays under its ceiling; a revolver puts every purchase there while the card owes less
    /// than the balance it carries (its charges steer the balance there). Either way it must
    /// fit the available credit.
    pub(super) fn takes(&self, ledger: &Ledger<'_>, amount: i64, roll: f64) -> bool {
        let cap = if self.usage.revolves() {
            self.target
        } else if roll < self.share {
            self.ceiling
        } else {
            return false;
        };
        self.in_use() && ledger.owed(self.account) + amount <= cap.min(self.limit)
    }

    /// Whether a charge of `amount` fits the card's available credit.
    pub(super) fn fits(&self, ledger: &Ledger<'_>, amount: i64) -> bool {
        ledger.owed(self.account) + amount <= self.limit
    }

    /// Whether a fixed bill of `amount` a month goes on the card: small beside the limit.
    pub(super) fn carries_bill(&self, amount: i64) -> bool {
        self.in_use() && amount * 10_000 <= self.limit * self.terms.bill_max_limit_bp
    }

    /// What the card takes from what its user has at hand: all it owes for a transactor, what
    /// it owes beyond its usual balance for a revolver.
    pub(super) fn owed_at_hand(&self, ledger: &Ledger<'_>) -> i64 {
        self.beyond_usual(ledger.owed(self.account))
    }

    /// What of `owed` its user means to pay off soon: all of it for a transactor, what a
    /// revolver owes beyond its usual balance.
    pub(super) fn beyond_usual(&self, owed: i64) -> i64 {
        if self.usage.revolves() {
            (owed - self.target).max(0)
        } else {
            owed
        }
    }

    /// Makes the payment planned for `day`, as much of it as checking holds.
    pub(super) fn pay(&mut self, ledger: &mut Ledger<'p>, draws: &UserDraws, day: Day) {
        let Some(statement) = self.statements.last_mut() else {
            return;
        };
        let Some((planned, amount)) = statement.plan else {
            return;
        };
        if planned != day {
            return;
        }
        let amount = amount.min(ledger.available(CHECKING).max(0));
        if amount <= 0 {
            return;
        }
        statement.paid += amount;
        let number = statement.number;
        self.last_payment = Some((day, amount));
        let rng = &mut draws.at(Purpose::CardPayment, PLAN, number);
        let secs = second_in(rng, self.terms.payment_hours);
        let life = row(
            FROM_CHECKING,
            number,
            (CHECKING, day, secs),
            amount,
            CARD_PAYMENT,
        );
        ledger.post(life);
        let account = self.account;
        ledger.post(row(
            ONTO_CARD,
            number,
            (account, day, secs),
            -amount,
            PAYMENT_THANK_YOU,
        ));
    }

    /// The day after a due date, a late fee if less than the minimum was paid.
    pub(super) fn charge_late_fee(&self, ledger: &mut Ledger<'p>, draws: &UserDraws, day: Day) {
        let due_days = i64::from(self.terms.statement.due_days);
        let Some(s) = self.statements.last() else {
            return;
        };
        if s.issue + due_days + 1 != day || s.minimum == 0 || s.paid >= s.minimum {
            return;
        }
        let rng = &mut draws.at(Purpose::Fee, u64::from(LATE), s.number);
        let secs = second_in(rng, self.terms.late_fee_hours);
        let place = (self.account, day, secs);
        ledger.post(fee(
            LATE,
            s.number,
            place,
            self.terms.late_fee_cents,
            LATE_FEE,
        ));
    }

    /// On an issue day, after everything else the day posts: interest on what revolved,
    /// then the statement, and the payment its user plans for it.
    pub(super) fn close(&mut self, ledger: &mut Ledger<'p>, draws: &UserDraws, day: Day) {
        if day != self.next_issue {
            return;
        }
        let previous = *self
            .statements
            .last()
            .expect("a statement before the start");
        let number = previous.number + 1;
        let balance = ledger.balance(self.account);
        if previous.balance > 0 && previous.paid < previous.balance && balance > 0 {
            let days = (day - previous.issue) as f64;
            let interest =
                (balance as f64 * self.apr_bp as f64 / 10_000.0 * days / 365.0).round() as i64;
            if interest > 0 {
                let rng = &mut draws.at(Purpose::Fee, u64::from(INTEREST_FEE), number);
                let secs = second_in(rng, self.terms.interest_hours);
                let place = (self.account, day, secs);
                ledger.post(fee(INTEREST_FEE, number, place, interest, INTEREST));
            }
        }
        let balance = ledger.balance(self.account);
        let minimum = self.terms.statement.minimum_payment(balance);
        let rng = &mut draws.at(Purpose::CardPayment, PLAN, number);
        let amount = self.plan(rng, (balance, minimum), self.missed_in_a_row());
        let mut statement = Statement {
            number,
            issue: day,
            balance,
            minimum,
            paid: 0,
            plan: None,
        };
        if amount > 0 {
            statement.plan = Some((self.payment_day(rng, day, amount), amount));
        }
        self.statements.push(statement);
        let date = self.start + Duration::days(day);
        self.next_issue = (Month::of(date).next().day(self.statement_day) - self.start).num_days();
    }

    /// What the user means to pay toward a statement of `balance` with minimum `minimum`.
    fn plan(&self, rng: &mut Pcg64, (balance, minimum): (i64, i64), missed: u32) -> i64 {
        if balance <= 0 {
            return 0;
        }
        match self.usage {
            CardUse::Unused | CardUse::Full => balance,
            CardUse::More => self.more(balance, minimum),
            CardUse::Minimum => minimum,
            CardUse::Missed => {
                let percent = match missed {
                    0 => self.terms.miss_percent,
                    n if n < self.terms.most_missed_in_a_row => self.terms.miss_again_percent,
                    _ => 0,
                };
                // A user who pays again catches up: back to the balance they carry, if the
                // missed statements' interest and fees took the card past it.
                if chance(rng, f64::from(percent)) {
                    0
                } else {
                    minimum.max(balance - self.target).min(balance)
                }
            }
        }
    }

    /// How many statements in a row, up to the last, were paid less than their minimum
    /// (counting those missed before the timeline, if the run reaches back to its start).
    fn missed_in_a_row(&self) -> u32 {
        let missed = |s: &&Statement| s.minimum > 0 && s.paid < s.minimum;
        let run = self.statements.iter().rev().take_while(missed).count();
        let before = if run == self.statements.len() {
            self.missed_before
        } else {
            0
        };
        run as u32 + before
    }

    /// A partial payment that leaves room for a month of the user's charges under the
    /// balance they carry, so the next statement lands near it: more than the minimum, less
    /// than the balance, and leaving at least the least the user keeps owing.
    fn more(&self, balance: i64, minimum: i64) -> i64 {
        if minimum + 1 > balance - 1 {
            return balance;
        }
        let most = (balance - self.floor).min(balance - 1).max(minimum + 1);
        (balance + self.spend - self.target).clamp(minimum + 1, most)
    }

    /// The day a payment of `amount` toward the statement issued on `issue` is made: a few
    /// days before its due date, and, when it is the same amount as the last payment, off
    /// the monthly rhythm (so card payments never read as a recurring merchant: a recurring
    /// series is a stream's).
    fn payment_day(&self, rng: &mut Pcg64, issue: Day, amount: i64) -> Day {
        let due = issue + i64::from(self.terms.statement.due_days);
        let (lo, hi) = match self.usage {
            CardUse::Minimum | CardUse::Missed => self.terms.minimum_pay_days_before_due,
            _ => self.terms.pay_days_before_due,
        };
        let mut day = (due - rng.random_range(lo..=hi)).max(issue + 1);
        let (shortest, longest) = Frequency::Monthly.gap_days();
        if let Some((last_day, last_amount)) = self.last_payment
            && last_amount == amount
        {
            if last_day + shortest - 1 > issue {
                day = day.min(last_day + shortest - 1);
            } else if last_day + longest < due {
                day = day.max(last_day + longest + 1);
            }
        }
        day
    }

    /// The card's account as of day `a`: its balance, limit, APR and statement fields.
    pub(super) fn account_at(&self, ledger: &Ledger<'_>, base: &Account, a: Day) -> Account {
        let due_days = i64::from(self.terms.statement.due_days);
        let date = |day: Day| self.start + Duration::days(day);
        let last = self
            .statements
            .iter()
            .rfind(|s| s.issue < a)
            .expect("a statement before the start");
        let overdue = self
            .statements
            .iter()
            .rfind(|s| s.issue + due_days < a)
            .is_some_and(|s| s.minimum > 0 && s.paid < s.minimum);
        Account {
            balance: ledger.balance(self.account),
            credit_limit: Some(self.limit),
            apr: Some(self.apr_bp as f64 / 100.0),
            min_payment: Some(last.minimum),
            is_overdue: Some(overdue),
            last_statement_balance: Some(last.balance),
            last_statement_issue_date: Some(date(last.issue)),
            next_payment_due_date: Some(date(last.issue + due_days)),
            last_payment_amount: self.last_payment.map(|(_, amount)| amount),
            last_payment_date: self.last_payment.map(|(day, _)| date(day)),
            ..base.clone()
        }
    }
}

/// How many statements in a row a card whose user misses payments had missed before the
/// timeline's start: drawn from where the profile's miss rates settle (a run of `k` >= 1 has
/// weight miss x again^(k-1) against 1 for none), so the cards' runs are in no step.
fn settled_run(rng: &mut Pcg64, terms: &Cards) -> u32 {
    let (miss, again) = (
        f64::from(terms.miss_percent) / 100.0,
        f64::from(terms.miss_again_percent) / 100.0,
    );
    let weights: Vec<f64> = (0..=terms.most_missed_in_a_row)
        .map(|k| match k {
            0 => 1.0,
            k => miss * again.powi(k as i32 - 1),
        })
        .collect();
    let mut roll = rng.random::<f64>() * weights.iter().sum::<f64>();
    for (k, w) in weights.iter().enumerate() {
        if roll < *w {
            return k as u32;
        }
        roll -= w;
    }
    terms.most_missed_in_a_row
}

/// One side of card payment `number`.
fn row<'p>(side: u32, number: u64, at: (u8, Day, i64), amount: i64, how: Side) -> Life<'p> {
    how.posted(key(Purpose::CardPayment, side, number), at, amount)
}

/// A fee of kind `kind` on the card, for statement `number`.
fn fee<'p>(
    kind: u32,
    number: u64,
    (account, day, secs): (u8, Day, i64),
    amount: i64,
    how: Side,
) -> Life<'p> {
    Life {
        key: key(Purpose::Fee, kind, number),
        ..row(0, number, (account, day, secs), amount, how)
    }
}
