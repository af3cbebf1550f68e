//! Everyday purchases: each habit's purchases arrive at random at its rate (exponential gaps
//! from one to the next), at the user's favourite merchants, each amount its share of the
//! habit's monthly budget times the household's budget factor of the day.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::amounts::standard_normal;
use super::super::draws::{Purpose, UserDraws, chance, pick_weighted, second_in};
use super::super::timeline::{Day, RowKey};
use super::{key, percent_in};
use crate::calendar::DAYS_PER_MONTH;
use crate::profile::calibrated::{PurchaseGroup, Shopping as ShoppingTerms};

/// One purchase as its user makes it, before it is placed on an account.
#[derive(Debug, Clone, Copy)]
pub(super) struct Purchase<'p> {
    /// What it is.
    pub(super) key: RowKey,
    /// Its habit.
    pub(super) group: &'p PurchaseGroup,
    /// Seconds into its day.
    pub(super) secs: i64,
    /// What it costs.
    pub(super) amount: i64,
    pub(super) merchant: &'p str,
    /// Uniform in [0, 1): whether it goes on the card, against the card's share.
    pub(super) card_roll: f64,
    /// Days after it posts that it is refunded, if it is.
    pub(super) refund_after: Option<Day>,
}

/// One habit of a user.
#[derive(Debug, Clone)]
struct Habit<'p> {
    group: &'p PurchaseGroup,
    /// Which habit of the profile.
    index: u32,
    /// A purchase's amount at the budget factor one, in cents.
    mean: f64,
    /// Days between purchases, on average.
    gap: f64,
    /// The user's favourite merchants.
    favorites: Vec<&'p str>,
    /// When the next purchase comes (days of the timeline, with a fraction), its number and
    /// its draws, of which its gap from the one before was the first.
    next_at: f64,
    next: u64,
    rng: Pcg64,
}

/// A user's purchase habits.
#[derive(Debug, Clone)]
pub(super) struct Shopping<'p> {
    terms: &'p ShoppingTerms,
    habits: Vec<Habit<'p>>,
}

impl<'p> Shopping<'p> {
    /// The habits of a user paid `monthly` a month: each habit's rate drawn once around the
    /// profile's, its favourites chosen once.
    pub(super) fn new(
        draws: &UserDraws,
        terms: &'p ShoppingTerms,
        groups: &'p [PurchaseGroup],
        monthly: i64,
    ) -> Shopping<'p> {
        let habits = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.per_month > 0.0)
            .map(|(g, group)| {
                let g = g as u32;
                let rng = &mut draws.at(Purpose::Mix, u64::from(g), 0);
                let per_month = group.per_month * percent_in(rng, terms.rate_jitter_percent);
                let budget = monthly as f64 * group.income_bp as f64 / 10_000.0;
                let favorites = favorites(
                    &mut draws.at(Purpose::Favorites, u64::from(g), 0),
                    group,
                    terms,
                );
                let gap = DAYS_PER_MONTH / per_month.max(f64::MIN_POSITIVE);
                let mut rng = draws.at(Purpose::Purchase, u64::from(g), 0);
                let next_at = exponential(&mut rng, gap);
                Habit {
                    group,
                    index: g,
                    mean: budget / per_month.max(f64::MIN_POSITIVE),
                    gap,
                    favorites,
                    next_at,
                    next: 0,
                    rng,
                }
            })
            .collect();
        Shopping { terms, habits }
    }

    /// What every habit spends a month at the budget factor one, and what of it may go on a
    /// card.
    pub(super) fn monthly(&self) -> (f64, f64) {
        let spend = |h: &Habit<'_>| h.mean * DAYS_PER_MONTH / h.gap;
        let all = self.habits.iter().map(spend).sum();
        let card = self
            .habits
            .iter()
            .filter(|h| h.group.card_ok)
            .map(spend)
            .sum();
        (all, card)
    }

    /// The purchases of day `day`, at the budget factor `factor`, in the habits' order.
    pub(super) fn today(&mut self, draws: &UserDraws, day: Day, factor: f64) -> Vec<Purchase<'p>> {
        let mut out = Vec::new();
        let end = (day + 1) as f64;
        for habit in &mut self.habits {
            while habit.next_at < end {
                out.push(habit.purchase(self.terms, factor));
                habit.next += 1;
                habit.rng = draws.at(Purpose::Purchase, u64::from(habit.index), habit.next);
                habit.next_at += exponential(&mut habit.rng, habit.gap);
            }
        }
        out
    }
}

impl<'p> Habit<'p> {
    /// The details of the habit's next purchase, from its own draws.
    fn purchase(&mut self, terms: &ShoppingTerms, factor: f64) -> Purchase<'p> {
        let rng = &mut self.rng;
        let group = self.group;
        let secs = second_in(rng, group.hours);
        let weights = terms.favorite_weights[..self.favorites.len()]
            .iter()
            .copied();
        let merchant = self.favorites[pick_weighted(rng, weights)];
        // Log-normal noise with mean one, so the habit spends its budget on average.
        let sigma = group.spread;
        let noise = libm::exp(sigma * standard_normal(rng) - sigma * sigma / 2.0);
        let amount = ((self.mean * noise * factor).round() as i64).max(terms.min_cents);
        let card_roll = rng.random::<f64>();
        let refunded = chance(rng, f64::from(group.refund_percent));
        let (lo, hi) = terms.refund_days;
        let refund_after = rng.random_range(lo..=hi);
        Purchase {
            key: key(Purpose::Purchase, self.index, self.next),
            group,
            secs,
            amount,
            merchant,
            card_roll,
            refund_after: refunded.then_some(refund_after),
        }
    }
}

/// A user's favourite merchants of a habit: as many as the profile's favourite weights
/// (fewer if the habit has fewer merchants), distinct.
fn favorites<'p>(rng: &mut Pcg64, group: &'p PurchaseGroup, terms: &ShoppingTerms) -> Vec<&'p str> {
    let merchants = &group.merchants;
    let count = terms.favorite_weights.len().min(merchants.len());
    let mut chosen: Vec<usize> = Vec::with_capacity(count);
    while chosen.len() < count {
        let m = rng.random_range(0..merchants.len());
        if !chosen.contains(&m) {
            chosen.push(m);
        }
    }
    chosen.into_iter().map(|m| merchants[m].as_str()).collect()
}

/// An exponential wait of mean `mean`: the gap between arrivals at random at a steady rate.
fn exponential(rng: &mut Pcg64, mean: f64) -> f64 {
    -libm::log(1.0 - rng.random::<f64>()) * mean
}
