//! Everyday purchases: per habit, a count around its monthly rate and amounts that spend the
//! habit's share of income, at two favourite merchants, on the card or from checking; and
//! the odd refund.

use rand::RngExt;

use super::super::amounts::standard_normal;
use super::super::draws::pick;
use super::{Entry, Kind, Ledger, NO_STREAM};
use crate::calendar::DAYS_PER_MONTH;

impl<'c> Ledger<'c> {
    /// Schedules every purchase and refund of the window.
    pub(super) fn shop(&mut self) {
        let cal = self.cal;
        let months = self.days as f64 / DAYS_PER_MONTH;
        let card = self.card_in_use();
        // The share of card-eligible spending that goes on the card: what the card plan
        // charges a month, over what those habits spend a month.
        let eligible: f64 = cal
            .purchases
            .iter()
            .filter(|g| g.card_ok)
            .map(|g| self.net_monthly as f64 * g.income_bp as f64 / 10_000.0)
            .sum();
        let on_card = match (&self.card_plan, card) {
            (Some(plan), Some(_)) if eligible > 0.0 => {
                (plan.monthly_spend as f64 / eligible).min(0.95)
            }
            _ => 0.0,
        };
        let days = self.days;
        let rng = &mut self.rng.purchases;
        for group in &cal.purchases {
            let expected = group.per_month * months * rng.random_range(0.8..1.2);
            let count = (expected + rng.random::<f64>()).floor() as i64;
            if count <= 0 {
                continue;
            }
            let budget = self.net_monthly as f64 * group.income_bp as f64 / 10_000.0 * months;
            let mean = budget / count as f64;
            let sigma = group.spread;
            let favorites = [pick(rng, &group.merchants), pick(rng, &group.merchants)];
            for _ in 0..count {
                let day = rng.random_range(0..days);
                let secs = rng.random_range(8 * 3_600..22 * 3_600);
                // Log-normal noise with mean one, so the habit spends its budget on average.
                let noise = libm::exp(sigma * standard_normal(rng) - sigma * sigma / 2.0);
                let amount = ((mean * noise).round() as i64).max(100);
                let account = match card {
                    Some(card) if group.card_ok && rng.random::<f64>() < on_card => card,
                    _ => 0,
                };
                let merchant = favorites[usize::from(rng.random::<f64>() >= 0.65)];
                let purchase = Entry {
                    account,
                    day,
                    secs,
                    amount,
                    category: group.category,
                    merchant,
                    kind: Kind::Purchase,
                    stream: NO_STREAM,
                    pending: false,
                };
                self.entries.push(purchase);
                if rng.random_range(0..100) < group.refund_percent {
                    let back = day + rng.random_range(3..=14);
                    if back < days {
                        self.entries.push(Entry {
                            day: back,
                            secs: rng.random_range(9 * 3_600..18 * 3_600),
                            amount: -amount,
                            kind: Kind::Refund,
                            ..purchase
                        });
                    }
                }
            }
        }
    }
}
