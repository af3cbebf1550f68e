//! How a household lives within its income: a factor on every purchase that follows what it
//! has at hand, so that balances neither drift nor run dry as time passes.
//!
//! A household's habits take shares of its income ([`crate::profile::calibrated::PurchaseGroup`]),
//! but its rent, bills and savings take what they take, so the shares alone would leave some
//! households richer every month and others poorer. Each morning the factor is set from what
//! the books showed at the end of the day before: above the household's cushion it spends
//! more, below it less, in proportion to the gap over a month's pay. A proportional
//! controller: it settles where income and spending balance, without ever looking ahead.

use crate::profile::calibrated::Budget as BudgetTerms;

/// A household's budget factor and what it follows.
#[derive(Debug, Clone)]
pub(super) struct Budget {
    terms: BudgetTerms,
    /// A month's net pay, the scale of the gap.
    monthly: f64,
    /// What the household means to have at hand.
    cushion: i64,
    /// The factor of the day.
    factor: f64,
}

impl Budget {
    /// A budget for a household paid `monthly` that keeps `cushion` at hand.
    pub(super) fn new(terms: BudgetTerms, monthly: i64, cushion: i64) -> Budget {
        Budget {
            terms,
            monthly: monthly.max(1) as f64,
            cushion,
            factor: 1.0,
        }
    }

    /// The factor of the day.
    pub(super) fn factor(&self) -> f64 {
        self.factor
    }

    /// Sets the factor of the day from what the household has at hand this morning.
    pub(super) fn follow(&mut self, at_hand: i64) {
        self.factor =
            self.bounded(1.0 + self.terms.gain * (at_hand - self.cushion) as f64 / self.monthly);
    }

    /// What the household has at hand once its factor settles where monthly `obligations`
    /// (rent, bills, savings) and purchases of `purchases` a month at factor one spend its
    /// monthly pay: the level a household starts at, so that its first months look like the
    /// rest.
    pub(super) fn settled_at_hand(&self, obligations: i64, purchases: i64) -> i64 {
        if purchases <= 0 || self.terms.gain <= 0.0 {
            return self.cushion;
        }
        let factor = self.bounded((self.monthly - obligations as f64) / purchases as f64);
        self.cushion + ((factor - 1.0) * self.monthly / self.terms.gain).round() as i64
    }

    /// `factor` within the profile's bounds.
    fn bounded(&self, factor: f64) -> f64 {
        let (lo, hi) = self.terms.factor_percent;
        factor.clamp(f64::from(lo) / 100.0, f64::from(hi) / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factor_follows_the_gap_and_settles_where_income_is_spent() {
        let terms = BudgetTerms {
            gain: 1.0,
            factor_percent: (25, 300),
        };
        let mut budget = Budget::new(terms, 400_000, 200_000);
        budget.follow(200_000);
        assert_eq!(budget.factor(), 1.0);
        budget.follow(300_000);
        assert_eq!(budget.factor(), 1.25);
        budget.follow(-10_000_000);
        assert_eq!(budget.factor(), 0.25);
        // Obligations of 160,000 leave 240,000 for purchases of 200,000 at factor one: the
        // factor settles at 1.2, which it reaches 80,000 over the cushion.
        let settled = budget.settled_at_hand(160_000, 200_000);
        assert_eq!(settled, 280_000);
        budget.follow(settled);
        assert!((budget.factor() - 1.2).abs() < 1e-12);
    }
}
