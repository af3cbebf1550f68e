//! The card: its limit, APR and habits, and its ledger simulated day by day, closing a
//! statement each month and paying it (in full, partly, the minimum or not at all) from
//! checking by its due date, with interest on what revolves and a fee when a minimum is missed.

use chrono::NaiveDate;
use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::amounts::draw_normal;
use super::super::draws::pick_weighted;
use super::{Entry, Kind, Ledger, NO_STREAM, draw};
use crate::calendar::Month;
use crate::profile::calibrated::{CardUse, Cards, StatementTerms};

/// What a user does with their card, drawn before anything is charged to it.
#[derive(Debug, Clone)]
pub(super) struct CardPlan {
    usage: CardUse,
    pub(super) limit: i64,
    /// Purchases that would take the balance past this are declined (paid from checking):
    /// the limit, or for personas that keep utilisation low, a little over their highest.
    ceiling: i64,
    apr_basis_points: i64,
    /// Day of the month statements are issued, 1 to 28.
    statement_day: u32,
    /// What the card is charged a month, in cents (the purchases aim at it).
    pub(super) monthly_spend: i64,
    /// A revolving card's utilisation at its last statement.
    target_utilization: f64,
    /// The least a revolving card owes at the window's end: the persona's lowest
    /// utilisation, so payments never drop a high-utilisation card out of its persona.
    floor: i64,
}

impl CardPlan {
    pub(super) fn in_use(&self) -> bool {
        self.usage != CardUse::Unused
    }

    fn revolves(&self) -> bool {
        matches!(
            self.usage,
            CardUse::More | CardUse::Minimum | CardUse::Missed
        )
    }
}

/// The statement fields of a card, as its ledger leaves them.
#[derive(Debug, Clone, Default)]
pub(super) struct CardOutcome {
    /// The card's balance at the window's start.
    pub(super) opening: i64,
    /// Last statement: issue date, balance and minimum payment.
    pub(super) last_statement: Option<(NaiveDate, i64, i64)>,
    /// Whether the latest due date passed with less than its minimum paid.
    pub(super) overdue: bool,
}

/// One monthly statement as the simulation sees it.
#[derive(Debug, Clone, Copy)]
struct Statement {
    /// Issue day, as a window day (negative before the window).
    issue: i64,
    balance: i64,
    minimum: i64,
    /// Payment day (window day) and amount, if one is scheduled.
    payment: Option<(i64, i64)>,
    /// What was paid by the due date.
    paid: i64,
}

/// What one run of the card's ledger produced.
struct Run<'p> {
    /// The balance at the window's end.
    closing: i64,
    declined: Vec<usize>,
    added: Vec<Entry<'p>>,
    outcome: CardOutcome,
}

impl<'c> Ledger<'c> {
    /// Draws the card's terms and how it is used, and sets its limit and APR.
    pub(super) fn plan_card(&mut self) {
        let Some(card) = self.card else {
            return;
        };
        let terms = &self.cal.cards;
        let params = self.params;
        let rng = &mut self.rng.cards;
        let usage = CardUse::ALL[pick_weighted(rng, params.card_use.iter().copied())];
        let limit = (draw(rng, &terms.limit_cents) / 10_000 * 10_000).max(10_000);
        let apr_basis_points = draw_normal(rng, &terms.apr_basis_points);
        let statement_day = rng.random_range(1..=28);
        // A card is never meant past the persona's highest utilisation: a transactor's
        // balance holds up to two months of charges before a payment clears them.
        let ceiling_bp = params
            .revolving_utilization
            .iter()
            .map(|b| i64::from(b.percent.1))
            .max()
            .unwrap_or(0)
            * 100;
        let spend_bp = match usage {
            CardUse::Unused => 0,
            CardUse::Full => draw(rng, &terms.transactor_spend_bp).min(ceiling_bp / 2),
            _ => rng.random_range(terms.revolver_spend_bp.0..=terms.revolver_spend_bp.1),
        };
        let band = pick_weighted(rng, params.revolving_utilization.iter().map(|b| b.weight));
        let (lo, hi) = params.revolving_utilization[band].percent;
        let target_utilization = f64::from(rng.random_range(lo..=hi)) / 100.0;
        let ceiling = (limit as f64 * ((ceiling_bp + 300) as f64 / 10_000.0).min(1.0)) as i64;
        let lowest = params
            .revolving_utilization
            .iter()
            .map(|b| i64::from(b.percent.0))
            .min()
            .unwrap_or(0);
        self.card_plan = Some(CardPlan {
            usage,
            limit,
            ceiling,
            floor: limit * lowest / 100,
            apr_basis_points,
            statement_day,
            monthly_spend: limit * spend_bp / 10_000,
            target_utilization,
        });
        let account = &mut self.accounts[card as usize];
        account.credit_limit = Some(limit);
        account.apr = Some(apr_basis_points as f64 / 100.0);
    }

