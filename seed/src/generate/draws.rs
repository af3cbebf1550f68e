//! Draws: every random value comes from a PCG generator keyed by the run's seed, a record and
//! a purpose.
//!
//! Each user has one generator of draws per purpose (tpchgen keys one per column the same
//! way): a change to how one part of a user is drawn (another amount distribution, another
//! merchant list) leaves every other part's draws where they were. Purposes whose rows draw a
//! varying number of values (amounts redrawn until they fall in range) give each row a fixed
//! budget of draws ([`RowDraws`]), so one row's redraws never shift the next row. The persona
//! blocks have draws of their own. Nothing here is global, so a user is the same whatever the
//! thread count, the shard or `--num-users`.

use rand::{Rng, RngExt};
use rand_pcg::Pcg64;

/// The generator of user `index`'s draws for the purpose keyed `purpose` (each generator
/// numbers its purposes in a range of its own).
pub fn user_draws(seed: u64, index: u64, purpose: u64) -> Pcg64 {
    keyed(seed, (u128::from(purpose) << 64) | u128::from(index))
}

/// The draws of persona block `block` (see [`super::PersonaDeck`]).
pub fn block_draws(seed: u64, block: u64) -> Pcg64 {
    keyed(seed, (1 << 64) | u128::from(block))
}

/// A PCG generator for `key` under the run's seed: the key picks PCG's stream and is mixed
/// into the starting state too, so that two keys' sequences are unrelated, not offsets of one
/// another.
fn keyed(seed: u64, key: u128) -> Pcg64 {
    let hi = splitmix64(seed ^ splitmix64((key >> 64) as u64));
    let lo = splitmix64(hi ^ splitmix64(key as u64 ^ seed.rotate_left(32)));
    Pcg64::new((u128::from(hi) << 64) | u128::from(lo), key)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Draws whose rows each own a fixed budget: row `n` starts at draw `n × budget`, whatever
/// earlier rows used of theirs.
pub(super) struct RowDraws {
    base: Pcg64,
    budget: u128,
}

impl RowDraws {
    /// Rows of at most `budget` 64-bit draws each, from `draws`.
    pub(super) fn new(draws: Pcg64, budget: u128) -> Self {
        RowDraws {
            base: draws,
            budget,
        }
    }

    /// The generator for row `row`. PCG jumps ahead in O(log n) steps.
    pub(super) fn row(&self, row: usize) -> Pcg64 {
        let mut rng = self.base.clone();
        rng.advance(row as u128 * self.budget);
        rng
    }
}

/// A random UUID v4, lower-case and hyphenated.
pub(super) fn uuid_v4(rng: &mut Pcg64) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// One of `items`, uniformly.
pub(super) fn pick<'a>(rng: &mut Pcg64, items: &'a [String]) -> &'a str {
    &items[rng.random_range(0..items.len())]
}

/// Shuffles `items` in place (Fisher-Yates, from the back).
pub(super) fn shuffle<T>(rng: &mut Pcg64, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// Picks an index by weight: `weights[i]` out of their sum, which must be positive.
pub(super) fn pick_weighted(rng: &mut Pcg64, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut roll = rng.random_range(0..total);
    for (i, weight) in weights.enumerate() {
        if roll < weight {
            return i;
        }
        roll -= weight;
    }
    unreachable!("the roll falls within the weights")
}
