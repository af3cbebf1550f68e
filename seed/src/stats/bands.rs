//! The measures behind the calibrated profile's bands, read from rows alone the way a
//! personal-finance app would read Plaid data: pay periods from the recurring streams, card
//! statements replayed from each card's transactions, payments counted per user per month,
//! spending shares by dollar value.
//!
//! Memory stays per user and per card: a card's transactions are folded into the three
//! statements that can matter (the last one and the two before it) when its run of rows
//! ends; which of them was due by the as-of date, and each one's minimum, is decided in
//! [`BandAcc::finish`], once the profile's terms are known. The finished [`BandStats`] keep
//! counts and [`Distribution`]s only, so merging them stays within bounded memory.

use std::collections::HashSet;

use backend::{Account, RecurringStream, Transaction};
use chrono::{Duration, Months, NaiveDate};

use crate::calendar::is_business_day;
use crate::catalog::{AccountKind, Frequency, INCOME};
use crate::stats::Distribution;

/// Days per month in per-month figures: the Gregorian year over twelve.
pub const DAYS_PER_MONTH: f64 = 365.2425 / 12.0;

/// The spending groups of the Consumer Expenditure Survey comparison, in report order.
pub const SPENDING_GROUPS: [&str; 5] = [
    "housing",
    "transportation",
    "food",
    "healthcare",
    "entertainment",
];

/// Payroll frequencies, in report order.
pub const PAY_PERIODS: [&str; 4] = ["WEEKLY", "BIWEEKLY", "SEMI_MONTHLY", "MONTHLY"];

/// The group of a posted outgoing transaction's dollars: rent, mortgage and utilities are
/// housing (a mortgage is LOAN_PAYMENTS at a mortgage servicer).
fn spending_group(t: &Transaction) -> Option<usize> {
    match t.category.as_str() {
        "RENT_AND_UTILITIES" => Some(0),
        "LOAN_PAYMENTS" if t.merchant_name.contains("Mortgage") => Some(0),
        "TRANSPORTATION" => Some(1),
        "FOOD_AND_DRINK" => Some(2),
        "MEDICAL" => Some(3),
        "ENTERTAINMENT" => Some(4),
        _ => None,
    }
}

/// Whether a transaction counts as an outgoing payment the user made (before own-card
/// payments are taken out): money out that is neither a move to an own account nor a fee.
fn is_payment(t: &Transaction) -> bool {
    t.amount > 0 && t.category != "TRANSFER_OUT" && t.category != "BANK_FEES"
}

/// What one of a card's statements shows: its closing balance (the card's balance at the
/// end of the issue day) and what was paid towards it between the issue and the due date.
#[derive(Debug, Clone, Copy, Default)]
struct Statement {
    balance: i64,
    paid: i64,
}

/// A card's account fields and its three latest statements (oldest first: two months
/// before the last, one month before, the last).
#[derive(Debug, Clone)]
struct Card {
    limit: Option<i64>,
    apr: Option<f64>,
    last_issue: Option<NaiveDate>,
    due_days: Option<i64>,
    stored_balance: Option<i64>,
    stored_minimum: Option<i64>,
    stored_overdue: Option<bool>,
    statements: [Statement; 3],
}

/// One LOAN_PAYMENTS transaction, for pairing a checking payment with its card's credit.
#[derive(Debug, Clone, Copy)]
struct LoanPayment {
    day: NaiveDate,
    amount: i64,
    on_card: bool,
}

/// What is kept per user.
#[derive(Debug, Clone, Default)]
struct UserBand {
    /// The payroll stream with the most money a year: (cents a year, frequency index).
    payroll: Option<(f64, Option<usize>)>,
    loan_payments: Vec<LoanPayment>,
    payments: u32,
    depository: Option<i64>,
}

/// A card transaction as the statement replay needs it.
#[derive(Debug, Clone, Copy)]
struct CardRow {
    day: NaiveDate,
    amount: i64,
    posted: bool,
    payment: bool,
}