    /// Runs the card's ledger: once from a first guess at its opening balance, and for a
    /// revolving card once more from the opening that lands its last statement on the
    /// planned utilisation (and up to twice more while the window then ends below the
    /// persona's floor). Declined purchases move to checking.
    pub(super) fn run_card(&mut self) {
        let (Some(card), Some(plan)) = (self.card, self.card_plan.clone()) else {
            return;
        };
        let mut order: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].account == card)
            .collect();
        order.sort_by_key(|&i| (self.entries[i].day, self.entries[i].secs));
        let rng = self.rng.cards.clone();
        let limit = plan.limit as f64;
        let mut opening = match plan.usage {
            CardUse::Unused => 0,
            CardUse::Full => {
                (plan.monthly_spend as f64 * self.rng.cards.random_range(0.5..1.0)).round() as i64
            }
            _ => (plan.target_utilization * limit).round() as i64,
        };
        let sim = Simulation {
            ledger: self,
            plan: &plan,
            card,
            order: &order,
        };
        let mut run = sim.run(opening, rng.clone());

        if plan.revolves() {
            let measured = run.outcome.last_statement.map_or(0, |s| s.1) as f64;
            let shift = (plan.target_utilization * limit - measured).round() as i64;
            opening = (opening + shift).clamp(0, plan.limit);
            run = sim.run(opening, rng.clone());

            // A revolving card ends the window owing at least its floor (a high-utilisation
            // card stays high after its last payment), whatever the payments left: a minimum
            // at its floor can outrun a small card's interest.
            for _ in 0..2 {
                if run.closing >= plan.floor || opening >= plan.limit {
                    break;
                }
                opening = (opening + plan.floor - run.closing + plan.limit / 100).min(plan.limit);
                run = sim.run(opening, rng.clone());
            }
        }
        for i in run.declined {
            self.entries[i].account = 0;
        }
        self.entries.extend(run.added);
        self.card_outcome = run.outcome;
    }
}

/// The inputs of one run of a card's ledger.
struct Simulation<'a, 'c> {
    ledger: &'a Ledger<'c>,
    plan: &'a CardPlan,
    card: u8,
    /// The card's entries, oldest first.
    order: &'a [usize],
}

