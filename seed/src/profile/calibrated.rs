//! The calibrated profile's shape (`generator = "calibrated"`): its TOML, its validation, and
//! the validated [`Calibrated`] the ledger generator draws from.
//!
//! Every value is checked once here, with checked sums and ranges, so the generator never
//! meets a weight that sums to zero or a range upside down; a bad value fails with one line
//! naming the file, the line and the key.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::parse::{Fail, RawPersonas, check_range};
use super::{PersonaProfile, ProfileError, StatementTerms};
use crate::catalog::{Frequency, PLAID_PRIMARIES};
use crate::persona::Persona;

/// A log-normal distribution around `median` with `spread` as sigma, redrawn outside
/// `[min, max]`, in the unit its key names (cents, basis points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    /// Smallest value.
    pub min: i64,
    /// Median value.
    pub median: i64,
    /// Largest value.
    pub max: i64,
    /// Sigma of the log-normal.
    pub spread: f64,
}

/// A normal distribution, redrawn outside `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

/// How a card's statements are paid, in [`CardUse::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardUse {
    /// Never used: every statement has no balance.
    Unused,
    /// Each statement paid in full.
    Full,
    /// More than the minimum, less than the balance.
    More,
    /// Exactly the minimum.
    Minimum,
    /// The last statement not paid at all.
    Missed,
}

impl CardUse {
    /// Every way, in the order of a persona's `card_use` weights.
    pub const ALL: [CardUse; 5] = [
        CardUse::Unused,
        CardUse::Full,
        CardUse::More,
        CardUse::Minimum,
        CardUse::Missed,
    ];
}

/// Payroll frequencies, in the order of a persona's `pay` weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayFrequency {
    /// Every Friday.
    Weekly,
    /// Every other Friday.
    Biweekly,
    /// The 15th and the last day of the month.
    SemiMonthly,
    /// The last business day of the month.
    Monthly,
}

impl PayFrequency {
    /// Every frequency, in weight order.
    pub const ALL: [PayFrequency; 4] = [
        PayFrequency::Weekly,
        PayFrequency::Biweekly,
        PayFrequency::SemiMonthly,
        PayFrequency::Monthly,
    ];

    /// The stream frequency of its paychecks.
    pub fn frequency(self) -> Frequency {
        match self {
            PayFrequency::Weekly => Frequency::Weekly,
            PayFrequency::Biweekly => Frequency::Biweekly,
            PayFrequency::SemiMonthly => Frequency::SemiMonthly,
            PayFrequency::Monthly => Frequency::Monthly,
        }
    }
}

/// A utility bill paid monthly by every user, its amount varying bill to bill.
#[derive(Debug, Clone, PartialEq)]
pub struct Utility {
    /// Plaid primary category.
    pub category: &'static str,
    /// Typical monthly amount.
    pub monthly_cents: LogNormal,
    /// How far one bill strays from the typical amount, in percent.
    pub variation_percent: u32,
    /// Payees; a user pays one.
    pub merchants: Vec<String>,
}

/// A bill of one fixed amount every month.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedBill {
    /// The payee.
    pub merchant: String,
    /// Plaid primary category.
    pub category: &'static str,
    /// Monthly amount range, inclusive.
    pub amount_cents: (i64, i64),
    /// Whether it goes on a card in use.
    pub card: bool,
}

/// A habit of purchases.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseGroup {
    /// Plaid primary category.
    pub category: &'static str,
    /// Purchases per month on average.
    pub per_month: f64,
    /// Share of net income spent on them, in basis points.
    pub income_bp: i64,
    /// Sigma of an amount's log-normal noise.
    pub spread: f64,
    /// Whether a card may pay.
    pub card_ok: bool,
    /// Share of purchases refunded, in percent.
    pub refund_percent: u32,
    /// Merchants.
    pub merchants: Vec<String>,
}

