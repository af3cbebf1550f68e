//! Spending: how a user's purchases split over categories, merchants, days and hours.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::draws::{Purpose, UserDraws, pick_weighted};
use super::super::timeline::Day;
use crate::profile::StoryProfile;
use crate::profile::story::MerchantGroup;

/// Splits `n` spending transactions over the spending categories by weight, by largest
/// remainder with ties broken at random, so each user's mix of a cycle matches the weights.
pub(super) fn apportion(rng: &mut Pcg64, n: u32, profile: &StoryProfile) -> Vec<u32> {
    let spend_total: u32 = profile
        .categories
        .iter()
        .enumerate()
        .filter(|&(c, _)| c != profile.income)
        .map(|(_, c)| c.weight)
        .sum();
    let mut quotas = vec![0u32; profile.categories.len()];
    if spend_total == 0 {
        return quotas;
    }
    let mut remainders: Vec<(u64, u32, usize)> = Vec::with_capacity(quotas.len());
    let mut given = 0;
    for (c, category) in profile.categories.iter().enumerate() {
        if c == profile.income {
            continue;
        }
        let exact = u64::from(n) * u64::from(category.weight);
        quotas[c] = (exact / u64::from(spend_total)) as u32;
        given += quotas[c];
        remainders.push((exact % u64::from(spend_total), rng.random::<u32>(), c));
    }
    remainders.sort_unstable_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    for &(_, _, c) in remainders.iter().take((n - given) as usize) {
        quotas[c] += 1;
    }
    quotas
}

/// A user's favourite merchants per group: a few of the group's catalog, each group's drawn
/// from its own generator on first use, so which groups were used first changes nothing.
pub(super) struct Favorites<'d> {
    draws: &'d UserDraws,
    /// Per (category, group): the favourites' indexes into the group's merchants.
    chosen: Vec<Vec<Option<Vec<u16>>>>,
}

impl<'d> Favorites<'d> {
    pub(super) fn new(draws: &'d UserDraws, profile: &StoryProfile) -> Self {
        Favorites {
            draws,
            chosen: profile
                .categories
                .iter()
                .map(|c| vec![None; c.groups.len()])
                .collect(),
        }
    }

    /// A merchant of group `group` of category `category`: one of the user's favourites,
    /// earlier favourites more often (the profile's `favorite_weights`).
    pub(super) fn pick<'p>(
        &mut self,
        rng: &mut Pcg64,
        profile: &'p StoryProfile,
        category: usize,
        group: usize,
    ) -> &'p str {
        let merchants = &profile.categories[category].groups[group].merchants;
        let draws = self.draws;
        let favorites = self.chosen[category][group].get_or_insert_with(|| {
            let rng = &mut draws.at(Purpose::Favorites, category as u64, group as u64);
            let (lo, hi) = profile.favorite_merchants;
            let count = rng.random_range(lo..=hi).min(merchants.len() as u32) as usize;
            let mut chosen = Vec::with_capacity(count);
            while chosen.len() < count {
                let m = rng.random_range(0..merchants.len()) as u16;
                if !chosen.contains(&m) {
                    chosen.push(m);
                }
            }
            chosen
        });
        let weights = profile.favorite_weights[..favorites.len()].iter().copied();
        &merchants[usize::from(favorites[pick_weighted(rng, weights)])]
    }
}

/// A merchant group of a category, by share, among those whose habits allow one of `days`;
/// `None` if none does.
pub(super) fn pick_group(
    rng: &mut Pcg64,
    groups: &[MerchantGroup],
    days: &[Day],
    start_weekday: u32,
) -> Option<usize> {
    let allowed = |g: &MerchantGroup| days.iter().any(|&d| g.days[weekday(start_weekday, d)] > 0);
    let weights = groups.iter().map(|g| if allowed(g) { g.share } else { 0 });
    if weights.clone().sum::<u32>() == 0 {
        return None;
    }
    Some(pick_weighted(rng, weights))
}

/// One of `days`, by the group's weekday weights; the group allows at least one of them.
pub(super) fn habit_day(
    rng: &mut Pcg64,
    group: &MerchantGroup,
    days: &[Day],
    start_weekday: u32,
) -> Day {
    let weights = days.iter().map(|&d| group.days[weekday(start_weekday, d)]);
    days[pick_weighted(rng, weights)]
}

/// The weekday (Monday 0) of day `day` of a timeline starting on weekday `start_weekday`.
fn weekday(start_weekday: u32, day: Day) -> usize {
    (i64::from(start_weekday) + day).rem_euclid(7) as usize
}