impl<'a, 'c> Simulation<'a, 'c> {
    fn run(&self, opening: i64, mut rng: Pcg64) -> Run<'c> {
        let ledger = self.ledger;
        let plan = self.plan;
        let terms: StatementTerms = ledger.terms;
        let cards: &Cards = &ledger.cal.cards;
        let days = ledger.days;
        let entries = &ledger.entries;
        let due_days = i64::from(terms.due_days);
        let issues = issue_days(ledger, plan.statement_day);
        // The statement whose due date is the latest on or before the day before the as-of
        // date decides `is_overdue`; a missed card misses it (and, some, the one before).
        let last_due = issues.iter().rposition(|&i| i + due_days < days);
        let missed_before =
            plan.usage == CardUse::Missed && rng.random_range(0..100) < cards.missed_twice_percent;
        let mut statements: Vec<Statement> = Vec::with_capacity(issues.len());
        let mut declined = Vec::new();
        let mut added: Vec<Entry<'c>> = Vec::new();
        let mut balance = opening;
        let mut charges_in_cycle = 0i64;
        let mut interest_in_cycle = 0i64;
        let mut next = 0usize;
        let close = |k: usize,
                     balance: i64,
                     charges: i64,
                     interest: i64,
                     statements: &mut Vec<Statement>,
                     rng: &mut Pcg64| {
            let minimum = terms.minimum_payment(balance);
            let issue = issues[k];
            let due = issue + due_days;
            let amount = if balance <= 0 {
                0
            } else {
                match plan.usage {
                    CardUse::Unused | CardUse::Full => balance,
                    CardUse::More => {
                        let swing = (plan.limit as f64 * rng.random_range(-0.02..0.02)) as i64;
                        let wanted = charges + interest + swing;
                        if minimum + 1 > balance - 1 {
                            balance
                        } else {
                            wanted.clamp(minimum + 1, balance - 1)
                        }
                    }
                    CardUse::Minimum => minimum,
                    CardUse::Missed => {
                        if Some(k) == last_due
                            || (missed_before && last_due.is_some_and(|l| l == k + 1))
                        {
                            0
                        } else {
                            minimum
                        }
                    }
                }
            };
            let early = if plan.usage == CardUse::Minimum { 1 } else { 4 };
            let previous = statements.iter().rev().find_map(|s| s.payment);
            let payment = (amount > 0).then(|| {
                let mut day = (due - rng.random_range(0..=early.min(due_days - 1)))
                    .max(issue + 1)
                    .max(0);
                // The same amount as last month (a card carrying only a subscription, or a
                // minimum at its floor) is paid off the monthly rhythm, so that card payments
                // never read as a recurring merchant: a recurring series is a stream's.
                if let Some((last_day, last_amount)) = previous
                    && last_amount == amount
                {
                    if last_day + 25 > issue {
                        day = day.min(last_day + 25);
                    } else if last_day + 36 <= due {
                        day = day.max(last_day + 36);
                    }
                }
                (day, amount)
            });
            statements.push(Statement {
                issue,
                balance,
                minimum,
                payment: payment.filter(|&(day, _)| day <= due),
                paid: 0,
            });
        };
        // The statement issued before the window holds the opening balance.
        close(0, balance, 0, 0, &mut statements, &mut rng);
        for day in 0..days {
            while next < self.order.len() && entries[self.order[next]].day == day {
                let i = self.order[next];
                next += 1;
                let e = &entries[i];
                if e.pending {
                    continue;
                }
                if e.kind == Kind::Purchase && balance + e.amount > plan.ceiling {
                    declined.push(i);
                    continue;
                }
                balance += e.amount;
                if e.amount > 0 {
                    charges_in_cycle += e.amount;
                }
            }
            for s in statements.iter_mut() {
                if let Some((pay_day, amount)) = s.payment
                    && pay_day == day
                {
                    balance -= amount;
                    s.paid += amount;
                    added.extend(payment(self.card, day, amount));
                }
                if s.issue + due_days + 1 == day && s.minimum > 0 && s.paid < s.minimum {
                    balance += cards.late_fee_cents;
                    interest_in_cycle += cards.late_fee_cents;
                    added.push(fee(
                        self.card,
                        day,
                        3 * 3_600,
                        cards.late_fee_cents,
                        "Late Fee",
                    ));
                }
            }
            let k = statements.len();
            if k < issues.len() && issues[k] == day {
                let previous = statements[k - 1];
                let cycle = issues[k] - previous.issue;
                if previous.balance > 0 && previous.paid < previous.balance && balance > 0 {
                    let interest = (balance as f64 * plan.apr_basis_points as f64 / 10_000.0
                        * cycle as f64
                        / 365.0)
                        .round() as i64;
                    if interest > 0 {
                        balance += interest;
                        interest_in_cycle += interest;
                        added.push(fee(self.card, day, 86_340, interest, "Interest Charge"));
                    }
                }
                close(
                    k,
                    balance,
                    charges_in_cycle,
                    interest_in_cycle,
                    &mut statements,
                    &mut rng,
                );
                charges_in_cycle = 0;
                interest_in_cycle = 0;
            }
        }
        let last = statements.last().expect("a statement before the window");
        let outcome = CardOutcome {
            opening,
            last_statement: Some((ledger.date(last.issue), last.balance, last.minimum)),
            overdue: last_due.is_some_and(|l| {
                let s = &statements[l];
                s.minimum > 0 && s.paid < s.minimum
            }),
        };
        Run {
            closing: balance,
            declined,
            added,
            outcome,
        }
    }
}

/// The issue days of a card's statements (window days): the last before the window, then
/// every one before the as-of date.
fn issue_days(ledger: &Ledger<'_>, statement_day: u32) -> Vec<i64> {
    let start = ledger.window_start;
    let mut month = Month::of(start);
    if month.day(statement_day) >= start {
        month = month.previous();
    }
    let mut issues = Vec::with_capacity(8);
    while month.day(statement_day) < ledger.as_of {
        issues.push(ledger.day_of(month.day(statement_day)));
        month = month.next();
    }
    issues
}

/// Both sides of a card payment: out of checking, onto the card, the same day.
fn payment<'p>(card: u8, day: i64, amount: i64) -> [Entry<'p>; 2] {
    let from_checking = Entry {
        account: 0,
        day,
        secs: 12 * 3_600,
        amount,
        category: "LOAN_PAYMENTS",
        merchant: "Credit Card Payment",
        kind: Kind::CardPayment,
        stream: NO_STREAM,
        pending: false,
    };
    let onto_card = Entry {
        account: card,
        amount: -amount,
        merchant: "Payment Thank You",
        ..from_checking
    };
    [from_checking, onto_card]
}

/// A fee on the card.
fn fee<'p>(card: u8, day: i64, secs: i64, amount: i64, merchant: &'static str) -> Entry<'p> {
    Entry {
        account: card,
        day,
        secs,
        amount,
        category: "BANK_FEES",
        merchant,
        kind: Kind::Fee,
        stream: NO_STREAM,
        pending: false,
    }
}
