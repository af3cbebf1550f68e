//! What every profile has, whatever its generator: its name, the window of history, the
//! sign-up span, the personas' shares, how pending transactions settle and how banks correct
//! posted ones, the account kinds a persona may require and how a merchant group's
//! authorisations differ from what posts, with their TOML shapes and validation, written once
//! for both kinds of profile.

use serde::Deserialize;
use toml::Spanned;

use super::ProfileError;
use super::check::{Check, MAX_CENTS};
use crate::catalog::{AccountKind, plaid_primary_of};
use crate::persona::Persona;

/// The part of a profile every generator reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// What `meta.profile` calls it: a built-in profile's name, or a profile file's name.
    pub name: String,
    /// Transactions fall within this many days before the as-of date.
    pub window_days: i64,
    /// Users sign up within this many days before the as-of date, before the window opens.
    pub signup_days: i64,
    /// Share of users per persona, in percent, indexed by [`Persona::index`]; they sum to 100.
    pub persona_shares: [u32; 5],
    /// How pending transactions settle.
    pub pending: Pending,
    /// How banks correct posted transactions.
    pub corrections: Corrections,
}

/// How a transaction that goes through pending settles (`[pending]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pending {
    /// Days from authorisation to posting (or dropping), inclusive.
    pub lag_days: (i64, i64),
    /// Whether the lag counts business days (weekends and federal holidays do not count).
    pub business_days: bool,
    /// Authorisations that are voided and drop (a duplicate, a cancelled order), as a share of
    /// purchases, in percent: each shows as pending for a lag, then disappears.
    pub drop_percent: f64,
}

/// How banks correct posted transactions in the days after they post (`[corrections]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corrections {
    /// Share of posted purchases first shown under the card network's raw descriptor and
    /// later renamed to the merchant, in percent.
    pub merchant_percent: f64,
    /// Share of posted purchases first given a generic category and later their own, in
    /// percent.
    pub category_percent: f64,
    /// Days after posting that a correction comes, inclusive.
    pub within_days: (i64, i64),
}

/// How a merchant group's card authorisations differ from what posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    /// The authorised amount is what posts.
    Exact,
    /// A tip of this percentage range (inclusive) is added when it posts (restaurants).
    Tip((u32, u32)),
    /// The authorisation holds this many cents and the final amount posts (fuel, lodging).
    Hold(i64),
}

impl Common {
    /// The share of users of `persona`, in percent.
    pub fn share(&self, persona: Persona) -> u32 {
        self.persona_shares[persona.index()]
    }
}

/// The `[personas.*]` tables of a profile, one per persona, in whatever shape a persona's
/// table has in that kind of profile.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPersonas<P> {
    steady: Spanned<P>,
    high_utilization: Spanned<P>,
    variable_income: Spanned<P>,
    subscription_heavy: Spanned<P>,
    savings_builder: Spanned<P>,
}

impl<P> RawPersonas<P> {
    /// Each persona with its table, in [`Persona::ALL`] order.
    pub(super) fn each(&self) -> [(Persona, &Spanned<P>); 5] {
        [
            (Persona::Steady, &self.steady),
            (Persona::HighUtilization, &self.high_utilization),
            (Persona::VariableIncome, &self.variable_income),
            (Persona::SubscriptionHeavy, &self.subscription_heavy),
            (Persona::SavingsBuilder, &self.savings_builder),
        ]
    }

    /// Validates each persona's table with `validate`, in [`Persona::ALL`] order, each at its
    /// own `personas.NAME` key.
    pub(super) fn validate<T>(
        &self,
        check: &Check<'_>,
        mut validate: impl FnMut(&Check<'_>, &P) -> Result<T, ProfileError>,
    ) -> Result<Vec<T>, ProfileError> {
        self.each()
            .into_iter()
            .map(|(persona, raw)| validate(&check.at(persona.name()), raw.get_ref()))
            .collect()
    }
}

/// A persona's table: it names its share.
pub(super) trait RawPersona {
    /// `share`: the persona's share of users, in percent.
    fn share(&self) -> &Spanned<u32>;
}

/// An account kind as a profile names it.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawKind {
    Checking,
    Savings,
    CreditCard,
}

impl RawKind {
    /// The kind it names.
    pub(super) fn kind(self) -> AccountKind {
        match self {
            RawKind::Checking => AccountKind::Checking,
            RawKind::Savings => AccountKind::Savings,
            RawKind::CreditCard => AccountKind::CreditCard,
        }
    }

    /// The kinds `list` names, if any.
    pub(super) fn kinds(list: Option<&[RawKind]>) -> Vec<AccountKind> {
        list.unwrap_or_default().iter().map(|k| k.kind()).collect()
    }
}

