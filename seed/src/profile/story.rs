//! The story profile's shape (`seed/profiles/story.toml`, the default): its TOML, its
//! validation, one method per section, and the validated [`StoryProfile`] the story
//! generator draws from.

use serde::Deserialize;
use toml::Spanned;

use super::ProfileError;
use super::check::{Check, MAX_CENTS, RawLogNormal};
use super::common::{
    Authorization, Common, RawAuthorization, RawCommon, RawCorrections, RawKind, RawPending,
    RawPersona, RawPersonas, detailed,
};
use super::distribution::LogNormal;
use crate::catalog::{AccountKind, INCOME};
use crate::persona::Persona;

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

/// Merchants of one habit within a category: groceries, coffee, rideshare…
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantGroup {
    /// The group's name.
    pub name: String,
    /// Share of its category's transactions.
    pub share: u32,
    /// How much a purchase costs, in cents.
    pub amount: LogNormal,
    /// Plaid's detailed category of its purchases.
    pub detailed: String,
    /// How its card authorisations differ from what posts.
    pub authorization: Authorization,
    /// Hours of the day, `[from, to)`.
    pub hours: (u32, u32),
    /// Weekday weights, Monday first.
    pub days: [u32; 7],
    /// The catalog.
    pub merchants: Vec<String>,
}

/// A category with its weight and its merchant groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
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
    /// Index into [`StoryProfile::categories`].
    pub category: usize,
    /// Monthly amount range in cents, inclusive.
    pub amount_cents: (i64, i64),
    /// Plaid's detailed category of its bills.
    pub detailed: String,
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
    /// A card owes at least its charges of this many last days.
    pub recent_charge_days: i64,
    /// Limits are whole multiples of this many cents.
    pub credit_limit_step_cents: i64,
}

/// What one persona's story data looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryPersona {
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

/// The validated story profile: everything the story generator reads.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryProfile {
    /// Name, window, sign-up span and persona shares.
    pub common: Common,
    /// Transactions per account, inclusive.
    pub transactions_per_account: (u32, u32),
    /// Favourite merchants per group, inclusive.
    pub favorite_merchants: (u32, u32),
    /// How often each favourite is visited, first favourite first.
    pub favorite_weights: Vec<u32>,
    /// A user's transaction count is scaled by a factor drawn from this range of percentages,
    /// so users of one cadence do not all have one count.
    pub count_jitter_percent: (u32, u32),
    /// Share of recurring merchants billed to a card, for users who hold one, in percent.
    pub subscriptions_on_card_percent: u32,
    /// Billing hours of recurring charges, `[from, to)`.
    pub billing_hours: (u32, u32),
    /// Relative share of spending per account kind: checking, savings, credit card.
    pub spending_weights: [u32; 3],
    /// Balance ranges.
    pub balances: Balances,
    /// Account sets with weights.
    pub accounts: Vec<AccountSet>,
    /// Categories, in file order.
    pub categories: Vec<Category>,
    /// Index of the INCOME category.
    pub income: usize,
    /// Recurring merchants.
    pub subscriptions: Vec<Subscription>,
    /// Per persona, indexed by [`Persona::index`].
    pub personas: Vec<StoryPersona>,
}

impl StoryProfile {
    /// The parameters of `persona`.
    pub fn persona(&self, persona: Persona) -> &StoryPersona {
        &self.personas[persona.index()]
    }

