//! The profile file's shape as TOML, and its validation into a [`Profile`].
//!
//! Values that validation checks are `Spanned`, so an error can name the line.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    AccountSet, AmountDist, Balances, CategoryProfile, MerchantGroup, Payroll, PersonaProfile,
    Profile, ProfileError, Subscription,
};
use crate::catalog::{AccountKind, INCOME};
use crate::persona::Persona;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
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
    personas: RawPersonas<RawPersona>,
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

/// The `[personas.*]` tables of a profile, one per persona, whatever shape a persona's table
/// has in that kind of profile.
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

    /// The first persona's table, where an error about all of them points.
    pub(super) fn first(&self) -> &Spanned<P> {
        &self.steady
    }
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

pub(super) type Fail<'a> = dyn Fn(Range<usize>, &str, String) -> ProfileError + 'a;

/// Checks that `[lo, hi]` is an ordered range within `[floor, ceiling]`.
/// The largest amount of one transaction a story profile may draw, in cents ($10 billion).
/// A user's sums (spending over up to 300,000 transactions, a card's balance times its
/// minimum-payment percentage) then stay far inside `i64`, so no amount a profile allows can
/// overflow the generator's arithmetic.
pub(super) const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;

pub(super) fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
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

/// The sum of `weights`, which the generator draws from as a `u32`: a list whose sum does
/// not fit is refused here, naming `key`, rather than wrapping or panicking later.
fn weight_total(
    fail: &Fail<'_>,
    span: Range<usize>,
    key: &str,
    weights: impl IntoIterator<Item = u32>,
) -> Result<u32, ProfileError> {
    let total: u64 = weights.into_iter().map(u64::from).sum();
    u32::try_from(total).map_err(|_| {
        fail(
            span,
            key,
            format!("weights sum to {total}, more than {}", u32::MAX),
        )
    })
}

impl RawProfile {
    pub(super) fn validate(self, name: &str, fail: &Fail<'_>) -> Result<Profile, ProfileError> {
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
        weight_total(
            fail,
            self.spending_weights.span(),
            "spending_weights",
            spending_weights,
        )?;
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
        let total = weight_total(
            fail,
            self.accounts.span(),
            "accounts.weight",
            accounts.iter().map(|s| s.weight),
        )?;
        if total == 0 {
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
                    && a.median_cents <= a.max_cents
                    && a.max_cents <= MAX_AMOUNT_CENTS;
                if !(ordered && a.spread.is_finite() && a.spread >= 0.0) {
                    return Err(fail(
                        group.amount.span(),
                        &gkey("amount"),
                        format!(
                            "expected 0 < min_cents <= median_cents <= max_cents <= \
                             {MAX_AMOUNT_CENTS} and a finite spread >= 0"
                        ),
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
                let days = weight_total(
                    fail,
                    group.days.span(),
                    &gkey("days"),
                    *group.days.get_ref(),
                )?;
                if days == 0 {
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
            let shares = weight_total(
                fail,
                raw.groups.span(),
                &key("groups.share"),
                groups.iter().map(|g| g.share),
            )?;
            if shares == 0 {
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
        let total: u64 = categories.iter().map(|c| u64::from(c.weight)).sum();
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
                MAX_AMOUNT_CENTS,
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

        let mut personas = Vec::new();
        for (persona, raw) in self.personas.each() {
            personas.push(raw.get_ref().validate(fail, persona.name(), &accounts)?);
        }
        let shares: u64 = personas.iter().map(|p| u64::from(p.share)).sum();
        if shares != 100 {
            return Err(fail(
                self.personas.first().get_ref().share.span(),
                "personas.share",
                format!("persona shares must sum to 100, got {shares}"),
            ));
        }
        Ok(Profile {
            name: name.to_owned(),
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
            statement: None,
            calibrated: None,
        })
    }
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