/// Accumulates the band measures of rows read in file order.
#[derive(Debug, Default)]
pub struct BandAcc {
    users: Vec<UserBand>,
    cards: Vec<Card>,
    /// The card of each account, by account index (`None` for other kinds).
    card_of: Vec<Option<u32>>,
    /// The rows of the card whose run is being read.
    run: Vec<CardRow>,
    spending: [i64; 5],
    /// INCOME transactions dated on a weekend or holiday; the streams say which are pay.
    off_days: HashSet<String>,
    paydays: u64,
    paydays_off: u64,
}

impl BandAcc {
    /// A user was read.
    pub fn add_user(&mut self) {
        self.users.push(UserBand::default());
    }

    /// An account of user `user` was read; accounts are numbered in the order they arrive.
    pub fn add_account(&mut self, user: u32, kind: Option<AccountKind>, account: &Account) {
        let band = &mut self.users[user as usize];
        match kind {
            Some(AccountKind::Checking | AccountKind::Savings) => {
                band.depository =
                    Some(band.depository.unwrap_or(0).saturating_add(account.balance));
            }
            Some(AccountKind::CreditCard) => {
                self.card_of.push(Some(self.cards.len() as u32));
                self.cards.push(Card {
                    limit: account.credit_limit,
                    apr: account.apr,
                    last_issue: account.last_statement_issue_date,
                    due_days: account
                        .last_statement_issue_date
                        .zip(account.next_payment_due_date)
                        .map(|(issue, due)| (due - issue).num_days()),
                    stored_balance: account.last_statement_balance,
                    stored_minimum: account.min_payment,
                    stored_overdue: account.is_overdue,
                    statements: [Statement::default(); 3],
                });
                // The card's current balance; transactions after each issue date are taken
                // off when its run ends.
                let card = self.cards.last_mut().expect("just pushed");
                for statement in &mut card.statements {
                    statement.balance = account.balance;
                }
                return;
            }
            None => {}
        }
        self.card_of.push(None);
    }

    /// A transaction of account `account` (of user `user`, of kind `kind`) was read.
    pub fn add_transaction(
        &mut self,
        user: u32,
        account: u32,
        kind: Option<AccountKind>,
        t: &Transaction,
    ) {
        let band = &mut self.users[user as usize];
        let day = t.date.date();
        if is_payment(t) {
            band.payments += 1;
        }
        if t.category == "LOAN_PAYMENTS" {
            band.loan_payments.push(LoanPayment {
                day,
                amount: t.amount,
                on_card: kind == Some(AccountKind::CreditCard),
            });
        }
        if t.amount > 0
            && !t.pending
            && let Some(group) = spending_group(t)
        {
            self.spending[group] = self.spending[group].saturating_add(t.amount);
        }
        if t.category == INCOME && !is_business_day(day) {
            self.off_days.insert(t.id.clone());
        }
        if self.card_of[account as usize].is_some() {
            self.run.push(CardRow {
                day,
                amount: t.amount,
                posted: !t.pending,
                payment: t.category == "LOAN_PAYMENTS" && t.amount < 0,
            });
        }
    }

    /// The run of transactions of `account` has ended: fold a card's rows into its
    /// statements.
    pub fn end_run(&mut self, account: u32) {
        let rows = std::mem::take(&mut self.run);
        let Some(card) = self.card_of[account as usize] else {
            return;
        };
        let card = &mut self.cards[card as usize];
        let (Some(last), Some(due_days)) = (card.last_issue, card.due_days) else {
            return;
        };
        for (back, statement) in (0..3u32).rev().zip(card.statements.iter_mut()) {
            let Some(issue) = last.checked_sub_months(Months::new(back)) else {
                continue;
            };
            let Some(due) = issue.checked_add_signed(Duration::days(due_days)) else {
                continue;
            };
            for row in &rows {
                if row.posted && row.day > issue {
                    statement.balance = statement.balance.saturating_sub(row.amount);
                }
                if row.payment && row.day > issue && row.day <= due {
                    statement.paid = statement.paid.saturating_sub(row.amount);
                }
            }
        }
        self.run = rows;
        self.run.clear();
    }

