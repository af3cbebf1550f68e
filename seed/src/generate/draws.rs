//! Draws and ids: every random value, and every row's id, comes from a PCG generator keyed by
//! the run's seed, the user, a purpose, and what within that purpose it is for.
//!
//! A draw is keyed by (seed, user, [`Purpose`], series, occurrence), as tpchgen keys one
//! generator per column: a change to how one part of a user is drawn (another amount
//! distribution, another merchant list, one more bill) leaves every other part's draws where
//! they were, and the tenth paycheck draws the same values whether or not a ninth was
//! generated first. A row's id is keyed the same way by what the row is (a user, an account,
//! the posted twin of the third purchase in slot 41 of a card), never by how many rows came
//! before it. The persona blocks have draws of their own. Nothing here is global, so a user is
//! the same whatever the thread count, the shard or `--num-users`.

use rand::{Rng, RngExt};
use rand_pcg::Pcg64;

/// What a draw or an id is for. The discriminants are part of the output: a new purpose takes
/// a new number, and no purpose changes its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// A user's name, email and sign-up time; the user's id.
    Identity = 1,
    /// Which accounts a user holds; an account's id, name and mask (series: its kind).
    Account = 2,
    /// A payroll's schedule and employer.
    Payroll = 3,
    /// One paycheck (series: the payroll, occurrence: its number): amount, payer, time.
    Paycheck = 4,
    /// How many transactions a user's accounts hold, and of which categories (occurrence: the
    /// cycle); in the calibrated generator, how often a user follows a habit (series: the
    /// habit).
    Mix = 5,
    /// Which recurring merchants a user pays (series: the subscription; occurrence: the month
    /// it started, where a generator starts one again later).
    Subscription = 6,
    /// One bill of a recurring merchant (series: the subscription, occurrence: the month).
    SubscriptionBill = 7,
    /// The order of categories dealt to a cycle's purchase slots (occurrence: the cycle).
    Deck = 8,
    /// One purchase: day, merchant, amount (story: series the account, occurrence its slot;
    /// calibrated: series the habit, occurrence its number).
    Purchase = 9,
    /// A user's favourite merchants of a group (story: series the category, occurrence the
    /// group; calibrated: series the habit).
    Favorites = 10,
    /// How a transaction settles: its pending lag, whether it drops, its final amount
    /// (series and occurrence: those of the transaction's own purpose and key).
    Settlement = 11,
    /// Whether and when the bank corrects a posted transaction's merchant or category.
    Correction = 12,
    /// Balances, cushions, limits, APRs (series: the account kind).
    Balances = 13,
    /// A recurring stream's id (series: the stream).
    Stream = 14,
    /// A refund of a purchase.
    Refund = 15,
    /// An authorisation voided beside a purchase (series and occurrence: the purchase's).
    Void = 16,
    /// Rent or a mortgage payment (occurrence: the month).
    Housing = 17,
    /// A utility bill (series: the utility, occurrence: the month).
    Utility = 18,
    /// Money moved between a user's own accounts (series: the kind of move and its side,
    /// occurrence: the paycheck, day or month it belongs to).
    Transfer = 19,
    /// A card payment (series: its side, occurrence: the statement it pays).
    CardPayment = 20,
    /// A bank fee or interest charge (series: the kind of fee, occurrence: its statement,
    /// day or number).
    Fee = 21,
}

/// The generators of one user's draws and ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserDraws {
    seed: u64,
    user: u64,
}

/// Tags that keep ids apart from draws under the same key.
const ID_TAG: u64 = 0x1D5;

impl UserDraws {
    /// The draws of user `user` (its 0-based index) in a run seeded `seed`.
    pub fn new(seed: u64, user: u64) -> UserDraws {
        UserDraws { seed, user }
    }

    /// The generator for `purpose`'s draws about occurrence `occurrence` of series `series`.
    pub fn at(&self, purpose: Purpose, series: u64, occurrence: u64) -> Pcg64 {
        keyed(self.seed, self.key(purpose as u64, series, occurrence))
    }

    /// The generator for `purpose`'s draws about the user as a whole.
    pub fn of(&self, purpose: Purpose) -> Pcg64 {
        self.at(purpose, 0, 0)
    }

    /// The id of the row that is `version` of occurrence `occurrence` of series `series` of
    /// `purpose`: a UUID v4 that depends on nothing else.
    pub fn id(&self, purpose: Purpose, series: u64, occurrence: u64, version: u64) -> String {
        let tag = (ID_TAG << 16) | purpose as u64;
        let key = self.key(tag, series, splitmix64(occurrence) ^ version);
        uuid_v4(&mut keyed(self.seed, key))
    }

    fn key(&self, purpose: u64, series: u64, occurrence: u64) -> u128 {
        let hi = splitmix64(self.user ^ splitmix64(purpose));
        let lo = splitmix64(series ^ splitmix64(occurrence ^ hi.rotate_left(17)));
        (u128::from(hi) << 64) | u128::from(lo)
    }
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

/// A random UUID v4, lower-case and hyphenated.
pub(super) fn uuid_v4(rng: &mut Pcg64) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    // Encoded on the stack and copied once: `to_string` goes through the formatter.
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    String::from(&*uuid.hyphenated().encode_lower(&mut text))
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

/// A second within the hours `[from, to)` of a day.
pub(super) fn second_in(rng: &mut Pcg64, (from, to): (u32, u32)) -> i64 {
    rng.random_range(i64::from(from) * 3_600..i64::from(to) * 3_600)
}

/// `true` with a chance of `percent` in 100.
pub(super) fn chance(rng: &mut Pcg64, percent: f64) -> bool {
    rng.random::<f64>() * 100.0 < percent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_and_ids_depend_on_every_part_of_their_key_only() {
        let draws = UserDraws::new(42, 7);
        let first = |d: &UserDraws, p, s, o| d.at(p, s, o).random::<u64>();
        let base = first(&draws, Purpose::Purchase, 2, 41);
        assert_eq!(base, first(&draws, Purpose::Purchase, 2, 41));
        assert_ne!(base, first(&draws, Purpose::Purchase, 2, 42));
        assert_ne!(base, first(&draws, Purpose::Purchase, 1, 41));
        assert_ne!(base, first(&draws, Purpose::Paycheck, 2, 41));
        assert_ne!(
            base,
            first(&UserDraws::new(42, 8), Purpose::Purchase, 2, 41)
        );
        assert_ne!(
            base,
            first(&UserDraws::new(43, 7), Purpose::Purchase, 2, 41)
        );
        let id = draws.id(Purpose::Purchase, 2, 41, 0);
        assert_eq!(id, draws.id(Purpose::Purchase, 2, 41, 0));
        assert_ne!(id, draws.id(Purpose::Purchase, 2, 41, 1));
        assert_ne!(id, draws.id(Purpose::Purchase, 2, 40, 0));
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    }
}
