//! The profile: every distribution the generator draws from, read from a TOML file.
//!
//! The built-in profiles are compiled in and picked by name (`--profile`): `story`
//! (`seed/profiles/story.toml`, the default) follows the product's original specification;
//! `calibrated` (`seed/profiles/calibrated.toml`) makes data whose money adds up, calibrated
//! to published US figures. `--config PATH` reads another file instead; a file saying
//! `generator = "calibrated"` has the calibrated shape ([`calibrated`]), any other the
//! story's. Parsing checks every value once, up front, so generation never meets a bad
//! weight; a bad file fails with one line naming the file, the line and the key.

pub mod calibrated;
mod location;
mod parse;
mod targets;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::catalog::AccountKind;
use crate::persona::Persona;
use location::line_of;
use parse::RawProfile;
pub use targets::{Band, CALIBRATED_TARGETS, Targets};

/// The `story` profile's text, as shipped in `seed/profiles/story.toml`: the default.
pub const STORY_PROFILE: &str = include_str!("../../profiles/story.toml");

/// The `calibrated` profile's text, as shipped in `seed/profiles/calibrated.toml`.
pub const CALIBRATED_PROFILE: &str = include_str!("../../profiles/calibrated.toml");

/// The name of the profile used when none is named.
pub const DEFAULT_PROFILE_NAME: &str = "story";

/// The built-in profiles, by name.
pub const BUILTIN_PROFILES: &[&str] = &["story", "calibrated"];

/// How a card's monthly statements fall due and what their minimum payment is (the calibrated
/// profile's `[cards.statement]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatementTerms {
    /// A statement's payment is due this many days after its issue date.
    pub due_days: u32,
    /// The minimum payment as a percentage of the statement balance.
    pub minimum_percent: f64,
    /// The least minimum payment of a positive balance, in cents.
    pub minimum_floor_cents: i64,
}

impl StatementTerms {
    /// The minimum payment of a statement balance `balance`: nothing for no balance, else
    /// `minimum_percent` of it (rounded half away from zero to cents) but at least the floor,
    /// and never more than the balance.
    pub fn minimum_payment(&self, balance: i64) -> i64 {
        if balance <= 0 {
            return 0;
        }
        let percent = (balance as f64 * self.minimum_percent / 100.0).round() as i64;
        balance.min(self.minimum_floor_cents.max(percent))
    }
}

/// What decides a profile file's shape: its `generator` key, if any.
#[derive(Deserialize)]
struct Head {
    generator: Option<toml::Spanned<String>>,
}

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
    /// What `meta.profile` calls it: a built-in profile's name, or a profile file's name.
    pub name: String,
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
    /// Per persona, indexed by [`Persona::index`]. In the calibrated profile only `share` is
    /// used; the rest of each persona is in [`Profile::calibrated`].
    pub personas: Vec<PersonaProfile>,
    /// Card statement terms: `Some` in the calibrated profile, `None` in the story's.
    pub statement: Option<StatementTerms>,
    /// The calibrated generator's distributions, for a `generator = "calibrated"` profile;
    /// the story-shaped fields above then hold only the window, sign-up span, pending share
    /// and persona shares.
    pub calibrated: Option<Arc<calibrated::Calibrated>>,
}

impl PersonaProfile {
    /// A persona of the calibrated profile seen through the story's shape: its share, and
    /// neutral values the calibrated generator never reads.
    fn share_only(share: u32) -> PersonaProfile {
        PersonaProfile {
            share,
            payroll: vec![Payroll::Biweekly],
            pay_gap_days: (14, 14),
            subscriptions: (0, 0),
            subscriptions_min_monthly_cents: 0,
            card_utilization_percent: (0, 0),
            overdue_percent: 0,
            overdue_utilization_percent: (0, 0),
            checking_cover_percent: None,
            paychecks_to_savings_percent: 0,
            requires: Vec::new(),
        }
    }
}

impl Profile {
    /// The default profile, `story`.
    pub fn default_profile() -> Arc<Profile> {
        static STORY: std::sync::OnceLock<Arc<Profile>> = std::sync::OnceLock::new();
        STORY
            .get_or_init(|| {
                Arc::new(
                    Profile::parse(STORY_PROFILE, "story", "story profile")
                        .expect("the story profile is valid"),
                )
            })
            .clone()
    }

