//! Balances from the ledger, and the rows: every depository account opens with at least
//! what keeps it at or above zero through the window, each balance is its opening plus the
//! posted transactions, and streams list their transactions.

use backend::{Transaction, User};
use chrono::Duration;
use rand::RngExt;

use super::super::draws::uuid_v4;
use super::super::recurring::{Occurrence, Series};
use super::super::user_rows;
use super::{DAY, Ledger, NO_STREAM, draw};
use crate::calendar::DAYS_PER_MONTH;
use crate::tables::RowBatch;

impl<'c> Ledger<'c> {
    /// Sets each account's balance: opening plus posted transactions (money in raises a
    /// depository balance; charges raise a card's). A depository account
    /// opens with its drawn cushion, raised to the least that keeps every day's balance at or
    /// above zero, whatever the order of that day's transactions (a day's money out is taken
    /// before its money in). A gig earner's cushion is a fraction of a month's outflow.
    pub(super) fn set_balances(&mut self) {
        let days = self.days as usize;
        let rng = &mut self.rng.balances;
        let mut openings = vec![0i64; self.accounts.len()];
        for (a, opening) in openings.iter_mut().enumerate() {
            let a = a as u8;
            if Some(a) == self.card {
                *opening = self.card_outcome.opening;
                continue;
            }
            let mut out = vec![0i64; days];
            let mut net = vec![0i64; days];
            for e in self.entries.iter().filter(|e| e.account == a) {
                net[e.day as usize] += e.amount;
                if e.amount > 0 {
                    out[e.day as usize] += e.amount;
                }
            }
            let (mut held, mut needed) = (0i64, 0i64);
            for day in 0..days {
                needed = needed.max(out[day] - held);
                held -= net[day];
            }
            let cushion = if Some(a) == self.savings {
                self.savings_opening
            } else if self.params.pay.is_none() {
                let monthly_out = out.iter().sum::<i64>() as f64 * DAYS_PER_MONTH / days as f64;
                (monthly_out * rng.random_range(0.05..0.3)).round() as i64
            } else {
                draw(rng, &self.cal.savings.checking_opening_cents)
            };
            *opening = cushion.max(needed);
        }
        for (account, opening) in self.accounts.iter_mut().zip(&openings) {
            account.balance = *opening;
        }
        // Money out is positive: it lowers what a depository account holds and raises what a
        // card owes.
        for e in self.entries.iter().filter(|e| !e.pending) {
            if Some(e.account) == self.card {
                self.accounts[e.account as usize].balance += e.amount;
            } else {
                self.accounts[e.account as usize].balance -= e.amount;
            }
        }
    }

    /// The rows: transactions in account and date order with their ids, the card's statement
    /// fields, the streams with their transactions, and the persona label.
    pub(super) fn finish(mut self, user: User) -> RowBatch {
        self.entries.sort_by_key(|e| (e.account, e.day, e.secs));
        let start = self
            .window_start
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists");
        let mut links: Vec<Vec<usize>> = vec![Vec::new(); self.streams.len()];
        let transactions: Vec<Transaction> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                if e.stream != NO_STREAM {
                    links[e.stream as usize].push(i);
                }
                Transaction {
                    id: uuid_v4(&mut self.rng.ids),
                    account_id: self.accounts[e.account as usize].id.clone(),
                    date: start + Duration::seconds(e.day * DAY + e.secs),
                    amount: e.amount,
                    category: e.category.to_owned(),
                    merchant_name: e.merchant.to_owned(),
                    pending: e.pending,
                    pending_transaction_id: None,
                    category_detailed: None,
                }
            })
            .collect();

        if let Some(card) = self.card {
            let outcome = &self.card_outcome;
            let terms = self.terms;
            let account = &mut self.accounts[card as usize];
            if let Some((issue, balance, minimum)) = outcome.last_statement {
                account.last_statement_balance = Some(balance);
                account.last_statement_issue_date = Some(issue);
                account.next_payment_due_date =
                    Some(issue + Duration::days(i64::from(terms.due_days)));
                account.min_payment = Some(minimum);
            } else {
                account.min_payment = Some(0);
            }
            account.is_overdue = Some(outcome.overdue);
            let last_payment =
                self.entries.iter().zip(&transactions).rfind(|(e, _)| {
                    e.account == card && e.category == "LOAN_PAYMENTS" && e.amount < 0
                });
            if let Some((e, t)) = last_payment {
                account.last_payment_amount = Some(-e.amount);
                account.last_payment_date = Some(t.date.date());
            }
        }

        // Each planned series with its transactions becomes a stream (one that ended up
        // with fewer than two transactions does not recur, and is left out).
        let mut streams = RowBatch::default();
        for (plan, members) in self.streams.iter().zip(&links) {
            let occurrences: Vec<Occurrence<'_>> = members
                .iter()
                .map(|&i| Occurrence {
                    transaction_id: &transactions[i].id,
                    date: transactions[i].date.date(),
                    amount: transactions[i].amount,
                })
                .collect();
            let series = Series {
                account_id: &self.accounts[plan.account as usize].id,
                merchant_name: plan.merchant,
                category: plan.category,
                frequency: plan.frequency,
                next_date: plan.next_date,
            };
            series.push_stream(uuid_v4(&mut self.rng.ids), &occurrences, &mut streams);
        }

        user_rows(user, self.accounts, transactions, self.persona, streams)
    }
}