    /// A recurring stream of user `user`, with its transactions' ids, was read.
    pub fn add_stream(&mut self, user: u32, stream: &RecurringStream, transaction_ids: &[&str]) {
        if stream.category != INCOME || stream.direction != "inflow" {
            return;
        }
        self.paydays += transaction_ids.len() as u64;
        self.paydays_off += transaction_ids
            .iter()
            .filter(|id| self.off_days.contains(**id))
            .count() as u64;
        let yearly = stream.amount.unsigned_abs() as f64
            * Frequency::from_name(&stream.frequency).map_or(0.0, |f| f64::from(f.per_year()));
        let frequency = PAY_PERIODS.iter().position(|f| *f == stream.frequency);
        let band = &mut self.users[user as usize];
        if band.payroll.is_none_or(|(best, _)| yearly > best) {
            band.payroll = Some((yearly, frequency));
        }
    }

    /// The measures, with statements due by `as_of` classified by `minimum` (the profile's
    /// minimum payment of a statement balance; without one no statement is classified).
    pub fn finish(self, as_of: NaiveDate, minimum: Option<&dyn Fn(i64) -> i64>) -> BandStats {
        let mut out = BandStats {
            spending: self.spending,
            paydays: self.paydays,
            paydays_off_business_days: self.paydays_off,
            ..BandStats::default()
        };
        for user in self.users {
            if let Some((_, frequency)) = user.payroll {
                out.payroll_users += 1;
                match frequency {
                    Some(f) => out.pay_periods[f] += 1,
                    None => out.pay_period_other += 1,
                }
            }
            let own_card_payments = own_card_payments(&user.loan_payments);
            out.payments_per_user
                .add(f64::from(user.payments.saturating_sub(own_card_payments)));
            if let Some(balance) = user.depository {
                out.depository_per_user.add(balance as f64);
            }
        }
        for card in self.cards {
            out.cards += 1;
            if let Some(limit) = card.limit {
                out.credit_limits.add(limit as f64);
            }
            if let Some(apr) = card.apr {
                out.aprs.add(apr);
            }
            if let (Some(balance), Some(limit)) = (card.stored_balance, card.limit)
                && limit > 0
            {
                out.utilizations.add(balance.max(0) as f64 / limit as f64);
            }
            let (Some(last), Some(due_days), Some(minimum)) =
                (card.last_issue, card.due_days, minimum)
            else {
                continue;
            };
            let [before, previous, latest] = card.statements;
            out.statements_replayed += 1;
            if card.stored_balance != Some(latest.balance) {
                out.statement_mismatches += 1;
            }
            if card.stored_minimum != Some(minimum(latest.balance)) {
                out.minimum_mismatches += 1;
            }
            // The statement whose due date passed last before as-of, and the one before it.
            let last_due = last.checked_add_signed(Duration::days(due_days));
            let (due, prior) = if last_due.is_some_and(|d| d < as_of) {
                (latest, previous)
            } else {
                (previous, before)
            };
            let class = classify(due, minimum);
            out.statement_classes[class as usize] += 1;
            let overdue = class == Class::Missed;
            if card.stored_overdue != Some(overdue) {
                out.overdue_mismatches += 1;
            }
            if overdue && classify(prior, minimum) == Class::Missed {
                out.past_due_30 += 1;
            }
        }
        out
    }
}

/// How many of a user's LOAN_PAYMENTS on checking or savings are payments to one of the
/// user's own cards: matched one to one with a card credit of the same amount dated the
/// same day or up to three days later.
fn own_card_payments(payments: &[LoanPayment]) -> u32 {
    let mut credits: Vec<(NaiveDate, i64, bool)> = payments
        .iter()
        .filter(|p| p.on_card && p.amount < 0)
        .filter_map(|p| Some((p.day, p.amount.checked_neg()?, false)))
        .collect();
    let mut matched = 0;
    for debit in payments.iter().filter(|p| !p.on_card && p.amount > 0) {
        let found = credits.iter_mut().find(|(day, amount, used)| {
            !*used
                && *amount == debit.amount
                && *day >= debit.day
                && (*day - debit.day).num_days() <= 3
        });
        if let Some(credit) = found {
            credit.2 = true;
            matched += 1;
        }
    }
    matched
}

