//! Random streams: every draw comes from a PCG stream keyed by the run's seed, a record and a
//! purpose.
//!
//! Each user has one stream per [`Purpose`] (tpchgen keys one stream per column the same
//! way): a change to how one part of a user is drawn (another amount distribution, another
//! merchant list) leaves every other part's draws where they were. Streams whose rows draw
//! a varying number of values (amounts redrawn until they fall in range) give each row a
//! fixed budget of draws ([`RowStream`]), so one row's redraws never shift the next row. The
//! persona blocks have streams of their own. Nothing here is global, so a user is the same
//! whatever the thread count, the shard or `--num-users`.

use rand::{Rng, RngExt};
use rand_pcg::Pcg64;

/// What a draw is for. Each purpose of each user is its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Name, email, id and sign-up time.
    Identity,
    /// Which accounts, and each account's id, name and mask.
    Accounts,
    /// The payroll schedule, paydays, employers and pay times.
    Payroll,
    /// Paycheck amounts, one row per paycheck.
    PayAmounts,
    /// How many transactions, of which categories, on which accounts.
    Mix,
    /// Recurring merchants: which, when, where and how much.
    Subscriptions,
    /// Purchases: category order, merchant group, day, hour and merchant.
    Spending,
    /// Purchase amounts, one row per purchase.
    PurchaseAmounts,
    /// Which transactions are still pending.
    Pending,
    /// Balances, limits and APRs.
    Balances,
    /// Transaction ids.
    TransactionIds,
    /// Recurring stream ids. Last, so that adding it moved no other purpose's stream.
    StreamIds,
}

/// The stream of user `index` for `purpose`.
pub fn user_stream(seed: u64, index: u64, purpose: Purpose) -> Pcg64 {
    keyed_rng(seed, ((purpose as u128 + 2) << 64) | u128::from(index))
}

/// The stream of persona block `block` (see [`super::PersonaDeck`]).
pub fn block_stream(seed: u64, block: u64) -> Pcg64 {
    keyed_rng(seed, (1 << 64) | u128::from(block))
}

/// A PCG generator for `key` under the run's seed: the key picks the stream and is mixed into
/// the starting state too, so that two keys' sequences are unrelated, not offsets of one
/// another.
pub(super) fn keyed_rng(seed: u64, key: u128) -> Pcg64 {
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

/// A stream whose rows each own a fixed budget of draws: row `n` starts at draw
/// `n × budget`, whatever earlier rows used of theirs.
pub(super) struct RowStream {
    base: Pcg64,
    budget: u128,
}

impl RowStream {
    /// Rows of at most `budget` 64-bit draws each, from `stream`.
    pub(super) fn new(stream: Pcg64, budget: u128) -> Self {
        RowStream {
            base: stream,
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