/// `[pending]` as a file holds it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPending {
    lag_days: Spanned<[i64; 2]>,
    business_days: bool,
    drop_percent: Spanned<f64>,
}

/// `[corrections]` as a file holds it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCorrections {
    merchant_percent: Spanned<f64>,
    category_percent: Spanned<f64>,
    within_days: Spanned<[i64; 2]>,
}

/// A merchant group's `tip_percent` and `hold_cents`, at most one of which it may set.
pub(super) struct RawAuthorization<'r> {
    pub(super) tip_percent: &'r Option<Spanned<[u32; 2]>>,
    pub(super) hold_cents: &'r Option<Spanned<i64>>,
}

impl RawAuthorization<'_> {
    pub(super) fn validate(&self, check: &Check<'_>) -> Result<Authorization, ProfileError> {
        match (self.tip_percent, self.hold_cents) {
            (None, None) => Ok(Authorization::Exact),
            (Some(tip), None) => Ok(Authorization::Tip(check.range(
                tip,
                "tip_percent",
                0,
                100,
            )?)),
            (None, Some(hold)) => Ok(Authorization::Hold(check.within(
                hold,
                "hold_cents",
                1,
                MAX_CENTS,
            )?)),
            (Some(_), Some(hold)) => Err(check.fail(
                hold.span(),
                "hold_cents",
                "a group either adds a tip or holds an amount, not both",
            )),
        }
    }
}

/// A Plaid detailed category, of `primary` when the profile's category is one of Plaid's.
pub(super) fn detailed(
    check: &Check<'_>,
    value: &Spanned<String>,
    field: &str,
    primary: Option<&str>,
) -> Result<String, ProfileError> {
    let text = value.get_ref();
    match (plaid_primary_of(text), primary) {
        (None, _) => Err(check.fail(
            value.span(),
            field,
            format!("`{text}` is not one of Plaid's detailed categories"),
        )),
        (Some(found), Some(primary)) if found != primary => Err(check.fail(
            value.span(),
            field,
            format!("`{text}` is a detailed category of {found}, not of {primary}"),
        )),
        _ => Ok(text.clone()),
    }
}

/// The values of [`Common`] as a file holds them.
pub(super) struct RawCommon<'r, P> {
    pub(super) window_days: &'r Spanned<i64>,
    pub(super) signup_days: &'r Spanned<i64>,
    pub(super) pending: &'r RawPending,
    pub(super) corrections: &'r RawCorrections,
    pub(super) personas: &'r RawPersonas<P>,
}

impl<P: RawPersona> RawCommon<'_, P> {
    /// Validates the common part of profile `name`, whose generator needs a window of at least
    /// `min_window` days (`why` says why, for the error).
    pub(super) fn validate(
        &self,
        check: &Check<'_>,
        name: &str,
        (min_window, why): (i64, &str),
    ) -> Result<Common, ProfileError> {
        let window = self.window_days;
        let window_days = *window.get_ref();
        if !(min_window..=3_650).contains(&window_days) {
            return Err(check.fail(
                window.span(),
                "window_days",
                format!("must be {min_window} to 3650 days{why}, got {window_days}"),
            ));
        }
        let signup_days = *self.signup_days.get_ref();
        if signup_days <= window_days || signup_days > 36_500 {
            return Err(check.fail(
                self.signup_days.span(),
                "signup_days",
                format!(
                    "must exceed window_days ({window_days}) and be at most 36500, got {signup_days}"
                ),
            ));
        }
        let shares = self
            .personas
            .each()
            .map(|(_, p)| *p.get_ref().share().get_ref());
        let first = self.personas.each()[0].1.get_ref().share();
        check
            .at("personas")
            .hundred(first.span(), "share", "persona shares", shares)?;
        let pending = self.pending;
        let check_pending = check.at("pending");
        let corrections = self.corrections;
        let check_corrections = check.at("corrections");
        Ok(Common {
            name: name.to_owned(),
            window_days,
            signup_days,
            persona_shares: shares,
            pending: Pending {
                // The longest lag stays well inside a window, so a pending row is never
                // older than the window it is counted in.
                lag_days: check_pending.range(&pending.lag_days, "lag_days", 0, window_days / 4)?,
                business_days: pending.business_days,
                drop_percent: check_pending.within(
                    &pending.drop_percent,
                    "drop_percent",
                    0.0,
                    100.0,
                )?,
            },
            corrections: Corrections {
                merchant_percent: check_corrections.within(
                    &corrections.merchant_percent,
                    "merchant_percent",
                    0.0,
                    100.0,
                )?,
                category_percent: check_corrections.within(
                    &corrections.category_percent,
                    "category_percent",
                    0.0,
                    100.0,
                )?,
                within_days: check_corrections.range(
                    &corrections.within_days,
                    "within_days",
                    1,
                    window_days / 4,
                )?,
            },
        })
    }
}