    /// The INCOME category.
    pub fn income(&self) -> &Category {
        &self.categories[self.income]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStory {
    window_days: Spanned<i64>,
    signup_days: Spanned<i64>,
    transactions_per_account: Spanned<[u32; 2]>,
    count_jitter_percent: Spanned<[u32; 2]>,
    favorite_merchants: Spanned<[u32; 2]>,
    favorite_weights: Spanned<Vec<u32>>,
    billing_hours: Spanned<[u32; 2]>,
    subscriptions_on_card_percent: Spanned<u32>,
    pending: RawPending,
    corrections: RawCorrections,
    spending_weights: Spanned<RawSpendingWeights>,
    balances: RawBalances,
    accounts: Spanned<Vec<Spanned<RawAccountSet>>>,
    categories: Spanned<Vec<RawCategory>>,
    subscriptions: Vec<RawSubscription>,
    personas: RawPersonas<RawStoryPersona>,
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
    recent_charge_days: Spanned<i64>,
    credit_limit_step_cents: Spanned<i64>,
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
    amount: Spanned<RawLogNormal>,
    detailed: Spanned<String>,
    tip_percent: Option<Spanned<[u32; 2]>>,
    hold_cents: Option<Spanned<i64>>,
    hours: Spanned<[u32; 2]>,
    days: Spanned<[u32; 7]>,
    merchants: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    merchant: Spanned<String>,
    category: Spanned<String>,
    amount_cents: Spanned<[i64; 2]>,
    detailed: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStoryPersona {
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

impl RawPersona for RawStoryPersona {
    fn share(&self) -> &Spanned<u32> {
        &self.share
    }
}

impl RawStory {
    pub(super) fn validate(
        self,
        check: &Check<'_>,
        name: &str,
    ) -> Result<StoryProfile, ProfileError> {
        let common = RawCommon {
            window_days: &self.window_days,
            signup_days: &self.signup_days,
            pending: &self.pending,
            corrections: &self.corrections,
            personas: &self.personas,
        }
        .validate(check, name, (28, " (a month at least)"))?;
        let accounts = self.accounts(check)?;
        let categories = self.categories(check)?;
        let Some(income) = categories.iter().position(|c| c.name == INCOME) else {
            return Err(check.fail(
                self.categories.span(),
                "categories.name",
                format!("a category named {INCOME} is required"),
            ));
        };
        if categories[income].weight == 0 {
            let raw = &self.categories.get_ref()[income];
            return Err(check.fail(
                raw.weight.span(),
                "categories[INCOME].weight",
                "must be positive: everyone is paid",
            ));
        }
        let subscriptions = self.subscriptions(check, &categories, income)?;
        let personas = self
            .personas
            .validate(&check.at("personas"), |check, raw| {
                raw.validate(check, &accounts)
            })?;
        let favorite_weights = self.favorite_weights.get_ref().clone();
        check.weights(
            self.favorite_weights.span(),
            "favorite_weights",
            favorite_weights.iter().copied(),
        )?;
        Ok(StoryProfile {
            transactions_per_account: check.range(
                &self.transactions_per_account,
                "transactions_per_account",
                1,
                100_000,
            )?,
            count_jitter_percent: check.range(
                &self.count_jitter_percent,
                "count_jitter_percent",
                1,
                1_000,
            )?,
            favorite_merchants: check.range(
                &self.favorite_merchants,
                "favorite_merchants",
                1,
                favorite_weights.len() as u32,
            )?,
            favorite_weights,
            billing_hours: check.hours(&self.billing_hours, "billing_hours")?,
            subscriptions_on_card_percent: check.percent(
                &self.subscriptions_on_card_percent,
                "subscriptions_on_card_percent",
            )?,
            common,
            spending_weights: self.spending_weights(check)?,
            balances: self.balances.validate(&check.at("balances"))?,
            accounts,
            categories,
            income,
            subscriptions,
            personas,
        })
    }

    fn spending_weights(&self, check: &Check<'_>) -> Result<[u32; 3], ProfileError> {
        let w = self.spending_weights.get_ref();
        let weights = [w.checking, w.savings, w.credit_card];
        let span = self.spending_weights.span();
        check.weights(span.clone(), "spending_weights", weights)?;
        if weights.contains(&0) {
            return Err(check.fail(
                span,
                "spending_weights",
                "every kind needs a positive weight: every account holds spending",
            ));
        }
        Ok(weights)
    }

    fn accounts(&self, check: &Check<'_>) -> Result<Vec<AccountSet>, ProfileError> {
        let mut accounts = Vec::new();
        for set in self.accounts.get_ref() {
            let raw = set.get_ref();
            let kinds = RawKind::kinds(Some(&raw.kinds));
            let unique = kinds
                .iter()
                .enumerate()
                .all(|(i, k)| !kinds[..i].contains(k));
            if !kinds.contains(&AccountKind::Checking) || !unique {
                return Err(check.fail(
                    set.span(),
                    "accounts.kinds",
                    "each set holds a checking account and at most one of each kind",
                ));
            }
            accounts.push(AccountSet {
                kinds,
                weight: raw.weight,
            });
        }
        check.weights(
            self.accounts.span(),
            "accounts.weight",
            accounts.iter().map(|s| s.weight),
        )?;
        Ok(accounts)
    }

    fn categories(&self, check: &Check<'_>) -> Result<Vec<Category>, ProfileError> {
        let mut categories: Vec<Category> = Vec::new();
        for raw in self.categories.get_ref() {
            let name = raw.name.get_ref();
            if name.is_empty() || categories.iter().any(|c| c.name == *name) {
                return Err(check.fail(
                    raw.name.span(),
                    "categories.name",
                    format!("`{name}` is empty or repeated"),
                ));
            }
            categories.push(raw.validate(&check.at(&format!("categories[{name}]")))?);
        }
        check.hundred(
            self.categories.span(),
            "categories.weight",
            "weights",
            categories.iter().map(|c| c.weight),
        )?;
        Ok(categories)
    }

    fn subscriptions(
        &self,
        check: &Check<'_>,
        categories: &[Category],
        income: usize,
    ) -> Result<Vec<Subscription>, ProfileError> {
        let check = check.at("subscriptions");
        let mut subscriptions: Vec<Subscription> = Vec::new();
        for raw in &self.subscriptions {
            let category = categories
                .iter()
                .position(|c| c.name == *raw.category.get_ref())
                .filter(|&c| c != income);
            let Some(category) = category else {
                return Err(check.fail(
                    raw.category.span(),
                    "category",
                    format!(
                        "`{}` is not a spending category of this profile",
                        raw.category.get_ref()
                    ),
                ));
            };
            if subscriptions
                .iter()
                .any(|s| s.merchant == *raw.merchant.get_ref())
            {
                return Err(check.fail(raw.merchant.span(), "merchant", "is repeated"));
            }
            subscriptions.push(Subscription {
                merchant: raw.merchant.get_ref().clone(),
                category,
                amount_cents: check.range(&raw.amount_cents, "amount_cents", 1, MAX_CENTS)?,
                detailed: detailed(&check, &raw.detailed, "detailed", None)?,
            });
        }
        Ok(subscriptions)
    }
}

impl RawBalances {
    fn validate(&self, check: &Check<'_>) -> Result<Balances, ProfileError> {
        Ok(Balances {
            checking_cents: check.range(&self.checking_cents, "checking_cents", 0, MAX_CENTS)?,
            savings_cents: check.range(&self.savings_cents, "savings_cents", 0, MAX_CENTS)?,
            credit_limit_cents: check.range(
                &self.credit_limit_cents,
                "credit_limit_cents",
                10_000,
                MAX_CENTS,
            )?,
            apr_basis_points: check.range(
                &self.apr_basis_points,
                "apr_basis_points",
                0,
                100_000,
            )?,
            min_payment_percent: check.within(
                &self.min_payment_percent,
                "min_payment_percent",
                0,
                100,
            )?,
            recent_charge_days: check.within(
                &self.recent_charge_days,
                "recent_charge_days",
                0,
                3_650,
            )?,
            credit_limit_step_cents: check.within(
                &self.credit_limit_step_cents,
                "credit_limit_step_cents",
                1,
                MAX_CENTS,
            )?,
        })
    }
}

impl RawCategory {
    fn validate(&self, check: &Check<'_>) -> Result<Category, ProfileError> {
        let mut groups = Vec::new();
        for group in self.groups.get_ref() {
            groups.push(group.validate(&check.at(&format!("groups[{}]", group.name.get_ref())))?);
        }
        check.weights(
            self.groups.span(),
            "groups.share",
            groups.iter().map(|g| g.share),
        )?;
        Ok(Category {
            name: self.name.get_ref().clone(),
            weight: *self.weight.get_ref(),
            groups,
        })
    }
}

impl RawGroup {
    fn validate(&self, check: &Check<'_>) -> Result<MerchantGroup, ProfileError> {
        check.weights(self.days.span(), "days", *self.days.get_ref())?;
        Ok(MerchantGroup {
            name: self.name.get_ref().clone(),
            share: self.share,
            amount: check.log_normal(&self.amount, "amount", (1, MAX_CENTS), 4.0)?,
            detailed: detailed(check, &self.detailed, "detailed", None)?,
            authorization: RawAuthorization {
                tip_percent: &self.tip_percent,
                hold_cents: &self.hold_cents,
            }
            .validate(check)?,
            hours: check.hours(&self.hours, "hours")?,
            days: *self.days.get_ref(),
            merchants: check.names(&self.merchants, "merchants")?,
        })
    }
}

impl RawStoryPersona {
    /// Days between paychecks: required with irregular payroll, two weeks otherwise.
    fn pay_gap_days(
        &self,
        check: &Check<'_>,
        payroll: &[Payroll],
    ) -> Result<(i64, i64), ProfileError> {
        match &self.pay_gap_days {
            Some(gaps) => check.range(gaps, "pay_gap_days", 1, 3_650),
            None if payroll.contains(&Payroll::Irregular) => Err(check.fail(
                self.payroll.span(),
                "pay_gap_days",
                "irregular payroll needs pay_gap_days",
            )),
            None => Ok((14, 14)),
        }
    }

    /// The account kinds every user of the persona holds: some account set must hold them.
    fn requires(
        &self,
        check: &Check<'_>,
        accounts: &[AccountSet],
    ) -> Result<Vec<AccountKind>, ProfileError> {
        let requires = RawKind::kinds(self.requires.as_deref());
        if !accounts
            .iter()
            .any(|s| s.weight > 0 && requires.iter().all(|k| s.kinds.contains(k)))
        {
            return Err(check.fail(
                self.share.span(),
                "requires",
                "no account set with a positive weight holds every required kind",
            ));
        }
        Ok(requires)
    }

    fn validate(
        &self,
        check: &Check<'_>,
        accounts: &[AccountSet],
    ) -> Result<StoryPersona, ProfileError> {
        let payroll = self.payroll.get_ref().clone();
        if payroll.is_empty() {
            return Err(check.fail(
                self.payroll.span(),
                "payroll",
                "needs at least one schedule",
            ));
        }
        let pay_gap_days = self.pay_gap_days(check, &payroll)?;
        let requires = self.requires(check, accounts)?;
        let percent = |value: &Option<Spanned<u32>>, field| match value {
            Some(v) => check.percent(v, field),
            None => Ok(0),
        };
        let paychecks_to_savings_percent = percent(
            &self.paychecks_to_savings_percent,
            "paychecks_to_savings_percent",
        )?;
        if paychecks_to_savings_percent > 0 && !requires.contains(&AccountKind::Savings) {
            let span = self.paychecks_to_savings_percent.as_ref().expect("present");
            return Err(check.fail(
                span.span(),
                "paychecks_to_savings_percent",
                "needs requires = [\"savings\"]",
            ));
        }
        let optional_range = |value: &Option<Spanned<[u32; 2]>>, field, ceiling| {
            value
                .as_ref()
                .map(|v| check.range(v, field, 0, ceiling))
                .transpose()
        };
        Ok(StoryPersona {
            payroll,
            pay_gap_days,
            subscriptions: check.range(&self.subscriptions, "subscriptions", 0, 64)?,
            subscriptions_min_monthly_cents: match &self.subscriptions_min_monthly_cents {
                Some(v) => check.within(v, "subscriptions_min_monthly_cents", 0, MAX_CENTS)?,
                None => 0,
            },
            card_utilization_percent: check.range(
                &self.card_utilization_percent,
                "card_utilization_percent",
                0,
                100,
            )?,
            overdue_percent: percent(&self.overdue_percent, "overdue_percent")?,
            overdue_utilization_percent: optional_range(
                &self.overdue_utilization_percent,
                "overdue_utilization_percent",
                200,
            )?
            .unwrap_or((90, 100)),
            checking_cover_percent: optional_range(
                &self.checking_cover_percent,
                "checking_cover_percent",
                10_000,
            )?,
            paychecks_to_savings_percent,
            requires,
        })
    }
}