/// What a statement's payments did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Full,
    MoreThanMinimum,
    MinimumOnly,
    Missed,
    NoBalance,
}

fn classify(statement: Statement, minimum: &dyn Fn(i64) -> i64) -> Class {
    let min = minimum(statement.balance);
    if statement.balance <= 0 {
        Class::NoBalance
    } else if statement.paid >= statement.balance {
        Class::Full
    } else if statement.paid > min {
        Class::MoreThanMinimum
    } else if statement.paid >= min {
        Class::MinimumOnly
    } else {
        Class::Missed
    }
}

/// The band measures of a dataset (or of a chunk of one, to be merged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BandStats {
    /// Users with a payroll stream.
    pub payroll_users: u64,
    /// Of those, by the frequency of their largest payroll: [`PAY_PERIODS`].
    pub pay_periods: [u64; 4],
    /// Payroll at another frequency (annually).
    pub pay_period_other: u64,
    /// Transactions of payroll streams.
    pub paydays: u64,
    /// Of those, dated on a weekend or a federal holiday.
    pub paydays_off_business_days: u64,
    /// Every card.
    pub cards: u64,
    /// Credit limits in cents.
    pub credit_limits: Distribution,
    /// APRs in percent.
    pub aprs: Distribution,
    /// Last statement balance over limit, per card with a statement.
    pub utilizations: Distribution,
    /// Cards whose statements were replayed (they have a statement and due date).
    pub statements_replayed: u64,
    /// The statement due last before as-of: full, more than minimum, minimum only, missed,
    /// no balance.
    pub statement_classes: [u64; 5],
    /// Cards whose last two due dates both passed without the minimum paid.
    pub past_due_30: u64,
    /// Cards whose stored `last_statement_balance` differs from the replayed one.
    pub statement_mismatches: u64,
    /// Cards whose stored `min_payment` is not the minimum of their last statement.
    pub minimum_mismatches: u64,
    /// Cards whose stored `is_overdue` differs from what their payments show.
    pub overdue_mismatches: u64,
    /// Outgoing payments per user over the window (own transfers, own-card payments and
    /// fees not counted).
    pub payments_per_user: Distribution,
    /// Checking plus savings balance per user holding either, in cents.
    pub depository_per_user: Distribution,
    /// Posted outgoing dollars per [`SPENDING_GROUPS`] group, in cents.
    pub spending: [i64; 5],
}

impl BandStats {
    /// Adds the measures of other, later users.
    pub fn merge(&mut self, other: BandStats) {
        self.payroll_users += other.payroll_users;
        for (mine, theirs) in self.pay_periods.iter_mut().zip(other.pay_periods) {
            *mine += theirs;
        }
        self.pay_period_other += other.pay_period_other;
        self.paydays += other.paydays;
        self.paydays_off_business_days += other.paydays_off_business_days;
        self.cards += other.cards;
        self.credit_limits.merge(other.credit_limits);
        self.aprs.merge(other.aprs);
        self.utilizations.merge(other.utilizations);
        self.statements_replayed += other.statements_replayed;
        for (mine, theirs) in self
            .statement_classes
            .iter_mut()
            .zip(other.statement_classes)
        {
            *mine += theirs;
        }
        self.past_due_30 += other.past_due_30;
        self.statement_mismatches += other.statement_mismatches;
        self.minimum_mismatches += other.minimum_mismatches;
        self.overdue_mismatches += other.overdue_mismatches;
        self.payments_per_user.merge(other.payments_per_user);
        self.depository_per_user.merge(other.depository_per_user);
        for (mine, theirs) in self.spending.iter_mut().zip(other.spending) {
            *mine = mine.saturating_add(theirs);
        }
    }