/// What one persona's calibrated data is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratedPersona {
    /// Share of users in percent.
    pub share: u32,
    /// Payroll frequency weights in [`PayFrequency::ALL`] order; `None` for gig income.
    pub pay: Option<[u32; 4]>,
    /// Fixed monthly bills besides housing, inclusive.
    pub fixed_bills: (u32, u32),
    /// Weights in [`CardUse::ALL`] order.
    pub card_use: [u32; 5],
    /// Utilisation bands of a revolving card, percent inclusive, with weights.
    pub revolving_utilization: Vec<((u32, u32), u32)>,
    /// Whether every user holds savings.
    pub requires_savings: bool,
    /// Whether every user holds a card.
    pub requires_card: bool,
}

/// Card limits, rates, spending and fees.
#[derive(Debug, Clone, PartialEq)]
pub struct CardTerms {
    /// Credit limits.
    pub limit_cents: LogNormal,
    /// APRs in basis points.
    pub apr_basis_points: Normal,
    /// A transactor's monthly charges, basis points of the limit.
    pub transactor_spend_bp: LogNormal,
    /// A revolver's monthly charges, basis points of the limit, inclusive.
    pub revolver_spend_bp: (i64, i64),
    /// The late fee.
    pub late_fee_cents: i64,
    /// Share of missed statements whose previous one was missed too, in percent.
    pub missed_twice_percent: u32,
}

/// Rent or mortgage.
#[derive(Debug, Clone, PartialEq)]
pub struct Housing {
    /// Share of users with a mortgage, in percent.
    pub mortgage_percent: u32,
    /// Housing as a share of net income, basis points.
    pub share_of_income_bp: LogNormal,
    /// Rent payees.
    pub landlords: Vec<String>,
    /// Mortgage payees; each name contains "Mortgage".
    pub lenders: Vec<String>,
}

/// The validated calibrated profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated {
    /// Purchases of this many last days may be pending.
    pub pending_days: i64,
    /// Share of users with savings, unless required.
    pub savings_percent: u32,
    /// Share of users with a card, unless required.
    pub card_percent: u32,
    /// Net monthly pay.
    pub net_monthly_cents: LogNormal,
    /// Gaps between gig payments, days inclusive.
    pub gig_gap_days: (i64, i64),
    /// Payroll payers.
    pub employers: Vec<String>,
    /// Gig payers.
    pub gig_payers: Vec<String>,
    /// Checking's cushion at the window's start.
    pub checking_opening_cents: LogNormal,
    /// Savings at the window's start.
    pub savings_opening_cents: LogNormal,
    /// Share of a paycheck moved to savings, percent inclusive.
    pub transfer_percent: (u32, u32),
    /// The same for savings builders.
    pub builder_transfer_percent: (u32, u32),
    /// Transfers back from savings over the window, inclusive.
    pub withdrawals: (u32, u32),
    /// ATM fees on checking over the window, inclusive.
    pub atm_fees: (u32, u32),
    /// What one ATM fee costs, inclusive.
    pub atm_fee_cents: (i64, i64),
    /// Card terms.
    pub cards: CardTerms,
    /// Housing.
    pub housing: Housing,
    /// Utilities.
    pub utilities: Vec<Utility>,
    /// Fixed monthly bills.
    pub fixed_bills: Vec<FixedBill>,
    /// Purchase habits.
    pub purchases: Vec<PurchaseGroup>,
    /// Per persona, indexed by [`Persona::index`].
    pub personas: Vec<CalibratedPersona>,
}

impl Calibrated {
    /// The parameters of `persona`.
    pub fn persona(&self, persona: Persona) -> &CalibratedPersona {
        &self.personas[persona.index()]
    }
}

