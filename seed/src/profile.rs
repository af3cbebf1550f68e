//! The profile: every distribution the generator draws from, read from a TOML file.
//!
//! `seed/profiles/default.toml` is compiled in and used unless `--config PATH` names another
//! file. Parsing checks every value once, up front, so generation never meets a bad weight;
//! a bad file fails with one line naming the file, the line and the key.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use rand::RngExt;
use rand_pcg::Pcg64;
use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{AccountKind, INCOME};

/// The default profile's text, as shipped in `seed/profiles/default.toml`.
pub const DEFAULT_PROFILE: &str = include_str!("../profiles/default.toml");

/// A profile file that cannot be used: one line with the file, the line and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: line {line}: {key}: {message}")]
pub struct ProfileError {
    /// Where the profile came from (a path, or "default profile").
    pub origin: String,
    /// 1-based line of the offending value.
    pub line: usize,
    /// Dotted key of the offending value, such as `categories.weight`.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

/// The personas a user can be generated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Persona {
    /// Regular payroll and moderate everything.
    Steady,
    /// A card balance at 50-100% of its limit.
    HighUtilization,
    /// Irregular income and a thin checking cushion.
    VariableIncome,
    /// Three or more recurring merchants.
    SubscriptionHeavy,
    /// A growing savings account and low card utilisation.
    SavingsBuilder,
}

impl Persona {
    /// Every persona, in the order of [`Persona::index`].
    pub const ALL: [Persona; 5] = [
        Persona::Steady,
        Persona::HighUtilization,
        Persona::VariableIncome,
        Persona::SubscriptionHeavy,
        Persona::SavingsBuilder,
    ];

