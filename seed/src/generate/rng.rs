//! Random streams: every draw comes from a PCG stream keyed by the run's seed and a record.
//!
//! Users draw from stream `index`; other keyed streams (the persona blocks) set higher bits
//! so that they never coincide with a user's. Nothing here is global, so a user is the same
//! whatever the thread count, the shard or `--num-users`.

use rand::{Rng, RngExt};
use rand_pcg::Pcg64;

/// The RNG of user `index`: its own PCG stream, seeded from the run's seed.
pub fn user_rng(seed: u64, index: u64) -> Pcg64 {
    stream_rng(seed, index as u128)
}

/// PCG stream `stream` of the run's seed.
pub fn stream_rng(seed: u64, stream: u128) -> Pcg64 {
    let hi = splitmix64(seed);
    let lo = splitmix64(hi ^ seed.rotate_left(32));
    Pcg64::new(((hi as u128) << 64) | lo as u128, stream)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
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
