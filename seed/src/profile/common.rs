//! What every profile has, whatever its generator: its name, the window of history, the
//! sign-up span, the personas' shares and the account kinds a persona may require, with
//! their TOML shapes and validation, written once for both kinds of profile.

use serde::Deserialize;
use toml::Spanned;

use super::ProfileError;
use super::check::Check;
use crate::catalog::AccountKind;
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

/// The values of [`Common`] as a file holds them.
pub(super) struct RawCommon<'r, P> {
    pub(super) window_days: &'r Spanned<i64>,
    pub(super) signup_days: &'r Spanned<i64>,
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
        Ok(Common {
            name: name.to_owned(),
            window_days,
            signup_days,
            persona_shares: shares,
        })
    }
}