    /// The stored name, as in `persona_labels.persona`.
    pub fn name(self) -> &'static str {
        match self {
            Persona::Steady => "steady",
            Persona::HighUtilization => "high_utilization",
            Persona::VariableIncome => "variable_income",
            Persona::SubscriptionHeavy => "subscription_heavy",
            Persona::SavingsBuilder => "savings_builder",
        }
    }

    /// The persona with this stored name.
    pub fn from_name(name: &str) -> Option<Persona> {
        Persona::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Position in [`Persona::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How a persona's paychecks are scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payroll {
    /// Every other Friday.
    Biweekly,
    /// The 15th and the last day of the month, moved back to a Friday.
    Semimonthly,
    /// Gaps drawn from `pay_gap_days`, moved forward to a Monday.
    Irregular,
}

/// An amount distribution: log-normal around the median, clipped to the range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmountDist {
    /// Smallest amount in cents.
    pub min_cents: i64,
    /// Median amount in cents.
    pub median_cents: i64,
    /// Largest amount in cents.
    pub max_cents: i64,
    /// Sigma of the log-normal.
    pub spread: f64,
}

/// Merchants of one habit within a category: groceries, coffee, rideshare…
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantGroup {
    /// The group's name.
    pub name: String,
    /// Share of its category's transactions.
    pub share: u32,
    /// How much a purchase costs.
    pub amount: AmountDist,
    /// Hours of the day, `[from, to)`.
    pub hours: (u32, u32),
    /// Weekday weights, Monday first.
    pub days: [u32; 7],
    /// The catalog.
    pub merchants: Vec<String>,
}

/// A category with its weight and its merchant groups.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryProfile {
    /// The stored category name.
    pub name: String,
    /// Dataset-wide share in percent.
    pub weight: u32,
    /// Its merchant groups.
    pub groups: Vec<MerchantGroup>,
}

/// One set of accounts a user may hold, with its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSet {
    /// The kinds, in output order.
    pub kinds: Vec<AccountKind>,
    /// Relative weight.
    pub weight: u32,
}

/// A recurring merchant: the same amount on the same day each month.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The merchant's name.
    pub merchant: String,
    /// Index into [`Profile::categories`].
    pub category: usize,
    /// Monthly amount range in cents, inclusive.
    pub amount_cents: (i64, i64),
}

/// Balance, limit and APR ranges, inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Balances {
    /// Checking balances in cents.
    pub checking_cents: (i64, i64),
    /// Savings balances in cents.
    pub savings_cents: (i64, i64),
    /// Card limits in cents (drawn in whole hundreds of dollars).
    pub credit_limit_cents: (i64, i64),
    /// Card APRs in hundredths of a percent.
    pub apr_basis_points: (i64, i64),
    /// Minimum payment as a percentage of the card balance.
    pub min_payment_percent: i64,
}

/// What one persona's data looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaProfile {
    /// Share of users in percent.
    pub share: u32,
    /// Payroll schedules to choose from.
    pub payroll: Vec<Payroll>,
    /// Gaps between irregular paychecks, in days, inclusive.
    pub pay_gap_days: (i64, i64),
    /// Recurring merchants, inclusive.
    pub subscriptions: (u32, u32),
    /// The least the recurring merchants bill per month, in cents.
    pub subscriptions_min_monthly_cents: i64,
    /// Card balance as a percentage of the limit, inclusive.
    pub card_utilization_percent: (u32, u32),
    /// Percentage of users whose card is overdue.
    pub overdue_percent: u32,
    /// Utilisation of overdue cards, inclusive; may exceed 100.
    pub overdue_utilization_percent: (u32, u32),
    /// Checking balance as a percentage of a month of spending, if the persona fixes it.
    pub checking_cover_percent: Option<(u32, u32)>,
    /// Percentage of paychecks deposited into savings.
    pub paychecks_to_savings_percent: u32,
    /// Account kinds every user of the persona holds.
    pub requires: Vec<AccountKind>,
}

/// A validated profile, ready for generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Transactions fall within this many days before the as-of date.
    pub window_days: i64,
    /// Users sign up within this many days before the as-of date.
    pub signup_days: i64,
    /// Share of pending transactions, in percent.
    pub pending_percent: f64,
    /// Transactions per account, inclusive.
    pub transactions_per_account: (u32, u32),
    /// Favourite merchants per group, inclusive.
    pub favorite_merchants: (u32, u32),
    /// Billing hours of recurring charges, `[from, to)`.
    pub billing_hours: (u32, u32),
    /// Relative share of spending per account kind: checking, savings, credit card.
    pub spending_weights: [u32; 3],
    /// Balance ranges.
    pub balances: Balances,
    /// Account sets with weights.
    pub accounts: Vec<AccountSet>,
    /// Categories, in file order.
    pub categories: Vec<CategoryProfile>,
    /// Index of the INCOME category.
    pub income: usize,
    /// Recurring merchants.
    pub subscriptions: Vec<Subscription>,
    /// Per persona, indexed by [`Persona::index`].
    pub personas: Vec<PersonaProfile>,
    /// Scales every user's transaction count (see [`income_scale`]), so that INCOME keeps
    /// its dataset-wide weight although some users' few paychecks sit in accounts whose
    /// minimum count holds more transactions than those paychecks warrant.
    pub income_scale: f64,
    /// One block of persona slots; see [`Profile::persona_of`].
    persona_block: Vec<Persona>,
}

impl Profile {
    /// The compiled-in default profile.
    pub fn default_profile() -> Arc<Profile> {
        static DEFAULT: std::sync::OnceLock<Arc<Profile>> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Arc::new(
                    Profile::parse(DEFAULT_PROFILE, "default profile")
                        .expect("the default profile is valid"),
                )
            })
            .clone()
    }

    /// Reads and validates the profile at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Profile> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read profile {}: {e}", path.display()))?;
        Ok(Profile::parse(&source, &path.display().to_string())?)
    }

    /// Parses and validates profile text; `origin` names it in errors.
    pub fn parse(source: &str, origin: &str) -> Result<Profile, ProfileError> {
        let raw: RawProfile = toml::from_str(source).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            ProfileError {
                origin: origin.to_owned(),
                line: line_of(source, offset),
                key: key_at(source, offset),
                message: one_line(e.message()),
            }
        })?;
        let fail = |span: Range<usize>, key: &str, message: String| ProfileError {
            origin: origin.to_owned(),
            line: line_of(source, span.start),
            key: key.to_owned(),
            message,
        };
        raw.validate(&fail)
    }

    /// The persona of user `index`: a function of (seed, index) only.
    ///
    /// Users are dealt personas in blocks: each block of `B` consecutive users holds every
    /// persona exactly `share × B / 100` times, in an order shuffled by the block's own PCG
    /// stream. Shares alone would leave a persona out of a small prefix now and then; blocks
    /// guarantee every persona with a non-zero share in the first `B` users of any seed (20
    /// for the default shares) while staying prefix-stable and independent of thread count.
    pub fn persona_of(&self, seed: u64, index: u64) -> Persona {
        let block_len = self.persona_block.len() as u64;
        let block = index / block_len;
        let position = (index % block_len) as usize;
        let mut rng = crate::generate::stream_rng(seed, (1u128 << 64) | block as u128);
        let mut slots = [Persona::Steady; 100];
        let slots = &mut slots[..self.persona_block.len()];
        slots.copy_from_slice(&self.persona_block);
        for i in 0..=position {
            let j = rng.random_range(i..slots.len());
            slots.swap(i, j);
        }
        slots[position]
    }

    /// The parameters of `persona`.
    pub fn persona(&self, persona: Persona) -> &PersonaProfile {
        &self.personas[persona.index()]
    }

    /// Picks an account set holding every kind in `requires`.
    pub fn pick_accounts(&self, rng: &mut Pcg64, requires: &[AccountKind]) -> &AccountSet {
        let fits = |set: &&AccountSet| requires.iter().all(|k| set.kinds.contains(k));
        let total: u32 = self.accounts.iter().filter(fits).map(|s| s.weight).sum();
        let mut roll = rng.random_range(0..total);
        for set in self.accounts.iter().filter(fits) {
            if roll < set.weight {
                return set;
            }
            roll -= set.weight;
        }
        unreachable!("validation keeps a weighted set for every persona")
    }
}

/// The 1-based line holding byte `offset`.
fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The dotted key around byte `offset`: the table header above it, then the key (and, inside
/// an inline table, the inner key) on its line.
fn key_at(source: &str, offset: usize) -> String {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = &source[line_start..line_end];
    let head = &line[..offset - line_start];
    let ident = |s: &str| {
        let s = s.trim_end();
        let start = s
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        s[start..].to_owned()
    };
    let mut parts = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        return trimmed
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned();
    }
    if let Some(header) = source[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
    {
        parts.push(
            header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    match (head.find('='), head.rfind('=')) {
        (Some(first), Some(last)) => {
            parts.push(ident(&head[..first]));
            if last != first {
                parts.push(ident(&head[..last]));
            }
        }
        _ => {
            // The error points at a key itself (an unknown field, say): take the word there.
            let rest = &line[head.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            parts.push(format!("{}{}", ident(head), &rest[..end]));
        }
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        "(top level)".to_owned()
    } else {
        parts.join(".")
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

// The file's shape. Values that validation checks are `Spanned`, so an error can name the line.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    window_days: Spanned<i64>,
    signup_days: Spanned<i64>,
    pending_percent: Spanned<f64>,
    transactions_per_account: Spanned<[u32; 2]>,
    favorite_merchants: Spanned<[u32; 2]>,
    billing_hours: Spanned<[u32; 2]>,
    spending_weights: Spanned<RawSpendingWeights>,
    balances: RawBalances,
    accounts: Spanned<Vec<Spanned<RawAccountSet>>>,
    categories: Spanned<Vec<RawCategory>>,
    subscriptions: Vec<RawSubscription>,
    personas: RawPersonas,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpendingWeights {
    checking: u32,
    savings: u32,
    credit_card: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBalances {
    checking_cents: Spanned<[i64; 2]>,
    savings_cents: Spanned<[i64; 2]>,
    credit_limit_cents: Spanned<[i64; 2]>,
    apr_basis_points: Spanned<[i64; 2]>,
    min_payment_percent: Spanned<i64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Checking,
    Savings,
    CreditCard,
}

impl RawKind {
    fn kind(self) -> AccountKind {
        match self {
            RawKind::Checking => AccountKind::Checking,
            RawKind::Savings => AccountKind::Savings,
            RawKind::CreditCard => AccountKind::CreditCard,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccountSet {
    kinds: Vec<RawKind>,
    weight: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    name: Spanned<String>,
    weight: Spanned<u32>,
    groups: Spanned<Vec<RawGroup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    share: u32,
    amount: Spanned<RawAmount>,
    hours: Spanned<[u32; 2]>,
    days: Spanned<[u32; 7]>,
    merchants: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmount {
    min_cents: i64,
    median_cents: i64,
    max_cents: i64,
    spread: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    merchant: Spanned<String>,
    category: Spanned<String>,
    amount_cents: Spanned<[i64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersonas {
    steady: Spanned<RawPersona>,
    high_utilization: Spanned<RawPersona>,
    variable_income: Spanned<RawPersona>,
    subscription_heavy: Spanned<RawPersona>,
    savings_builder: Spanned<RawPersona>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    share: Spanned<u32>,
    payroll: Spanned<Vec<Payroll>>,
    pay_gap_days: Option<Spanned<[i64; 2]>>,
    subscriptions: Spanned<[u32; 2]>,
    subscriptions_min_monthly_cents: Option<Spanned<i64>>,
    card_utilization_percent: Spanned<[u32; 2]>,
    overdue_percent: Option<Spanned<u32>>,
    overdue_utilization_percent: Option<Spanned<[u32; 2]>>,
    checking_cover_percent: Option<Spanned<[u32; 2]>>,
    paychecks_to_savings_percent: Option<Spanned<u32>>,
    requires: Option<Vec<RawKind>>,
}

type Fail<'a> = dyn Fn(Range<usize>, &str, String) -> ProfileError + 'a;

/// Checks that `[lo, hi]` is an ordered range within `[floor, ceiling]`.
fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
    fail: &Fail<'_>,
    value: &Spanned<[T; 2]>,
    key: &str,
    floor: T,
    ceiling: T,
) -> Result<(T, T), ProfileError> {
    let [lo, hi] = *value.get_ref();
    if lo > hi || lo < floor || hi > ceiling {
        return Err(fail(
            value.span(),
            key,
            format!(
                "expected [low, high] with {floor} <= low <= high <= {ceiling}, got [{lo}, {hi}]"
            ),
        ));
    }
    Ok((lo, hi))
}

impl RawProfile {
    fn validate(self, fail: &Fail<'_>) -> Result<Profile, ProfileError> {
        let window_days = *self.window_days.get_ref();
        if !(1..=3_650).contains(&window_days) {
            return Err(fail(
                self.window_days.span(),
                "window_days",
                format!("must be 1 to 3650 days, got {window_days}"),
            ));
        }
        let signup_days = *self.signup_days.get_ref();
        if signup_days <= window_days || signup_days > 36_500 {
            return Err(fail(
                self.signup_days.span(),
                "signup_days",
                format!(
                    "must exceed window_days ({window_days}) and be at most 36500, got {signup_days}"
                ),
            ));
        }
        let pending_percent = *self.pending_percent.get_ref();
        if !(0.0..=100.0).contains(&pending_percent) {
            return Err(fail(
                self.pending_percent.span(),
                "pending_percent",
                format!("must be 0 to 100, got {pending_percent}"),
            ));
        }
        let transactions_per_account = check_range(
            fail,
            &self.transactions_per_account,
            "transactions_per_account",
            1,
            100_000,
        )?;
        let favorite_merchants =
            check_range(fail, &self.favorite_merchants, "favorite_merchants", 1, 64)?;
        let billing_hours = check_range(fail, &self.billing_hours, "billing_hours", 0, 24)?;
        if billing_hours.0 == billing_hours.1 {
            return Err(fail(
                self.billing_hours.span(),
                "billing_hours",
                "must span at least one hour".to_owned(),
            ));
        }
        let weights = self.spending_weights.get_ref();
        let spending_weights = [weights.checking, weights.savings, weights.credit_card];
        if spending_weights.contains(&0) {
            return Err(fail(
                self.spending_weights.span(),
                "spending_weights",
                "every kind needs a positive weight: every account holds spending".to_owned(),
            ));
        }

        let b = &self.balances;
        let balances = Balances {
            checking_cents: check_range(
                fail,
                &b.checking_cents,
                "balances.checking_cents",
                0,
                i64::MAX / 4,
            )?,
            savings_cents: check_range(
                fail,
                &b.savings_cents,
                "balances.savings_cents",
                0,
                i64::MAX / 4,
            )?,
            credit_limit_cents: check_range(
                fail,
                &b.credit_limit_cents,
                "balances.credit_limit_cents",
                10_000,
                i64::MAX / 4,
            )?,
            apr_basis_points: check_range(
                fail,
                &b.apr_basis_points,
                "balances.apr_basis_points",
                0,
                100_000,
            )?,
            min_payment_percent: *b.min_payment_percent.get_ref(),
        };
        if !(0..=100).contains(&balances.min_payment_percent) {
            return Err(fail(
                b.min_payment_percent.span(),
                "balances.min_payment_percent",
                "must be 0 to 100".to_owned(),
            ));
        }

        let mut accounts = Vec::new();
        for set in self.accounts.get_ref() {
            let raw = set.get_ref();
            let kinds: Vec<AccountKind> = raw.kinds.iter().map(|k| k.kind()).collect();
            let unique = kinds
                .iter()
                .enumerate()
                .all(|(i, k)| !kinds[..i].contains(k));
            if !kinds.contains(&AccountKind::Checking) || !unique || kinds.len() > 3 {
                return Err(fail(
                    set.span(),
                    "accounts.kinds",
                    "each set holds a checking account and at most one of each kind".to_owned(),
                ));
            }
            accounts.push(AccountSet {
                kinds,
                weight: raw.weight,
            });
        }
        if accounts.iter().map(|s| s.weight).sum::<u32>() == 0 {
            return Err(fail(
                self.accounts.span(),
                "accounts",
                "needs at least one set with a positive weight".to_owned(),
            ));
        }

        let mut categories = Vec::new();
        for raw in self.categories.get_ref() {
            let name = raw.name.get_ref().clone();
            let key = |field: &str| format!("categories[{name}].{field}");
            if name.is_empty() || categories.iter().any(|c: &CategoryProfile| c.name == name) {
                return Err(fail(
                    raw.name.span(),
                    "categories.name",
                    format!("`{name}` is empty or repeated"),
                ));
            }
            let mut groups = Vec::new();
            for group in raw.groups.get_ref() {
                let gkey = |field: &str| {
                    format!(
                        "categories[{name}].groups[{}].{field}",
                        group.name.get_ref()
                    )
                };
                let a = group.amount.get_ref();
                let ordered = a.min_cents > 0
                    && a.min_cents <= a.median_cents
                    && a.median_cents <= a.max_cents;
                if !(ordered && a.spread.is_finite() && a.spread >= 0.0) {
                    return Err(fail(
                        group.amount.span(),
                        &gkey("amount"),
                        "expected 0 < min_cents <= median_cents <= max_cents and a finite spread >= 0".to_owned(),
                    ));
                }
                let hours = check_range(fail, &group.hours, &gkey("hours"), 0, 24)?;
                if hours.0 == hours.1 {
                    return Err(fail(
                        group.hours.span(),
                        &gkey("hours"),
                        "must span at least one hour".to_owned(),
                    ));
                }
                if group.days.get_ref().iter().all(|&d| d == 0) {
                    return Err(fail(
                        group.days.span(),
                        &gkey("days"),
                        "needs a positive weight for some day".to_owned(),
                    ));
                }
                if group.merchants.get_ref().is_empty() {
                    return Err(fail(
                        group.merchants.span(),
                        &gkey("merchants"),
                        "needs at least one merchant".to_owned(),
                    ));
                }
                groups.push(MerchantGroup {
                    name: group.name.get_ref().clone(),
                    share: group.share,
                    amount: AmountDist {
                        min_cents: a.min_cents,
                        median_cents: a.median_cents,
                        max_cents: a.max_cents,
                        spread: a.spread,
                    },
                    hours,
                    days: *group.days.get_ref(),
                    merchants: group.merchants.get_ref().clone(),
                });
            }
            if groups.iter().map(|g| g.share).sum::<u32>() == 0 {
                return Err(fail(
                    raw.groups.span(),
                    &key("groups"),
                    "needs a group with a positive share".to_owned(),
                ));
            }
            categories.push(CategoryProfile {
                name,
                weight: *raw.weight.get_ref(),
                groups,
            });
        }
        let total: u32 = categories.iter().map(|c| c.weight).sum();
        if total != 100 {
            return Err(fail(
                self.categories.span(),
                "categories.weight",
                format!("weights must sum to 100, got {total}"),
            ));
        }
        let Some(income) = categories.iter().position(|c| c.name == INCOME) else {
            return Err(fail(
                self.categories.span(),
                "categories.name",
                format!("a category named {INCOME} is required"),
            ));
        };
        if categories[income].weight == 0 {
            let raw = &self.categories.get_ref()[income];
            return Err(fail(
                raw.weight.span(),
                "categories[INCOME].weight",
                "must be positive: everyone is paid".to_owned(),
            ));
        }

        let mut subscriptions = Vec::new();
        for raw in &self.subscriptions {
            let category = categories
                .iter()
                .position(|c| c.name == *raw.category.get_ref())
                .filter(|&c| c != income);
            let Some(category) = category else {
                return Err(fail(
                    raw.category.span(),
                    "subscriptions.category",
                    format!(
                        "`{}` is not a spending category of this profile",
                        raw.category.get_ref()
                    ),
                ));
            };
            let amount_cents = check_range(
                fail,
                &raw.amount_cents,
                "subscriptions.amount_cents",
                1,
                i64::MAX / 4,
            )?;
            if subscriptions
                .iter()
                .any(|s: &Subscription| s.merchant == *raw.merchant.get_ref())
            {
                return Err(fail(
                    raw.merchant.span(),
                    "subscriptions.merchant",
                    "is repeated".to_owned(),
                ));
            }
            subscriptions.push(Subscription {
                merchant: raw.merchant.get_ref().clone(),
                category,
                amount_cents,
            });
        }

        let p = &self.personas;
        let raws = [
            &p.steady,
            &p.high_utilization,
            &p.variable_income,
            &p.subscription_heavy,
            &p.savings_builder,
        ];
        let mut personas = Vec::new();
        for (persona, raw) in Persona::ALL.into_iter().zip(raws) {
            personas.push(raw.get_ref().validate(fail, persona.name(), &accounts)?);
        }
        let shares: Vec<u32> = personas.iter().map(|p| p.share).collect();
        if shares.iter().sum::<u32>() != 100 {
            return Err(fail(
                p.steady.get_ref().share.span(),
                "personas.share",
                format!(
                    "persona shares must sum to 100, got {}",
                    shares.iter().sum::<u32>()
                ),
            ));
        }
        let gcd = shares.iter().fold(0, |a, &b| gcd(a, b));
        let mut persona_block = Vec::new();
        for (persona, share) in Persona::ALL.into_iter().zip(&shares) {
            persona_block.extend(std::iter::repeat_n(persona, (share / gcd) as usize));
        }

        let income_scale = income_scale(
            window_days,
            f64::from(categories[income].weight) / 100.0,
            &personas,
            &accounts,
            transactions_per_account.0,
        );
        Ok(Profile {
            income_scale,
            window_days,
            signup_days,
            pending_percent,
            transactions_per_account,
            favorite_merchants,
            billing_hours,
            spending_weights,
            balances,
            accounts,
            categories,
            income,
            subscriptions,
            personas,
            persona_block,
        })
    }
}

/// How much to shrink every user's transaction count so that paychecks are INCOME's share
/// of all transactions dataset-wide.
///
/// A user's count is its paychecks over INCOME's share, but never below `min_per_account`
/// per account. Irregular earners have few paychecks and hit that floor, which adds
/// non-income transactions; the others' counts shrink by the expected excess. Expectations
/// are per persona: paychecks by schedule, accounts by the sets the persona may hold.
fn income_scale(
    window_days: i64,
    share: f64,
    personas: &[PersonaProfile],
    accounts: &[AccountSet],
    min_per_account: u32,
) -> f64 {
    let window = window_days as f64;
    let (mut regular, mut excess) = (0.0, 0.0);
    for persona in personas {
        let paychecks = persona
            .payroll
            .iter()
            .map(|p| match p {
                Payroll::Biweekly => window / 14.0,
                Payroll::Semimonthly => window * 24.0 / 365.25,
                Payroll::Irregular => {
                    let (lo, hi) = persona.pay_gap_days;
                    let first = hi as f64 / 2.0;
                    ((window - first) / ((lo + hi) as f64 / 2.0)).max(0.0) + 1.0
                }
            })
            .sum::<f64>()
            / persona.payroll.len() as f64;
        let sets = accounts
            .iter()
            .filter(|s| persona.requires.iter().all(|k| s.kinds.contains(k)));
        let (weight, held) = sets.fold((0.0, 0.0), |(w, h), s| {
            (
                w + f64::from(s.weight),
                h + f64::from(s.weight) * s.kinds.len() as f64,
            )
        });
        let floor = if weight > 0.0 { held / weight } else { 1.0 } * f64::from(min_per_account);
        let wanted = paychecks / share;
        let p = f64::from(persona.share);
        if wanted < floor {
            excess += p * (floor - wanted);
        } else {
            regular += p * wanted;
        }
    }
    if regular <= 0.0 {
        1.0
    } else {
        ((regular - excess) / regular).clamp(0.5, 1.0)
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl RawPersona {
    fn validate(
        &self,
        fail: &Fail<'_>,
        name: &str,
        accounts: &[AccountSet],
    ) -> Result<PersonaProfile, ProfileError> {
        let key = |field: &str| format!("personas.{name}.{field}");
        let payroll = self.payroll.get_ref().clone();
        if payroll.is_empty() {
            return Err(fail(
                self.payroll.span(),
                &key("payroll"),
                "needs at least one schedule".to_owned(),
            ));
        }
        let pay_gap_days = match &self.pay_gap_days {
            Some(gaps) => check_range(fail, gaps, &key("pay_gap_days"), 1, 3_650)?,
            None if payroll.contains(&Payroll::Irregular) => {
                return Err(fail(
                    self.payroll.span(),
                    &key("pay_gap_days"),
                    "irregular payroll needs pay_gap_days".to_owned(),
                ));
            }
            None => (14, 14),
        };
        let requires: Vec<AccountKind> = self.requires.iter().flatten().map(|k| k.kind()).collect();
        if !accounts
            .iter()
            .any(|s| s.weight > 0 && requires.iter().all(|k| s.kinds.contains(k)))
        {
            return Err(fail(
                self.share.span(),
                &key("requires"),
                "no account set with a positive weight holds every required kind".to_owned(),
            ));
        }
        let overdue_percent = self.overdue_percent.as_ref().map_or(0, |v| *v.get_ref());
        if overdue_percent > 100 {
            let span = self.overdue_percent.as_ref().expect("present").span();
            return Err(fail(
                span,
                &key("overdue_percent"),
                "must be 0 to 100".to_owned(),
            ));
        }
        let paychecks_to_savings_percent = self
            .paychecks_to_savings_percent
            .as_ref()
            .map_or(0, |v| *v.get_ref());
        if paychecks_to_savings_percent > 100 {
            let span = self
                .paychecks_to_savings_percent
                .as_ref()
                .expect("present")
                .span();
            return Err(fail(
                span,
                &key("paychecks_to_savings_percent"),
                "must be 0 to 100".to_owned(),
            ));
        }
        if paychecks_to_savings_percent > 0 && !requires.contains(&AccountKind::Savings) {
            let span = self
                .paychecks_to_savings_percent
                .as_ref()
                .expect("present")
                .span();
            return Err(fail(
                span,
                &key("paychecks_to_savings_percent"),
                "needs requires = [\"savings\"]".to_owned(),
            ));
        }
        Ok(PersonaProfile {
            share: *self.share.get_ref(),
            payroll,
            pay_gap_days,
            subscriptions: check_range(fail, &self.subscriptions, &key("subscriptions"), 0, 64)?,
            subscriptions_min_monthly_cents: self
                .subscriptions_min_monthly_cents
                .as_ref()
                .map_or(0, |v| *v.get_ref()),
            card_utilization_percent: check_range(
                fail,
                &self.card_utilization_percent,
                &key("card_utilization_percent"),
                0,
                100,
            )?,
            overdue_percent,
            overdue_utilization_percent: match &self.overdue_utilization_percent {
                Some(range) => {
                    check_range(fail, range, &key("overdue_utilization_percent"), 0, 200)?
                }
                None => (90, 100),
            },
            checking_cover_percent: match &self.checking_cover_percent {
                Some(range) => Some(check_range(
                    fail,
                    range,
                    &key("checking_cover_percent"),
                    0,
                    10_000,
                )?),
                None => None,
            },
            paychecks_to_savings_percent,
            requires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_parses_and_deals_every_persona_in_twenty_users() {
        let profile = Profile::default_profile();
        assert_eq!(profile.persona_block.len(), 20);
        for seed in [0, 1, 42, 7_777] {
            let mut seen: Vec<Persona> = (0..20).map(|i| profile.persona_of(seed, i)).collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen, Persona::ALL.to_vec(), "seed {seed}");
        }
    }

    #[test]
    fn type_errors_name_key_and_line() {
        let source = DEFAULT_PROFILE.replace("pending_percent = 5.0", "pending_percent = \"five\"");
        let line = source
            .lines()
            .position(|l| l.starts_with("pending_percent"))
            .unwrap()
            + 1;
        let err = Profile::parse(&source, "p.toml").unwrap_err();
        assert_eq!(
            (err.line, err.key.as_str()),
            (line, "pending_percent"),
            "{err}"
        );
    }

    #[test]
    fn inline_table_errors_name_the_inner_key() {
        let source = DEFAULT_PROFILE.replacen("median_cents = 6_400", "median_cents = \"x\"", 1);
        let err = Profile::parse(&source, "p.toml").unwrap_err();
        assert_eq!(err.key, "categories.groups.amount.median_cents", "{err}");
    }
}