    /// The value of the measure named `key` (as the targets file names it), with data
    /// spanning `window_days`; `None` if the data has nothing to measure it on, `Err` if no
    /// measure has that name.
    pub fn measure(&self, key: &str, window_days: i64) -> Result<Option<f64>, String> {
        let percent =
            |part: u64, whole: u64| (whole > 0).then(|| 100.0 * part as f64 / whole as f64);
        let dollars = |cents: Option<f64>| cents.map(|c| c / 100.0);
        let limit = |p: f64| dollars(self.credit_limits.percentile(p));
        let utilization = |p: f64| self.utilizations.percentile(p).map(|u| 100.0 * u);
        let depository = &self.depository_per_user;
        let spending_total = self.spending.iter().fold(0i64, |a, &b| a.saturating_add(b));
        let value = match key {
            "pay_period.weekly" => percent(self.pay_periods[0], self.payroll_users),
            "pay_period.biweekly" => percent(self.pay_periods[1], self.payroll_users),
            "pay_period.semi_monthly" => percent(self.pay_periods[2], self.payroll_users),
            "pay_period.monthly" => percent(self.pay_periods[3], self.payroll_users),
            "paydays.off_business_days" => {
                (self.paydays > 0).then_some(self.paydays_off_business_days as f64)
            }
            "credit_limit.median" => limit(0.5),
            "credit_limit.p90" => limit(0.9),
            "utilization.median" => utilization(0.5),
            "utilization.p75" => utilization(0.75),
            "utilization.p90" => utilization(0.9),
            "statements.full" => percent(self.statement_classes[0], self.statements_replayed),
            "statements.more_than_minimum" => {
                percent(self.statement_classes[1], self.statements_replayed)
            }
            "statements.minimum_only" => {
                percent(self.statement_classes[2], self.statements_replayed)
            }
            "statements.mismatched" => (self.statements_replayed > 0).then(|| {
                (self.statement_mismatches + self.minimum_mismatches + self.overdue_mismatches)
                    as f64
            }),
            "apr.mean" => self.aprs.mean(),
            "apr.min" => self.aprs.min(),
            "apr.max" => self.aprs.max(),
            "past_due_30.share" => percent(self.past_due_30, self.cards),
            "payments.per_user_month" => self
                .payments_per_user
                .mean()
                .map(|per_window| per_window * DAYS_PER_MONTH / window_days.max(1) as f64),
            "depository.median" => dollars(depository.percentile(0.5)),
            "depository.mean_over_median" => depository
                .mean()
                .zip(depository.percentile(0.5))
                .and_then(|(mean, median)| (median > 0.0).then_some(mean / median)),
            _ => match key.strip_prefix("spending.") {
                Some(group) => match SPENDING_GROUPS.iter().position(|g| *g == group) {
                    Some(g) => (spending_total > 0)
                        .then(|| 100.0 * self.spending[g] as f64 / spending_total as f64),
                    None => return Err(format!("unknown spending group `{group}`")),
                },
                None => return Err(format!("unknown measure `{key}`")),
            },
        };
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(day: u32, amount: i64, on_card: bool) -> LoanPayment {
        LoanPayment {
            day: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            amount,
            on_card,
        }
    }

    #[test]
    fn own_card_payments_pair_one_to_one_within_three_days() {
        let payments = [
            pay(2, 50_000, false),
            pay(3, -50_000, true),
            // Two equal payments, one credit: one pair.
            pay(10, 7_000, false),
            pay(11, 7_000, false),
            pay(12, -7_000, true),
            // A credit five days later is not this payment's.
            pay(20, 9_000, false),
            pay(25, -9_000, true),
            // A loan paid to a lender: no card credit.
            pay(15, 31_000, false),
        ];
        assert_eq!(own_card_payments(&payments), 2);
    }

    #[test]
    fn statements_are_classified_by_what_was_paid() {
        let minimum = |b: i64| {
            if b <= 0 {
                0
            } else {
                b.min((b * 2 / 100).max(2_500))
            }
        };
        let s = |balance, paid| Statement { balance, paid };
        assert_eq!(classify(s(100_000, 100_000), &minimum), Class::Full);
        assert_eq!(
            classify(s(100_000, 2_501), &minimum),
            Class::MoreThanMinimum
        );
        assert_eq!(classify(s(100_000, 2_500), &minimum), Class::MinimumOnly);
        assert_eq!(classify(s(100_000, 2_499), &minimum), Class::Missed);
        assert_eq!(classify(s(0, 0), &minimum), Class::NoBalance);
        assert_eq!(classify(s(-500, 0), &minimum), Class::NoBalance);
        // A balance below the floor is its own minimum: paying it is paying in full.
        assert_eq!(classify(s(1_000, 1_000), &minimum), Class::Full);
    }

    #[test]
    fn unknown_measures_are_named() {
        let stats = BandStats::default();
        assert!(
            stats
                .measure("apr.median", 180)
                .unwrap_err()
                .contains("apr.median")
        );
        assert!(
            stats
                .measure("spending.pets", 180)
                .unwrap_err()
                .contains("pets")
        );
        assert_eq!(stats.measure("apr.mean", 180), Ok(None));
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    /// A model from its JSON record: the fields named, and `None` in every `Option` field left
    /// unnamed (serde's rule), so a nullable column added to a table needs no edit here.
    fn record<T: serde::de::DeserializeOwned>(record: serde_json::Value) -> T {
        serde_json::from_value(record).expect("a record of the model")
    }

    fn account(id: &str, kind: AccountKind, balance: i64) -> Account {
        record(serde_json::json!({
            "id": id,
            "user_id": "u",
            "name": id,
            "type": kind.account_type(),
            "subtype": kind.subtype(),
            "mask": "0000",
            "balance": balance,
            "currency": "USD",
        }))
    }

    fn txn(id: &str, on: NaiveDate, amount: i64, category: &str, merchant: &str) -> Transaction {
        record(serde_json::json!({
            "id": id,
            "account_id": "",
            "date": on.and_hms_opt(12, 0, 0).unwrap(),
            "amount": amount,
            "category": category,
            "merchant_name": merchant,
            "pending": false,
        }))
    }

    fn stream(frequency: &str, amount: i64) -> RecurringStream {
        record(serde_json::json!({
            "id": frequency,
            "account_id": "checking",
            "direction": "inflow",
            "merchant_name": "Employer",
            "category": INCOME,
            "frequency": frequency,
            "amount": amount,
            "first_date": day(5, 1),
            "last_date": day(5, 15),
            "next_date": day(5, 29),
        }))
    }

    /// One user with checking and a card, rows written by hand: the statements replayed
    /// from the card's transactions, the payment paired with its card credit, the payroll
    /// stream and its weekend payday, the spending groups.
    #[test]
    fn a_hand_made_ledger_measures_as_computed_by_hand() {
        let minimum = |b: i64| {
            if b <= 0 {
                0
            } else {
                b.min((b * 2 / 100).max(2_500))
            }
        };
        let mut acc = BandAcc::default();
        acc.add_user();
        acc.add_account(
            0,
            Some(AccountKind::Checking),
            &account("checking", AccountKind::Checking, 50_000),
        );
        let mut card = account("card", AccountKind::CreditCard, 45_000);
        card.credit_limit = Some(100_000);
        card.apr = Some(22.0);
        card.last_statement_issue_date = Some(day(5, 10));
        card.next_payment_due_date = Some(day(6, 4));
        card.last_statement_balance = Some(40_000);
        card.min_payment = Some(2_500);
        card.is_overdue = Some(false);
        acc.add_account(0, Some(AccountKind::CreditCard), &card);

        let checking = [
            txn("pay1", day(5, 2), -200_000, INCOME, "Employer"), // a Saturday
            txn("pay2", day(5, 15), -200_000, INCOME, "Employer"),
            txn("side", day(5, 20), -100_000, INCOME, "Side job"),
            txn(
                "cardpay",
                day(4, 18),
                10_000,
                "LOAN_PAYMENTS",
                "Card payment",
            ),
            txn("lunch", day(4, 2), 1_500, "FOOD_AND_DRINK", "Cafe"),
            txn("save", day(4, 3), 5_000, "TRANSFER_OUT", "Savings"),
            txn("fee", day(4, 4), 3_500, "BANK_FEES", "Overdraft fee"),
        ];
        for t in &checking {
            acc.add_transaction(0, 0, Some(AccountKind::Checking), t);
        }
        acc.end_run(0);
        let mut pending = txn("show", day(5, 30), 1_000, "ENTERTAINMENT", "Cinema");
        pending.pending = true;
        let card_rows = [
            txn("grocer", day(3, 5), 20_000, "FOOD_AND_DRINK", "Grocer"),
            txn("rent", day(4, 1), 30_000, "RENT_AND_UTILITIES", "Landlord"),
            txn(
                "credit",
                day(4, 20),
                -10_000,
                "LOAN_PAYMENTS",
                "Payment, thank you",
            ),
            txn("fuel", day(5, 15), 5_000, "TRANSPORTATION", "Fuel"),
            pending,
        ];
        for t in &card_rows {
            acc.add_transaction(0, 1, Some(AccountKind::CreditCard), t);
        }
        acc.end_run(1);
        acc.add_stream(0, &stream("BIWEEKLY", -200_000), &["pay1", "pay2"]);
        acc.add_stream(0, &stream("MONTHLY", -100_000), &["side"]);

        // As of June 1st the May 10th statement is not yet due (June 4th): April 10th's is.
        let bands = acc.finish(day(6, 1), Some(&minimum));
        assert_eq!(bands.statements_replayed, 1);
        assert_eq!(
            (
                bands.statement_mismatches,
                bands.minimum_mismatches,
                bands.overdue_mismatches
            ),
            (0, 0, 0)
        );
        // April 10th: 50,000 owed, 10,000 paid by May 5th, above the 2,500 minimum.
        assert_eq!(bands.statement_classes, [0, 1, 0, 0, 0]);
        // March 10th was missed, but April's was paid: not past due.
        assert_eq!(bands.past_due_30, 0);
        assert_eq!(bands.pay_periods, [0, 1, 0, 0]);
        assert_eq!((bands.paydays, bands.paydays_off_business_days), (3, 1));
        // Four card purchases, lunch and the card payment, less the payment to the own card.
        let measure = |key: &str| bands.measure(key, 180).expect("a known measure");
        assert_eq!(
            measure("payments.per_user_month"),
            Some(5.0 * DAYS_PER_MONTH / 180.0)
        );
        assert_eq!(bands.payments_per_user.count(), 1);
        assert_eq!(measure("depository.median"), Some(500.0));
        assert_eq!(measure("depository.mean_over_median"), Some(1.0));
        assert_eq!(bands.spending, [30_000, 5_000, 21_500, 0, 0]);
        assert_eq!(measure("utilization.median"), Some(40.0));
        assert_eq!(measure("utilization.p90"), Some(40.0));
        assert_eq!(measure("credit_limit.median"), Some(1_000.0));
        assert_eq!(measure("credit_limit.p90"), Some(1_000.0));
        assert_eq!(measure("apr.mean"), Some(22.0));
        assert_eq!(
            (measure("apr.min"), measure("apr.max")),
            (Some(22.0), Some(22.0))
        );

        // Nine days later the May statement's due date has passed with nothing paid: the
        // card is overdue, which its stored `is_overdue = false` now contradicts.
        let mut later = BandAcc::default();
        later.add_user();
        later.add_account(0, Some(AccountKind::CreditCard), &card);
        for t in &card_rows {
            later.add_transaction(0, 0, Some(AccountKind::CreditCard), t);
        }
        later.end_run(0);
        let bands = later.finish(day(6, 10), Some(&minimum));
        assert_eq!(bands.statement_classes, [0, 0, 0, 1, 0]);
        assert_eq!(bands.overdue_mismatches, 1);
        assert_eq!(
            bands.past_due_30, 0,
            "April's statement was paid above the minimum"
        );
    }
}
