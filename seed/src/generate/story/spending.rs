//! Spending: how a user's purchases split over categories, merchants, days and hours.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::draws::pick_weighted;
use crate::calendar::SECONDS_PER_DAY;
use crate::profile::StoryProfile;
use crate::profile::story::MerchantGroup;

/// Splits `n` spending transactions over the spending categories by weight, by largest
/// remainder with ties broken at random, so each user's mix matches the weights.
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

/// Up to four merchant indexes, and how many of them are used.
type Chosen = ([u16; 4], u8);

/// Each user's few favourite merchants per group, drawn on first use; earlier favourites are
/// visited more often (weights 1, 1/2, 1/3, …), the way people return to the same places.
pub(super) struct Favorites {
    /// Per (category, group): up to four merchant indexes, or none drawn yet.
    slots: Vec<Vec<Option<Chosen>>>,
}

impl Favorites {
    pub(super) fn new(profile: &StoryProfile) -> Self {
        Favorites {
            slots: profile
                .categories
                .iter()
                .map(|c| vec![None; c.groups.len()])
                .collect(),
        }
    }

    pub(super) fn pick<'p>(
        &mut self,
        rng: &mut Pcg64,
        profile: &'p StoryProfile,
        category: usize,
        group: usize,
    ) -> &'p str {
        let merchants = &profile.categories[category].groups[group].merchants;
        let (favorites, count) = *self.slots[category][group].get_or_insert_with(|| {
            let (lo, hi) = profile.favorite_merchants;
            let count = rng.random_range(lo..=hi).min(merchants.len() as u32).min(4) as usize;
            let mut chosen = [0u16; 4];
            let mut n = 0;
            while n < count {
                let m = rng.random_range(0..merchants.len()) as u16;
                if !chosen[..n].contains(&m) {
                    chosen[n] = m;
                    n += 1;
                }
            }
            (chosen, count as u8)
        });
        // Weights 12, 6, 4, 3: 12/(i + 1) for the i-th favourite.
        const WEIGHTS: [u32; 4] = [12, 6, 4, 3];
        let i = pick_weighted(rng, WEIGHTS[..count as usize].iter().copied());
        &merchants[favorites[i] as usize]
    }
}

/// A merchant group of a category, by share.
pub(super) fn pick_group(rng: &mut Pcg64, groups: &[MerchantGroup]) -> usize {
    if groups.len() == 1 {
        return 0;
    }
    pick_weighted(rng, groups.iter().map(|g| g.share))
}

/// Seconds since the window start: a day drawn by the group's weekday weights, an hour from
/// its hours.
pub(super) fn habit_time(
    rng: &mut Pcg64,
    group: &MerchantGroup,
    start_weekday: u32,
    window_days: i64,
) -> i64 {
    let max = *group.days.iter().max().expect("seven days");
    let day = loop {
        let d = rng.random_range(0..window_days);
        let weekday = ((i64::from(start_weekday) + d) % 7) as usize;
        if rng.random_range(0..max) < group.days[weekday] {
            break d;
        }
    };
    day * SECONDS_PER_DAY + hour_in(rng, group.hours)
}

/// A second within the hours `[from, to)` of a day.
pub(super) fn hour_in(rng: &mut Pcg64, (from, to): (u32, u32)) -> i64 {
    rng.random_range(i64::from(from) * 3_600..i64::from(to) * 3_600)
}