    /// The built-in `calibrated` profile.
    pub fn calibrated_profile() -> Arc<Profile> {
        static CALIBRATED: std::sync::OnceLock<Arc<Profile>> = std::sync::OnceLock::new();
        CALIBRATED
            .get_or_init(|| {
                Arc::new(
                    Profile::parse(CALIBRATED_PROFILE, "calibrated", "calibrated profile")
                        .expect("the calibrated profile is valid"),
                )
            })
            .clone()
    }

    /// The built-in profile called `name`; fails naming the ones there are.
    pub fn builtin(name: &str) -> anyhow::Result<Arc<Profile>> {
        match name {
            "story" => Ok(Profile::default_profile()),
            "calibrated" => Ok(Profile::calibrated_profile()),
            _ => anyhow::bail!(
                "no built-in profile is called {name:?}; there are {}",
                BUILTIN_PROFILES.join(", ")
            ),
        }
    }

    /// Reads and validates the profile at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Profile> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read profile {}: {e}", path.display()))?;
        // The file's name, not its path: the same file gives the same bytes wherever it is.
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Profile::parse(&source, &name, &path.display().to_string())?)
    }

    /// Parses and validates profile text called `name`; `origin` names it in errors.
    pub fn parse(source: &str, name: &str, origin: &str) -> Result<Profile, ProfileError> {
        let toml_error = |e: toml::de::Error| location::toml_error(source, origin, &e);
        let fail = |span: Range<usize>, key: &str, message: String| ProfileError {
            origin: origin.to_owned(),
            line: line_of(source, span.start),
            key: key.to_owned(),
            message,
        };
        let head: Head = toml::from_str(source).map_err(toml_error)?;
        match head.generator.as_ref().map(|g| g.get_ref().as_str()) {
            None => {
                let raw: RawProfile = toml::from_str(source).map_err(toml_error)?;
                raw.validate(name, &fail)
            }
            Some("calibrated") => {
                let raw: calibrated::RawCalibrated = toml::from_str(source).map_err(toml_error)?;
                let parts = raw.validate(&fail)?;
                Ok(Profile::from_calibrated(name, parts))
            }
            Some(other) => Err(fail(
                head.generator.as_ref().expect("present").span(),
                "generator",
                format!(
                    "`{other}` is not a generator; the one there is is \"calibrated\" (leave the key out for the story's)"
                ),
            )),
        }
    }

    /// A calibrated profile in the shape every profile has.
    fn from_calibrated(name: &str, parts: calibrated::CalibratedParts) -> Profile {
        Profile {
            name: name.to_owned(),
            window_days: parts.window_days,
            signup_days: parts.signup_days,
            pending_percent: parts.pending_percent,
            transactions_per_account: (1, 1),
            favorite_merchants: (1, 1),
            billing_hours: (0, 1),
            spending_weights: [1, 0, 1],
            balances: Balances {
                checking_cents: (0, 0),
                savings_cents: (0, 0),
                credit_limit_cents: (0, 0),
                apr_basis_points: (0, 0),
                min_payment_percent: 0,
            },
            accounts: Vec::new(),
            categories: Vec::new(),
            income: 0,
            subscriptions: Vec::new(),
            personas: parts.personas,
            statement: Some(parts.statement),
            calibrated: Some(Arc::new(parts.calibrated)),
        }
    }

    /// The parameters of `persona`.
    pub fn persona(&self, persona: Persona) -> &PersonaProfile {
        &self.personas[persona.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_name_key_and_line() {
        let source = STORY_PROFILE.replace("pending_percent = 5.0", "pending_percent = \"five\"");
        let line = source
            .lines()
            .position(|l| l.starts_with("pending_percent"))
            .unwrap()
            + 1;
        let err = Profile::parse(&source, "p.toml", "p.toml").unwrap_err();
        assert_eq!(
            (err.line, err.key.as_str()),
            (line, "pending_percent"),
            "{err}"
        );
    }

    #[test]
    fn inline_table_errors_name_the_inner_key() {
        let source = STORY_PROFILE.replacen("median_cents = 6_400", "median_cents = \"x\"", 1);
        let err = Profile::parse(&source, "p.toml", "p.toml").unwrap_err();
        assert_eq!(err.key, "categories.groups.amount.median_cents", "{err}");
    }
}
