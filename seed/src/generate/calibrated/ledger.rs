//! Balances from the ledger, and the rows: every depository account opens with at least
//! what keeps it at or above zero through the window, each balance is its opening plus the
//! posted transactions, and streams list their transactions.

use backend::User;
use chrono::Duration;
use rand::RngExt;

use super::super::draws::{Purpose, UserDraws};
use super::super::timeline::{Life, RowKey, SeriesPlan, Settle, Timeline};
use super::{Ledger, NO_STREAM, draw};
use crate::calendar::DAYS_PER_MONTH;

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

    /// The timeline: every entry a life (pending ones still pending at the as-of date), the
    /// card's statement fields, and the series with their schedules.
    pub(super) fn finish(mut self, user: User, at: usize) -> Timeline<'c> {
        self.entries.sort_by_key(|e| (e.account, e.day, e.secs));
        let days = self.days;
        let lives: Vec<Life<'c>> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| Life {
                key: RowKey {
                    purpose: Purpose::Purchase,
                    series: u32::from(e.account),
                    occurrence: i as u32,
                },
                account: e.account,
                day: e.day,
                secs: e.secs,
                amount: e.amount,
                category: e.category,
                detailed: None,
                merchant: e.merchant,
                stream: (e.stream != NO_STREAM).then_some(e.stream),
                settle: if e.pending {
                    Settle::Posts {
                        lag: days - e.day,
                        amount: e.amount,
                    }
                } else {
                    Settle::Posted
                },
                correction: None,
            })
            .collect();

        if let Some(card) = self.card {
            let last_payment = self
                .entries
                .iter()
                .rfind(|e| e.account == card && e.category == "LOAN_PAYMENTS" && e.amount < 0);
            let last_payment = last_payment.map(|e| (-e.amount, self.date(e.day)));
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
            if let Some((amount, date)) = last_payment {
                account.last_payment_amount = Some(amount);
                account.last_payment_date = Some(date);
            }
        }

        let series = self
            .streams
            .iter()
            .enumerate()
            .map(|(s, plan)| SeriesPlan {
                account: plan.account,
                merchant: plan.merchant,
                category: plan.category,
                frequency: plan.frequency,
                schedule: lives
                    .iter()
                    .filter(|l| l.stream == Some(s as u16))
                    .map(|l| l.day)
                    .chain([self.day_of(plan.next_date)])
                    .collect(),
            })
            .collect();
        Timeline {
            draws: UserDraws::new(self.seed, self.index),
            start: self.window_start,
            user,
            persona: self.persona,
            accounts_at: vec![self.accounts; at],
            lives,
            series,
        }
    }
}
