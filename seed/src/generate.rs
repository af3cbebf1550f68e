//! Pure generation: one user, with accounts and transactions, from (seed, user index, as-of).
//!
//! Nothing here reads a clock, a file or a global RNG. Each user draws from its own PCG
//! stream keyed by (seed, user index), so user `i` is the same whatever the thread count,
//! shard or `--num-users`, and the first N users of any run are the users of an N-user run.

use backend::{Account, Transaction, User};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use fake::Fake;
use fake::faker::name::en::{FirstName, LastName};
use rand::{Rng, RngExt};
use rand_pcg::Pcg64;

use crate::catalog::{self, AccountKind, CATEGORIES, Category};
use crate::dataset::UserBundle;

/// Names the generator in `meta.generator`. Bump the version whenever output changes.
pub const GENERATOR: &str = concat!("spendsense-seed ", env!("CARGO_PKG_VERSION"));

/// What every generated value depends on besides the user index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// The `--seed`.
    pub seed: u64,
    /// The `--as-of` date; all dates fall before its midnight (UTC).
    pub as_of: NaiveDate,
}

impl GenConfig {
    /// Midnight at the start of the as-of date.
    pub fn as_of_midnight(&self) -> NaiveDateTime {
        self.as_of.and_hms_opt(0, 0, 0).expect("midnight exists")
    }
}

/// The RNG of user `index`: its own PCG stream, seeded from the run's seed.
pub fn user_rng(seed: u64, index: u64) -> Pcg64 {
    let hi = splitmix64(seed);
    let lo = splitmix64(hi ^ seed.rotate_left(32));
    Pcg64::new(((hi as u128) << 64) | lo as u128, index as u128)
}

/// Generates user `index` (0-based) with all of their accounts and transactions.
pub fn generate_user(config: &GenConfig, index: u64) -> UserBundle {
    let mut rng = user_rng(config.seed, index);
    let rng = &mut rng;
    let midnight = config.as_of_midnight();

    let first: String = FirstName().fake_with_rng(rng);
    let last: String = LastName().fake_with_rng(rng);
    let domain = catalog::EMAIL_DOMAINS[rng.random_range(0..catalog::EMAIL_DOMAINS.len())];
    let user = User {
        id: uuid_v4(rng),
        email: format!(
            "{}.{}.{index}@{domain}",
            email_part(&first),
            email_part(&last)
        ),
        name: format!("{first} {last}"),
        consent: false,
        created_at: seconds_before(rng, midnight, catalog::SIGNUP_DAYS),
    };

    let (min_accounts, max_accounts) = catalog::ACCOUNTS_PER_USER;
    let kinds: &[AccountKind] = match rng.random_range(min_accounts..=max_accounts) {
        1 => &[AccountKind::Checking],
        2 if rng.random_bool(0.5) => &[AccountKind::Checking, AccountKind::Savings],
        2 => &[AccountKind::Checking, AccountKind::CreditCard],
        _ => &[
            AccountKind::Checking,
            AccountKind::Savings,
            AccountKind::CreditCard,
        ],
    };
    let accounts: Vec<Account> = kinds
        .iter()
        .map(|&kind| generate_account(rng, &user, kind))
        .collect();

    let mut transactions = Vec::new();
    for account in &accounts {
        let (min, max) = catalog::TRANSACTIONS_PER_ACCOUNT;
        let count = rng.random_range(min..=max);
        let start = transactions.len();
        for _ in 0..count {
            transactions.push(generate_transaction(rng, account, midnight));
        }
        transactions[start..].sort_by_key(|t: &Transaction| t.date);
    }

    UserBundle {
        user,
        accounts,
        transactions,
    }
}

fn generate_account(rng: &mut Pcg64, user: &User, kind: AccountKind) -> Account {
    let names = kind.names();
    let mut account = Account {
        id: uuid_v4(rng),
        user_id: user.id.clone(),
        name: names[rng.random_range(0..names.len())].to_owned(),
        account_type: kind.account_type().to_owned(),
        subtype: kind.subtype().to_owned(),
        mask: format!("{:04}", rng.random_range(0..10_000)),
        balance: 0,
        currency: "USD".to_owned(),
        credit_limit: None,
        apr: None,
        min_payment: None,
        is_overdue: None,
    };
    if kind == AccountKind::CreditCard {
        let (min_limit, max_limit) = catalog::CREDIT_LIMIT_CENTS;
        // Limits are whole hundreds of dollars, as issuers set them.
        let limit = rng.random_range(min_limit / 10_000..=max_limit / 10_000) * 10_000;
        let balance = rng.random_range(0..=limit * 9 / 10);
        let (min_apr, max_apr) = catalog::APR_BASIS_POINTS;
        account.balance = balance;
        account.credit_limit = Some(limit);
        account.apr = Some(rng.random_range(min_apr..=max_apr) as f64 / 100.0);
        account.min_payment = Some(min_payment(balance));
        account.is_overdue = Some(rng.random_bool(0.08));
    } else {
        let (min, max) = kind.balance_cents();
        account.balance = rng.random_range(min..=max);
    }
    account
}

fn generate_transaction(
    rng: &mut Pcg64,
    account: &Account,
    midnight: NaiveDateTime,
) -> Transaction {
    let category = pick_category(rng);
    // Payers and merchants alike are company names.
    let merchant_name: String = fake::faker::company::en::CompanyName().fake_with_rng(rng);
    Transaction {
        id: uuid_v4(rng),
        account_id: account.id.clone(),
        date: seconds_before(rng, midnight, catalog::WINDOW_DAYS),
        amount: rng.random_range(category.min_cents..=category.max_cents),
        category: category.name.to_owned(),
        merchant_name,
        pending: rng.random_range(0..100) < catalog::PENDING_PERCENT,
    }
}

fn pick_category(rng: &mut Pcg64) -> &'static Category {
    let mut roll = rng.random_range(0..100);
    for category in &CATEGORIES {
        if roll < category.weight_percent {
            return category;
        }
        roll -= category.weight_percent;
    }
    unreachable!("category weights sum to 100")
}

/// The minimum payment on a card balance: 2%, rounded half up to whole cents.
pub fn min_payment(balance_cents: i64) -> i64 {
    (balance_cents * catalog::MIN_PAYMENT_PERCENT + 50) / 100
}

/// A whole second in `[midnight - days, midnight)`.
fn seconds_before(rng: &mut Pcg64, midnight: NaiveDateTime, days: i64) -> NaiveDateTime {
    midnight - Duration::seconds(rng.random_range(1..=days * 86_400))
}

fn uuid_v4(rng: &mut Pcg64) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Lower-case ASCII letters and digits of a name, for an email's local part.
fn email_part(name: &str) -> String {
    let part: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if part.is_empty() {
        "user".to_owned()
    } else {
        part
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