/// What the calibrated file holds besides [`Calibrated`]: the fields the whole [`super::Profile`]
/// carries.
pub(super) struct CalibratedParts {
    pub(super) window_days: i64,
    pub(super) signup_days: i64,
    pub(super) pending_percent: f64,
    pub(super) statement: StatementTerms,
    pub(super) personas: Vec<PersonaProfile>,
    pub(super) calibrated: Calibrated,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalibrated {
    #[allow(dead_code)]
    generator: String,
    window_days: Spanned<i64>,
    signup_days: Spanned<i64>,
    pending_days: Spanned<i64>,
    pending_percent: Spanned<f64>,
    accounts: RawAccounts,
    income: RawIncome,
    savings: RawSavings,
    cards: RawCards,
    housing: RawHousing,
    utilities: Spanned<Vec<RawUtility>>,
    fixed_bills: Spanned<Vec<RawFixedBill>>,
    purchases: Spanned<Vec<RawPurchase>>,
    personas: RawPersonas<RawPersona>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    savings_percent: Spanned<u32>,
    card_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDist {
    min: i64,
    median: i64,
    max: i64,
    spread: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNormal {
    mean: f64,
    sd: f64,
    min: i64,
    max: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncome {
    net_monthly_cents: Spanned<RawDist>,
    gig_gap_days: Spanned<[i64; 2]>,
    employers: Spanned<Vec<String>>,
    gig_payers: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSavings {
    checking_opening_cents: Spanned<RawDist>,
    savings_opening_cents: Spanned<RawDist>,
    transfer_percent: Spanned<[u32; 2]>,
    builder_transfer_percent: Spanned<[u32; 2]>,
    withdrawals: Spanned<[u32; 2]>,
    atm_fees: Spanned<[u32; 2]>,
    atm_fee_cents: Spanned<[i64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCards {
    limit_cents: Spanned<RawDist>,
    apr_basis_points: Spanned<RawNormal>,
    transactor_spend_bp: Spanned<RawDist>,
    revolver_spend_bp: Spanned<[i64; 2]>,
    late_fee_cents: Spanned<i64>,
    missed_twice_percent: Spanned<u32>,
    statement: RawStatement,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    due_days: Spanned<u32>,
    minimum_percent: Spanned<f64>,
    minimum_floor_cents: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHousing {
    mortgage_percent: Spanned<u32>,
    share_of_income_bp: Spanned<RawDist>,
    landlords: Spanned<Vec<String>>,
    lenders: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUtility {
    category: Spanned<String>,
    monthly_cents: Spanned<RawDist>,
    variation_percent: Spanned<u32>,
    merchants: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixedBill {
    merchant: Spanned<String>,
    category: Spanned<String>,
    amount_cents: Spanned<[i64; 2]>,
    card: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPurchase {
    category: Spanned<String>,
    per_month: Spanned<f64>,
    income_bp: Spanned<i64>,
    spread: Spanned<f64>,
    card_ok: Option<bool>,
    refund_percent: Option<Spanned<u32>>,
    merchants: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPay {
    weekly: u32,
    biweekly: u32,
    semi_monthly: u32,
    monthly: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCardUse {
    unused: u32,
    full: u32,
    more: u32,
    minimum: u32,
    missed: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    percent: [u32; 2],
    weight: u32,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Savings,
    CreditCard,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    share: Spanned<u32>,
    pay: Option<Spanned<RawPay>>,
    gig: Option<Spanned<bool>>,
    fixed_bills: Spanned<[u32; 2]>,
    card_use: Spanned<RawCardUse>,
    revolving_utilization: Spanned<Vec<RawBand>>,
    requires: Option<Vec<RawKind>>,
}

/// The largest amount any cents value may take: sums of a few thousand of them stay far from
/// overflow.
const MAX_CENTS: i64 = 1_000_000_000_000;

fn err(fail: &Fail<'_>, span: Range<usize>, key: &str, message: impl Into<String>) -> ProfileError {
    fail(span, key, message.into())
}

fn percent(fail: &Fail<'_>, value: &Spanned<u32>, key: &str) -> Result<u32, ProfileError> {
    let v = *value.get_ref();
    if v > 100 {
        return Err(err(
            fail,
            value.span(),
            key,
            format!("must be 0 to 100, got {v}"),
        ));
    }
    Ok(v)
}

fn dist(
    fail: &Fail<'_>,
    value: &Spanned<RawDist>,
    key: &str,
    floor: i64,
    ceiling: i64,
) -> Result<LogNormal, ProfileError> {
    let d = value.get_ref();
    let ordered = floor <= d.min && d.min <= d.median && d.median <= d.max && d.max <= ceiling;
    if !(ordered && d.spread.is_finite() && (0.0..=4.0).contains(&d.spread)) {
        return Err(err(
            fail,
            value.span(),
            key,
            format!(
                "expected {floor} <= min <= median <= max <= {ceiling} and 0 <= spread <= 4, got min {}, median {}, max {}, spread {}",
                d.min, d.median, d.max, d.spread
            ),
        ));
    }
    Ok(LogNormal {
        min: d.min,
        median: d.median.max(1),
        max: d.max,
        spread: d.spread,
    })
}

fn names(
    fail: &Fail<'_>,
    value: &Spanned<Vec<String>>,
    key: &str,
) -> Result<Vec<String>, ProfileError> {
    let list = value.get_ref();
    if list.is_empty() || list.iter().any(|n| n.trim().is_empty()) {
        return Err(err(
            fail,
            value.span(),
            key,
            "needs at least one name, none of them empty",
        ));
    }
    Ok(list.clone())
}

fn category(
    fail: &Fail<'_>,
    value: &Spanned<String>,
    key: &str,
) -> Result<&'static str, ProfileError> {
    PLAID_PRIMARIES
        .iter()
        .copied()
        .find(|c| *c == value.get_ref())
        .ok_or_else(|| {
            err(
                fail,
                value.span(),
                key,
                format!(
                    "`{}` is not a Plaid primary category ({})",
                    value.get_ref(),
                    PLAID_PRIMARIES.join(", ")
                ),
            )
        })
}

impl RawCalibrated {
    pub(super) fn validate(self, fail: &Fail<'_>) -> Result<CalibratedParts, ProfileError> {
        let window_days = *self.window_days.get_ref();
        if !(28..=3_650).contains(&window_days) {
            return Err(err(
                fail,
                self.window_days.span(),
                "window_days",
                format!("must be 28 to 3650 days (a statement cycle at least), got {window_days}"),
            ));
        }
        let signup_days = *self.signup_days.get_ref();
        if signup_days <= window_days || signup_days > 36_500 {
            return Err(err(
                fail,
                self.signup_days.span(),
                "signup_days",
                format!(
                    "must exceed window_days ({window_days}) and be at most 36500, got {signup_days}"
                ),
            ));
        }
        let pending_days = *self.pending_days.get_ref();
        if !(0..=window_days).contains(&pending_days) {
            return Err(err(
                fail,
                self.pending_days.span(),
                "pending_days",
                format!("must be 0 to window_days ({window_days}), got {pending_days}"),
            ));
        }
        let pending_percent = *self.pending_percent.get_ref();
        if !(0.0..=100.0).contains(&pending_percent) {
            return Err(err(
                fail,
                self.pending_percent.span(),
                "pending_percent",
                format!("must be 0 to 100, got {pending_percent}"),
            ));
        }

        let i = &self.income;
        let s = &self.savings;
        let c = &self.cards;
        let st = &c.statement;
        let due_days = *st.due_days.get_ref();
        if !(1..=27).contains(&due_days) {
            return Err(err(
                fail,
                st.due_days.span(),
                "cards.statement.due_days",
                format!(
                    "must be 1 to 27, so a payment falls due before the next statement: got {due_days}"
                ),
            ));
        }
        let minimum_percent = *st.minimum_percent.get_ref();
        if !(minimum_percent.is_finite() && (0.0..=100.0).contains(&minimum_percent)) {
            return Err(err(
                fail,
                st.minimum_percent.span(),
                "cards.statement.minimum_percent",
                format!("must be 0 to 100, got {minimum_percent}"),
            ));
        }
        let minimum_floor_cents = *st.minimum_floor_cents.get_ref();
        if !(0..=MAX_CENTS).contains(&minimum_floor_cents) {
            return Err(err(
                fail,
                st.minimum_floor_cents.span(),
                "cards.statement.minimum_floor_cents",
                format!("must be 0 to {MAX_CENTS}, got {minimum_floor_cents}"),
            ));
        }
        let apr = c.apr_basis_points.get_ref();
        let apr_ok = apr.mean.is_finite()
            && apr.sd.is_finite()
            && apr.sd >= 0.0
            && 0 <= apr.min
            && apr.min <= apr.max
            && apr.max <= 10_000
            && (apr.min as f64..=apr.max as f64).contains(&apr.mean);
        if !apr_ok {
            return Err(err(
                fail,
                c.apr_basis_points.span(),
                "cards.apr_basis_points",
                "expected 0 <= min <= mean <= max <= 10000 and sd >= 0",
            ));
        }
        let fee = |v: &Spanned<i64>, key: &str| -> Result<i64, ProfileError> {
            let x = *v.get_ref();
            if !(0..=MAX_CENTS).contains(&x) {
                return Err(err(
                    fail,
                    v.span(),
                    key,
                    format!("must be 0 to {MAX_CENTS}, got {x}"),
                ));
            }
            Ok(x)
        };
        let cards = CardTerms {
            limit_cents: dist(fail, &c.limit_cents, "cards.limit_cents", 10_000, MAX_CENTS)?,
            apr_basis_points: Normal {
                mean: apr.mean,
                sd: apr.sd,
                min: apr.min,
                max: apr.max,
            },
            transactor_spend_bp: dist(
                fail,
                &c.transactor_spend_bp,
                "cards.transactor_spend_bp",
                1,
                10_000,
            )?,
            revolver_spend_bp: check_range(
                fail,
                &c.revolver_spend_bp,
                "cards.revolver_spend_bp",
                0,
                10_000,
            )?,
            late_fee_cents: fee(&c.late_fee_cents, "cards.late_fee_cents")?,
            missed_twice_percent: percent(
                fail,
                &c.missed_twice_percent,
                "cards.missed_twice_percent",
            )?,
        };

        let h = &self.housing;
        let lenders = names(fail, &h.lenders, "housing.lenders")?;
        if lenders.iter().any(|l| !l.contains("Mortgage")) {
            return Err(err(
                fail,
                h.lenders.span(),
                "housing.lenders",
                "every lender's name contains \"Mortgage\": that is how a mortgage payment is told from other loans",
            ));
        }
        let housing = Housing {
            mortgage_percent: percent(fail, &h.mortgage_percent, "housing.mortgage_percent")?,
            share_of_income_bp: dist(
                fail,
                &h.share_of_income_bp,
                "housing.share_of_income_bp",
                0,
                10_000,
            )?,
            landlords: names(fail, &h.landlords, "housing.landlords")?,
            lenders,
        };

        let mut utilities = Vec::new();
        for u in self.utilities.get_ref() {
            utilities.push(Utility {
                category: category(fail, &u.category, "utilities.category")?,
                monthly_cents: dist(
                    fail,
                    &u.monthly_cents,
                    "utilities.monthly_cents",
                    1,
                    MAX_CENTS,
                )?,
                variation_percent: {
                    let v = *u.variation_percent.get_ref();
                    if v > 90 {
                        return Err(err(
                            fail,
                            u.variation_percent.span(),
                            "utilities.variation_percent",
                            format!("must be 0 to 90, got {v}"),
                        ));
                    }
                    v
                },
                merchants: names(fail, &u.merchants, "utilities.merchants")?,
            });
        }

        let mut fixed_bills: Vec<FixedBill> = Vec::new();
        for b in self.fixed_bills.get_ref() {
            if b.merchant.get_ref().trim().is_empty()
                || fixed_bills
                    .iter()
                    .any(|f| f.merchant == *b.merchant.get_ref())
            {
                return Err(err(
                    fail,
                    b.merchant.span(),
                    "fixed_bills.merchant",
                    format!("`{}` is empty or repeated", b.merchant.get_ref()),
                ));
            }
            let category = category(fail, &b.category, "fixed_bills.category")?;
            if ["INCOME", "TRANSFER_IN", "TRANSFER_OUT"].contains(&category) {
                return Err(err(
                    fail,
                    b.category.span(),
                    "fixed_bills.category",
                    format!("a bill cannot be {category}"),
                ));
            }
            fixed_bills.push(FixedBill {
                merchant: b.merchant.get_ref().clone(),
                category,
                amount_cents: check_range(
                    fail,
                    &b.amount_cents,
                    "fixed_bills.amount_cents",
                    1,
                    MAX_CENTS,
                )?,
                card: b.card,
            });
        }

        // A user's streams are indexed by u16: payroll, housing, the utilities and the fixed
        // bills must stay far below that.
        for (list, len, key) in [
            (self.utilities.span(), utilities.len(), "utilities"),
            (self.fixed_bills.span(), fixed_bills.len(), "fixed_bills"),
        ] {
            if len > 1_000 {
                return Err(err(
                    fail,
                    list,
                    key,
                    format!("at most 1000 entries, got {len}"),
                ));
            }
        }

        let mut purchases = Vec::new();
        for p in self.purchases.get_ref() {
            let category = category(fail, &p.category, "purchases.category")?;
            if [
                "INCOME",
                "TRANSFER_IN",
                "TRANSFER_OUT",
                "LOAN_PAYMENTS",
                "BANK_FEES",
            ]
            .contains(&category)
            {
                return Err(err(
                    fail,
                    p.category.span(),
                    "purchases.category",
                    format!("a purchase cannot be {category}"),
                ));
            }
            let per_month = *p.per_month.get_ref();
            if !(per_month.is_finite() && (0.0..=100.0).contains(&per_month)) {
                return Err(err(
                    fail,
                    p.per_month.span(),
                    "purchases.per_month",
                    format!("must be 0 to 100, got {per_month}"),
                ));
            }
            let income_bp = *p.income_bp.get_ref();
            if !(0..=10_000).contains(&income_bp) {
                return Err(err(
                    fail,
                    p.income_bp.span(),
                    "purchases.income_bp",
                    format!("must be 0 to 10000, got {income_bp}"),
                ));
            }
            let spread = *p.spread.get_ref();
            if !(spread.is_finite() && (0.0..=3.0).contains(&spread)) {
                return Err(err(
                    fail,
                    p.spread.span(),
                    "purchases.spread",
                    format!("must be 0 to 3, got {spread}"),
                ));
            }
            purchases.push(PurchaseGroup {
                category,
                per_month,
                income_bp,
                spread,
                card_ok: p.card_ok.unwrap_or(true),
                refund_percent: match &p.refund_percent {
                    Some(v) => percent(fail, v, "purchases.refund_percent")?,
                    None => 0,
                },
                merchants: names(fail, &p.merchants, "purchases.merchants")?,
            });
        }
        let budget: i64 = purchases.iter().map(|p| p.income_bp).sum();
        if budget > 10_000 {
            return Err(err(
                fail,
                self.purchases.span(),
                "purchases.income_bp",
                format!("purchases take more than all income: {budget} basis points"),
            ));
        }

        let mut personas = Vec::new();
        for (persona, raw) in self.personas.each() {
            personas.push(
                raw.get_ref()
                    .validate(fail, persona.name(), fixed_bills.len())?,
            );
        }
        let shares: u64 = personas
            .iter()
            .map(|p: &CalibratedPersona| u64::from(p.share))
            .sum();
        if shares != 100 {
            return Err(err(
                fail,
                self.personas.first().get_ref().share.span(),
                "personas.share",
                format!("persona shares must sum to 100, got {shares}"),
            ));
        }
        let story_personas = personas
            .iter()
            .map(|p| PersonaProfile::share_only(p.share))
            .collect();

        let calibrated = Calibrated {
            pending_days,
            savings_percent: percent(
                fail,
                &self.accounts.savings_percent,
                "accounts.savings_percent",
            )?,
            card_percent: percent(fail, &self.accounts.card_percent, "accounts.card_percent")?,
            net_monthly_cents: dist(
                fail,
                &i.net_monthly_cents,
                "income.net_monthly_cents",
                1,
                MAX_CENTS,
            )?,
            gig_gap_days: check_range(fail, &i.gig_gap_days, "income.gig_gap_days", 1, 3_650)?,
            employers: names(fail, &i.employers, "income.employers")?,
            gig_payers: names(fail, &i.gig_payers, "income.gig_payers")?,
            checking_opening_cents: dist(
                fail,
                &s.checking_opening_cents,
                "savings.checking_opening_cents",
                0,
                MAX_CENTS,
            )?,
            savings_opening_cents: dist(
                fail,
                &s.savings_opening_cents,
                "savings.savings_opening_cents",
                0,
                MAX_CENTS,
            )?,
            transfer_percent: check_range(
                fail,
                &s.transfer_percent,
                "savings.transfer_percent",
                0,
                100,
            )?,
            builder_transfer_percent: check_range(
                fail,
                &s.builder_transfer_percent,
                "savings.builder_transfer_percent",
                0,
                100,
            )?,
            withdrawals: check_range(fail, &s.withdrawals, "savings.withdrawals", 0, 100)?,
            atm_fees: check_range(fail, &s.atm_fees, "savings.atm_fees", 0, 100)?,
            atm_fee_cents: check_range(
                fail,
                &s.atm_fee_cents,
                "savings.atm_fee_cents",
                1,
                100_000,
            )?,
            cards,
            housing,
            utilities,
            fixed_bills,
            purchases,
            personas,
        };
        Ok(CalibratedParts {
            window_days,
            signup_days,
            pending_percent,
            statement: StatementTerms {
                due_days,
                minimum_percent,
                minimum_floor_cents,
            },
            personas: story_personas,
            calibrated,
        })
    }
}

impl RawPersona {
    fn validate(
        &self,
        fail: &Fail<'_>,
        name: &str,
        fixed_bills: usize,
    ) -> Result<CalibratedPersona, ProfileError> {
        let key = |field: &str| format!("personas.{name}.{field}");
        let gig = self.gig.as_ref().is_some_and(|g| *g.get_ref());
        let pay = match (&self.pay, gig) {
            (Some(pay), false) => {
                let p = pay.get_ref();
                let weights = [p.weekly, p.biweekly, p.semi_monthly, p.monthly];
                if weights.iter().map(|&w| u64::from(w)).sum::<u64>() == 0
                    || weights.iter().any(|&w| w > 1_000_000)
                {
                    return Err(err(
                        fail,
                        pay.span(),
                        &key("pay"),
                        "needs a positive weight, each at most 1000000",
                    ));
                }
                Some(weights)
            }
            (None, true) => None,
            _ => {
                return Err(err(
                    fail,
                    self.share.span(),
                    &key("pay"),
                    "give either pay weights or gig = true",
                ));
            }
        };
        let fixed = check_range(
            fail,
            &self.fixed_bills,
            &key("fixed_bills"),
            0,
            fixed_bills as u32,
        )?;
        let u = self.card_use.get_ref();
        let card_use = [u.unused, u.full, u.more, u.minimum, u.missed];
        if card_use.iter().map(|&w| u64::from(w)).sum::<u64>() == 0
            || card_use.iter().any(|&w| w > 1_000_000)
        {
            return Err(err(
                fail,
                self.card_use.span(),
                &key("card_use"),
                "needs a positive weight, each at most 1000000",
            ));
        }
        let mut bands = Vec::new();
        for band in self.revolving_utilization.get_ref() {
            let [lo, hi] = band.percent;
            if lo > hi || hi > 100 || band.weight > 1_000_000 {
                return Err(err(
                    fail,
                    self.revolving_utilization.span(),
                    &key("revolving_utilization"),
                    format!(
                        "expected bands [low, high] with 0 <= low <= high <= 100 and weights at most 1000000, got [{lo}, {hi}]"
                    ),
                ));
            }
            bands.push(((lo, hi), band.weight));
        }
        if bands.iter().map(|b| u64::from(b.1)).sum::<u64>() == 0 {
            return Err(err(
                fail,
                self.revolving_utilization.span(),
                &key("revolving_utilization"),
                "needs a band with a positive weight",
            ));
        }
        let requires = self.requires.clone().unwrap_or_default();
        Ok(CalibratedPersona {
            share: *self.share.get_ref(),
            pay,
            fixed_bills: fixed,
            card_use,
            revolving_utilization: bands,
            requires_savings: requires.contains(&RawKind::Savings),
            requires_card: requires.contains(&RawKind::CreditCard),
        })
    }
}
