//! The calibrated profile's shape (`generator = "calibrated"`): its TOML, its validation, one
//! method per section, and the validated [`CalibratedProfile`] the calibrated generator draws
//! from.
//!
//! Every value is checked once here, with checked sums and ranges, so the generator never
//! meets a weight that sums to zero or a range upside down; a bad value fails with one line
//! naming the file, the line and the key.

use serde::Deserialize;
use toml::Spanned;

use super::ProfileError;
use super::check::{Check, MAX_CENTS, RawLogNormal, RawNormal};
use super::common::{
    Authorization, Common, RawAuthorization, RawCommon, RawCorrections, RawKind, RawPending,
    RawPersona, RawPersonas, detailed,
};
use super::distribution::{LogNormal, Normal};
use crate::catalog::{AccountKind, Frequency, PLAID_PRIMARIES};
use crate::persona::Persona;

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
    /// The minimum (or what brings the card back to its usual balance), except statements
    /// missed at the profile's rates.
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

    /// Whether a card used this way carries a balance from one statement to the next.
    pub fn revolves(self) -> bool {
        matches!(self, CardUse::More | CardUse::Minimum | CardUse::Missed)
    }
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

/// How a card's monthly statements fall due and what their minimum payment is
/// (`[cards.statement]`).
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

/// A utility bill paid monthly by every user, its amount varying bill to bill.
#[derive(Debug, Clone, PartialEq)]
pub struct Utility {
    /// Plaid primary category.
    pub category: &'static str,
    /// Plaid detailed category.
    pub detailed: String,
    /// Typical monthly amount.
    pub monthly_cents: LogNormal,
    /// How far one bill strays from the typical amount, in percent.
    pub variation_percent: u32,
    /// Days of the month it may fall due on, inclusive.
    pub due_days: (u32, u32),
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
    /// Plaid detailed category.
    pub detailed: String,
    /// Monthly amount range, inclusive.
    pub amount_cents: (i64, i64),
    /// Whether it goes on a card in use.
    pub card: bool,
}

/// A habit of purchases.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseGroup {
    /// What the habit is called.
    pub name: String,
    /// Plaid primary category.
    pub category: &'static str,
    /// Plaid detailed category.
    pub detailed: String,
    /// Purchases per month on average.
    pub per_month: f64,
    /// Share of net income spent on them at the budget's factor one, in basis points.
    pub income_bp: i64,
    /// Sigma of an amount's log-normal noise.
    pub spread: f64,
    /// Hours of the day, `[from, to)`.
    pub hours: (u32, u32),
    /// How its card authorisations differ from what posts.
    pub authorization: Authorization,
    /// Whether a card may pay.
    pub card_ok: bool,
    /// Share of purchases refunded, in percent.
    pub refund_percent: u32,
    /// Merchants.
    pub merchants: Vec<String>,
}

/// A band of utilisation a revolving card may carry, with its weight among a persona's bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtilizationBand {
    /// Percent of the limit, inclusive.
    pub percent: (u32, u32),
    /// Relative weight.
    pub weight: u32,
}

/// What one persona's calibrated data is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratedPersona {
    /// Payroll frequency weights in [`PayFrequency::ALL`] order; `None` for gig income.
    pub pay: Option<[u32; 4]>,
    /// Fixed monthly bills besides housing held at a time, inclusive.
    pub fixed_bills: (u32, u32),
    /// Weights in [`CardUse::ALL`] order.
    pub card_use: [u32; 5],
    /// Utilisation bands of a revolving card.
    pub revolving_utilization: Vec<UtilizationBand>,
    /// Whether every user holds savings.
    pub requires_savings: bool,
    /// Whether every user holds a card.
    pub requires_card: bool,
}

/// Which accounts users hold besides checking (`[accounts]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountShares {
    /// Share of users with savings, unless their persona requires it, in percent.
    pub savings_percent: u32,
    /// Share of users with a card, unless their persona requires it, in percent.
    pub card_percent: u32,
}

/// Pay (`[income]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Income {
    /// Net monthly pay.
    pub net_monthly_cents: LogNormal,
    /// Hours paychecks post at.
    pub hours: (u32, u32),
    /// Plaid detailed category of payroll.
    pub detailed: String,
    /// Plaid detailed category of gig pay.
    pub gig_detailed: String,
    /// Gaps between gig payments, days inclusive.
    pub gig_gap_days: (i64, i64),
    /// The timeline day of a gig earner's first payment, inclusive.
    pub gig_first_days: (i64, i64),
    /// A gig payment as a share of the earner's rate for its days, in percent, inclusive.
    pub gig_pay_percent: (u32, u32),
    /// Payroll payers.
    pub employers: Vec<String>,
    /// Gig payers.
    pub gig_payers: Vec<String>,
}

/// How a household's spending follows what it has at hand (`[budget]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// How strongly the factor follows what is at hand over the cushion, per month of pay.
    pub gain: f64,
    /// The factor's bounds, in percent.
    pub factor_percent: (u32, u32),
}

/// Cushions and transfers between a user's own accounts (`[savings]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Savings {
    /// The cushion kept in checking, percent of a month's pay.
    pub checking_cushion_percent: LogNormal,
    /// Savings at the timeline's start: what a saver keeps there.
    pub savings_opening_cents: LogNormal,
    /// Share of a paycheck moved to savings, percent inclusive.
    pub transfer_percent: (u32, u32),
    /// The same for savings builders.
    pub builder_transfer_percent: (u32, u32),
    /// A transfer's factor, percent inclusive.
    pub jitter_percent: (u32, u32),
    /// The least a savings builder moves a month.
    pub builder_min_monthly_cents: i64,
    /// The factor on that least, percent inclusive.
    pub builder_min_percent: (u32, u32),
    /// The most others move a month.
    pub max_monthly_cents: i64,
    /// The factor on that most, percent inclusive.
    pub max_percent: (u32, u32),
    /// The least one transfer moves.
    pub min_transfer_cents: i64,
    /// Checking's low mark, in percent of its cushion: debit purchases keep above it, and
    /// below it checking is refilled from savings.
    pub low_percent: u32,
    /// Monthly chance, in percent, that a saver moves savings beyond their usual level back.
    pub withdrawal_percent: u32,
    /// Hours deposits post at.
    pub deposit_hours: (u32, u32),
    /// Hours refills post at.
    pub top_up_hours: (u32, u32),
    /// Hours withdrawals post at.
    pub withdrawal_hours: (u32, u32),
    /// A gig earner's checking cushion, percent of a month's pay, inclusive.
    pub gig_cushion_percent: (u32, u32),
    /// What a gig earner keeps in checking on a payday, percent of a month's pay.
    pub gig_keep_percent: u32,
    /// What a gig earner's refill adds over the cushion, percent of a month's pay.
    pub gig_refill_percent: u32,
    /// A gig earner's checking is refilled below the cushion plus this share of a refill, in
    /// percent.
    pub gig_low_percent: u32,
}

/// Bank fees on checking (`[fees]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fees {
    /// ATM fees a month, on average.
    pub atm_per_month: f64,
    /// What one ATM fee costs, inclusive.
    pub atm_fee_cents: (i64, i64),
    /// Hours ATM fees post at.
    pub atm_hours: (u32, u32),
    /// The fee for a day checking goes below zero.
    pub overdraft_fee_cents: i64,
    /// Hours overdraft fees post at.
    pub overdraft_hours: (u32, u32),
}

/// Card limits, rates, spending, fees and statements (`[cards]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cards {
    /// Credit limits.
    pub limit_cents: LogNormal,
    /// Limits are whole multiples of this, at least one.
    pub limit_step_cents: i64,
    /// APRs in basis points.
    pub apr_basis_points: Normal,
    /// Days of the month statements may be issued on, inclusive.
    pub statement_days: (u32, u32),
    /// A transactor's monthly charges, basis points of the limit.
    pub transactor_spend_bp: LogNormal,
    /// At most this share of the charge ceiling, in percent.
    pub transactor_spend_max_percent: u32,
    /// The most of the card-eligible purchases a transactor puts on the card, in percent.
    pub transactor_share_max_percent: u32,
    /// A revolver's monthly charges, basis points of the limit, inclusive.
    pub revolver_spend_bp: (i64, i64),
    /// Room over the least a revolver keeps owing, besides a minimum, basis points of the
    /// limit.
    pub revolver_margin_bp: i64,
    /// The margin over a persona's highest utilisation a transactor charges up to, basis points.
    pub ceiling_margin_bp: i64,
    /// A transactor's opening balance, percent of a month's charges, inclusive.
    pub transactor_opening_percent: (u32, u32),
    /// The late fee.
    pub late_fee_cents: i64,
    /// Hours late fees post at.
    pub late_fee_hours: (u32, u32),
    /// Hours interest posts at.
    pub interest_hours: (u32, u32),
    /// Hours card payments post at.
    pub payment_hours: (u32, u32),
    /// Chance of missing a statement after one paid, in percent.
    pub miss_percent: u32,
    /// Chance of missing a statement after one missed, in percent.
    pub miss_again_percent: u32,
    /// The most statements missed in a row.
    pub most_missed_in_a_row: u32,
    /// Days before the due date a payment is made, inclusive.
    pub pay_days_before_due: (i64, i64),
    /// The same for minimum payers.
    pub minimum_pay_days_before_due: (i64, i64),
    /// A fixed bill goes on a card only if at most this share of its limit, basis points.
    pub bill_max_limit_bp: i64,
    /// When statements fall due and their minimum payment.
    pub statement: StatementTerms,
}

/// Rent or mortgage (`[housing]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Housing {
    /// Share of users with a mortgage, in percent.
    pub mortgage_percent: u32,
    /// Housing as a share of net income, basis points.
    pub share_of_income_bp: LogNormal,
    /// Days of the month it may fall due on, inclusive.
    pub due_days: (u32, u32),
    /// Plaid detailed category of rent.
    pub rent_detailed: String,
    /// Plaid detailed category of a mortgage payment.
    pub mortgage_detailed: String,
    /// Rent payees.
    pub landlords: Vec<String>,
    /// Mortgage payees; each name contains "Mortgage".
    pub lenders: Vec<String>,
}

/// When bills post and how fixed bills come and go (`[bills]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bills {
    /// Hours bills post at.
    pub hours: (u32, u32),
    /// Days of the month a fixed bill may fall due on, inclusive.
    pub due_days: (u32, u32),
    /// The most a fixed bill a user takes on may be, in basis points of net pay.
    pub max_income_bp: i64,
    /// Monthly chance of starting a fixed bill, in percent.
    pub start_percent: u32,
    /// Monthly chance of cancelling one, in percent.
    pub cancel_percent: u32,
    /// Monthly chance of switching one for another, in percent.
    pub switch_percent: u32,
}

/// How purchases are drawn (`[shopping]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Shopping {
    /// A habit's rate factor per user, percent inclusive.
    pub rate_jitter_percent: (u32, u32),
    /// Weights of a habit's favourite merchants, first favourite first.
    pub favorite_weights: Vec<u32>,
    /// The least a purchase costs.
    pub min_cents: i64,
    /// Days from posting to refund, inclusive.
    pub refund_days: (i64, i64),
    /// Hours refunds post at.
    pub refund_hours: (u32, u32),
}

/// The validated calibrated profile: everything the calibrated generator reads.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratedProfile {
    /// Name, window, sign-up span, persona shares, pending and corrections.
    pub common: Common,
    /// Which accounts users hold.
    pub accounts: AccountShares,
    /// Pay.
    pub income: Income,
    /// How spending follows what is at hand.
    pub budget: Budget,
    /// Cushions and transfers.
    pub savings: Savings,
    /// Bank fees.
    pub fees: Fees,
    /// Cards.
    pub cards: Cards,
    /// Housing.
    pub housing: Housing,
    /// When bills post and how fixed bills come and go.
    pub bills: Bills,
    /// Utilities.
    pub utilities: Vec<Utility>,
    /// Fixed monthly bills.
    pub fixed_bills: Vec<FixedBill>,
    /// How purchases are drawn.
    pub shopping: Shopping,
    /// Purchase habits.
    pub purchases: Vec<PurchaseGroup>,
    /// Per persona, indexed by [`Persona::index`].
    pub personas: Vec<CalibratedPersona>,
}

impl CalibratedProfile {
    /// The parameters of `persona`.
    pub fn persona(&self, persona: Persona) -> &CalibratedPersona {
        &self.personas[persona.index()]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalibrated {
    #[allow(dead_code)] // What picked this shape; checked before.
    generator: String,
    window_days: Spanned<i64>,
    signup_days: Spanned<i64>,
    pending: RawPending,
    corrections: RawCorrections,
    accounts: RawAccounts,
    income: RawIncome,
    budget: RawBudget,
    savings: RawSavings,
    fees: RawFees,
    cards: RawCards,
    housing: RawHousing,
    bills: RawBills,
    utilities: Spanned<Vec<RawUtility>>,
    fixed_bills: Spanned<Vec<RawFixedBill>>,
    shopping: RawShopping,
    purchases: Spanned<Vec<RawPurchase>>,
    personas: RawPersonas<RawCalibratedPersona>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    savings_percent: Spanned<u32>,
    card_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncome {
    net_monthly_cents: Spanned<RawLogNormal>,
    hours: Spanned<[u32; 2]>,
    detailed: Spanned<String>,
    gig_detailed: Spanned<String>,
    gig_gap_days: Spanned<[i64; 2]>,
    gig_first_days: Spanned<[i64; 2]>,
    gig_pay_percent: Spanned<[u32; 2]>,
    employers: Spanned<Vec<String>>,
    gig_payers: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    gain: Spanned<f64>,
    factor_percent: Spanned<[u32; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSavings {
    checking_cushion_percent: Spanned<RawLogNormal>,
    savings_opening_cents: Spanned<RawLogNormal>,
    transfer_percent: Spanned<[u32; 2]>,
    builder_transfer_percent: Spanned<[u32; 2]>,
    jitter_percent: Spanned<[u32; 2]>,
    builder_min_monthly_cents: Spanned<i64>,
    builder_min_percent: Spanned<[u32; 2]>,
    max_monthly_cents: Spanned<i64>,
    max_percent: Spanned<[u32; 2]>,
    min_transfer_cents: Spanned<i64>,
    low_percent: Spanned<u32>,
    withdrawal_percent: Spanned<u32>,
    deposit_hours: Spanned<[u32; 2]>,
    top_up_hours: Spanned<[u32; 2]>,
    withdrawal_hours: Spanned<[u32; 2]>,
    gig_cushion_percent: Spanned<[u32; 2]>,
    gig_keep_percent: Spanned<u32>,
    gig_refill_percent: Spanned<u32>,
    gig_low_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFees {
    atm_per_month: Spanned<f64>,
    atm_fee_cents: Spanned<[i64; 2]>,
    atm_hours: Spanned<[u32; 2]>,
    overdraft_fee_cents: Spanned<i64>,
    overdraft_hours: Spanned<[u32; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCards {
    limit_cents: Spanned<RawLogNormal>,
    limit_step_cents: Spanned<i64>,
    apr_basis_points: Spanned<RawNormal>,
    statement_days: Spanned<[u32; 2]>,
    transactor_spend_bp: Spanned<RawLogNormal>,
    transactor_spend_max_percent: Spanned<u32>,
    transactor_share_max_percent: Spanned<u32>,
    revolver_spend_bp: Spanned<[i64; 2]>,
    revolver_margin_bp: Spanned<i64>,
    ceiling_margin_bp: Spanned<i64>,
    transactor_opening_percent: Spanned<[u32; 2]>,
    late_fee_cents: Spanned<i64>,
    late_fee_hours: Spanned<[u32; 2]>,
    interest_hours: Spanned<[u32; 2]>,
    payment_hours: Spanned<[u32; 2]>,
    miss_percent: Spanned<u32>,
    miss_again_percent: Spanned<u32>,
    most_missed_in_a_row: Spanned<u32>,
    pay_days_before_due: Spanned<[i64; 2]>,
    minimum_pay_days_before_due: Spanned<[i64; 2]>,
    bill_max_limit_bp: Spanned<i64>,
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
    share_of_income_bp: Spanned<RawLogNormal>,
    due_days: Spanned<[u32; 2]>,
    rent_detailed: Spanned<String>,
    mortgage_detailed: Spanned<String>,
    landlords: Spanned<Vec<String>>,
    lenders: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBills {
    hours: Spanned<[u32; 2]>,
    due_days: Spanned<[u32; 2]>,
    max_income_bp: Spanned<i64>,
    start_percent: Spanned<u32>,
    cancel_percent: Spanned<u32>,
    switch_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUtility {
    category: Spanned<String>,
    detailed: Spanned<String>,
    monthly_cents: Spanned<RawLogNormal>,
    variation_percent: Spanned<u32>,
    due_days: Spanned<[u32; 2]>,
    merchants: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixedBill {
    merchant: Spanned<String>,
    category: Spanned<String>,
    detailed: Spanned<String>,
    amount_cents: Spanned<[i64; 2]>,
    card: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShopping {
    rate_jitter_percent: Spanned<[u32; 2]>,
    favorite_weights: Spanned<Vec<u32>>,
    min_cents: Spanned<i64>,
    refund_days: Spanned<[i64; 2]>,
    refund_hours: Spanned<[u32; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPurchase {
    name: Spanned<String>,
    category: Spanned<String>,
    detailed: Spanned<String>,
    per_month: Spanned<f64>,
    income_bp: Spanned<i64>,
    spread: Spanned<f64>,
    hours: Spanned<[u32; 2]>,
    tip_percent: Option<Spanned<[u32; 2]>>,
    hold_cents: Option<Spanned<i64>>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibratedPersona {
    share: Spanned<u32>,
    pay: Option<Spanned<RawPay>>,
    gig: Option<Spanned<bool>>,
    fixed_bills: Spanned<[u32; 2]>,
    card_use: Spanned<RawCardUse>,
    revolving_utilization: Spanned<Vec<RawBand>>,
    requires: Option<Vec<RawKind>>,
}

impl RawPersona for RawCalibratedPersona {
    fn share(&self) -> &Spanned<u32> {
        &self.share
    }
}

/// The most weight one entry of a list of weights may carry: a list of them sums within a u32.
const MAX_WEIGHT: u32 = 1_000_000;

/// Categories only the generator's own rows carry: money between a user's accounts, pay,
/// card payments and fees are not purchases or bills a profile lists.
const OWN_ROWS: [&str; 4] = ["INCOME", "TRANSFER_IN", "TRANSFER_OUT", "BANK_FEES"];

/// A Plaid primary category, other than those `forbidden` for what it names.
fn category(
    check: &Check<'_>,
    value: &Spanned<String>,
    field: &str,
    (what, forbidden): (&str, &[&str]),
) -> Result<&'static str, ProfileError> {
    let Some(category) = PLAID_PRIMARIES
        .iter()
        .copied()
        .find(|c| c == value.get_ref())
    else {
        return Err(check.fail(
            value.span(),
            field,
            format!(
                "`{}` is not a Plaid primary category ({})",
                value.get_ref(),
                PLAID_PRIMARIES.join(", ")
            ),
        ));
    };
    if forbidden.contains(&category) {
        return Err(check.fail(value.span(), field, format!("{what} cannot be {category}")));
    }
    Ok(category)
}

/// Days of the month, inclusive: 1 to 28, the days every month has, so a monthly schedule
/// falls on its day every month (a calendar constraint, not a modelling choice).
fn month_days(
    check: &Check<'_>,
    value: &Spanned<[u32; 2]>,
    field: &str,
) -> Result<(u32, u32), ProfileError> {
    check.range(value, field, 1, 28)
}

impl RawCalibrated {
    pub(super) fn validate(
        self,
        check: &Check<'_>,
        name: &str,
    ) -> Result<CalibratedProfile, ProfileError> {
        let common = RawCommon {
            window_days: &self.window_days,
            signup_days: &self.signup_days,
            pending: &self.pending,
            corrections: &self.corrections,
            personas: &self.personas,
        }
        .validate(check, name, (28, " (a statement cycle at least)"))?;
        let fixed_bills = self.fixed_bills(check)?;
        let personas = self
            .personas
            .validate(&check.at("personas"), |check, raw| {
                raw.validate(check, fixed_bills.len())
            })?;
        Ok(CalibratedProfile {
            accounts: self.accounts.validate(&check.at("accounts"))?,
            income: self.income.validate(&check.at("income"))?,
            budget: self.budget.validate(&check.at("budget"))?,
            savings: self.savings.validate(&check.at("savings"))?,
            fees: self.fees.validate(&check.at("fees"))?,
            cards: self.cards.validate(&check.at("cards"))?,
            housing: self.housing.validate(&check.at("housing"))?,
            bills: self.bills.validate(&check.at("bills"))?,
            utilities: self.utilities(check)?,
            fixed_bills,
            shopping: self.shopping.validate(&check.at("shopping"))?,
            purchases: self.purchases(check)?,
            personas,
            common,
        })
    }

    fn utilities(&self, check: &Check<'_>) -> Result<Vec<Utility>, ProfileError> {
        let check = check.at("utilities");
        let list = self.utilities.get_ref();
        stream_count(&check, self.utilities.span(), list.len())?;
        list.iter().map(|u| u.validate(&check)).collect()
    }

    fn fixed_bills(&self, check: &Check<'_>) -> Result<Vec<FixedBill>, ProfileError> {
        let check = check.at("fixed_bills");
        let list = self.fixed_bills.get_ref();
        stream_count(&check, self.fixed_bills.span(), list.len())?;
        let mut bills: Vec<FixedBill> = Vec::new();
        for b in list {
            let merchant = b.merchant.get_ref();
            if merchant.trim().is_empty() || bills.iter().any(|f| f.merchant == *merchant) {
                return Err(check.fail(
                    b.merchant.span(),
                    "merchant",
                    format!("`{merchant}` is empty or repeated"),
                ));
            }
            let what = ("a bill", &OWN_ROWS[..]);
            let category = category(&check, &b.category, "category", what)?;
            bills.push(FixedBill {
                merchant: merchant.clone(),
                category,
                detailed: detailed(&check, &b.detailed, "detailed", Some(category))?,
                amount_cents: check.range(&b.amount_cents, "amount_cents", 1, MAX_CENTS)?,
                card: b.card,
            });
        }
        Ok(bills)
    }

    fn purchases(&self, check: &Check<'_>) -> Result<Vec<PurchaseGroup>, ProfileError> {
        let check = check.at("purchases");
        let groups = self
            .purchases
            .get_ref()
            .iter()
            .map(|p| p.validate(&check))
            .collect::<Result<Vec<_>, _>>()?;
        if groups.is_empty() {
            return Err(check.fail(self.purchases.span(), "", "needs at least one group"));
        }
        let budget: i64 = groups.iter().map(|p| p.income_bp).sum();
        if budget > 10_000 {
            return Err(check.fail(
                self.purchases.span(),
                "income_bp",
                format!("purchases take more than all income: {budget} basis points"),
            ));
        }
        Ok(groups)
    }
}

/// A user's streams are indexed by u16: payroll, housing, the utilities and the fixed bills
/// (each started a few times at most over the years a timeline runs) stay far below that.
fn stream_count(
    check: &Check<'_>,
    span: std::ops::Range<usize>,
    len: usize,
) -> Result<(), ProfileError> {
    if len > 1_000 {
        return Err(check.fail(span, "", format!("at most 1000 entries, got {len}")));
    }
    Ok(())
}

impl RawUtility {
    fn validate(&self, check: &Check<'_>) -> Result<Utility, ProfileError> {
        let category = category(check, &self.category, "category", ("a utility", &OWN_ROWS))?;
        Ok(Utility {
            category,
            detailed: detailed(check, &self.detailed, "detailed", Some(category))?,
            monthly_cents: check.log_normal(
                &self.monthly_cents,
                "monthly_cents",
                (1, MAX_CENTS),
                4.0,
            )?,
            variation_percent: check.within(&self.variation_percent, "variation_percent", 0, 90)?,
            due_days: month_days(check, &self.due_days, "due_days")?,
            merchants: check.names(&self.merchants, "merchants")?,
        })
    }
}

impl RawPurchase {
    fn validate(&self, check: &Check<'_>) -> Result<PurchaseGroup, ProfileError> {
        let forbidden = [&OWN_ROWS[..], &["LOAN_PAYMENTS"]].concat();
        let category = category(
            check,
            &self.category,
            "category",
            ("a purchase", &forbidden),
        )?;
        Ok(PurchaseGroup {
            name: group_name(check, &self.name)?,
            category,
            detailed: detailed(check, &self.detailed, "detailed", Some(category))?,
            per_month: check.within(&self.per_month, "per_month", 0.0, 100.0)?,
            income_bp: check.within(&self.income_bp, "income_bp", 0, 10_000)?,
            spread: check.within(&self.spread, "spread", 0.0, 3.0)?,
            hours: check.hours(&self.hours, "hours")?,
            authorization: RawAuthorization {
                tip_percent: &self.tip_percent,
                hold_cents: &self.hold_cents,
            }
            .validate(check)?,
            card_ok: self.card_ok.unwrap_or(true),
            refund_percent: match &self.refund_percent {
                Some(v) => check.percent(v, "refund_percent")?,
                None => 0,
            },
            merchants: check.names(&self.merchants, "merchants")?,
        })
    }
}

/// A purchase group's name: not blank.
fn group_name(check: &Check<'_>, name: &Spanned<String>) -> Result<String, ProfileError> {
    if name.get_ref().trim().is_empty() {
        return Err(check.fail(name.span(), "name", "a group needs a name"));
    }
    Ok(name.get_ref().clone())
}

impl RawAccounts {
    fn validate(&self, check: &Check<'_>) -> Result<AccountShares, ProfileError> {
        Ok(AccountShares {
            savings_percent: check.percent(&self.savings_percent, "savings_percent")?,
            card_percent: check.percent(&self.card_percent, "card_percent")?,
        })
    }
}

impl RawIncome {
    fn validate(&self, check: &Check<'_>) -> Result<Income, ProfileError> {
        Ok(Income {
            net_monthly_cents: check.log_normal(
                &self.net_monthly_cents,
                "net_monthly_cents",
                (1, MAX_CENTS),
                4.0,
            )?,
            hours: check.hours(&self.hours, "hours")?,
            detailed: detailed(check, &self.detailed, "detailed", Some("INCOME"))?,
            gig_detailed: detailed(check, &self.gig_detailed, "gig_detailed", Some("INCOME"))?,
            gig_gap_days: check.range(&self.gig_gap_days, "gig_gap_days", 1, 3_650)?,
            gig_first_days: check.range(&self.gig_first_days, "gig_first_days", 0, 3_650)?,
            gig_pay_percent: check.range(&self.gig_pay_percent, "gig_pay_percent", 0, 1_000)?,
            employers: check.names(&self.employers, "employers")?,
            gig_payers: check.names(&self.gig_payers, "gig_payers")?,
        })
    }
}

impl RawBudget {
    fn validate(&self, check: &Check<'_>) -> Result<Budget, ProfileError> {
        Ok(Budget {
            gain: check.within(&self.gain, "gain", 0.0, 100.0)?,
            factor_percent: check.range(&self.factor_percent, "factor_percent", 0, 10_000)?,
        })
    }
}

impl RawSavings {
    fn validate(&self, check: &Check<'_>) -> Result<Savings, ProfileError> {
        let (log_normal, range) = (
            |v, f| check.log_normal(v, f, (0, MAX_CENTS), 4.0),
            |v, f, hi| check.range(v, f, 0, hi),
        );
        Ok(Savings {
            checking_cushion_percent: check.log_normal(
                &self.checking_cushion_percent,
                "checking_cushion_percent",
                (0, 10_000),
                4.0,
            )?,
            savings_opening_cents: log_normal(
                &self.savings_opening_cents,
                "savings_opening_cents",
            )?,
            transfer_percent: range(&self.transfer_percent, "transfer_percent", 100)?,
            builder_transfer_percent: range(
                &self.builder_transfer_percent,
                "builder_transfer_percent",
                100,
            )?,
            jitter_percent: range(&self.jitter_percent, "jitter_percent", 1_000)?,
            builder_min_monthly_cents: check.within(
                &self.builder_min_monthly_cents,
                "builder_min_monthly_cents",
                0,
                MAX_CENTS,
            )?,
            builder_min_percent: range(&self.builder_min_percent, "builder_min_percent", 1_000)?,
            max_monthly_cents: check.within(
                &self.max_monthly_cents,
                "max_monthly_cents",
                0,
                MAX_CENTS,
            )?,
            max_percent: range(&self.max_percent, "max_percent", 1_000)?,
            min_transfer_cents: check.within(
                &self.min_transfer_cents,
                "min_transfer_cents",
                1,
                MAX_CENTS,
            )?,
            low_percent: check.percent(&self.low_percent, "low_percent")?,
            withdrawal_percent: check.percent(&self.withdrawal_percent, "withdrawal_percent")?,
            deposit_hours: check.hours(&self.deposit_hours, "deposit_hours")?,
            top_up_hours: check.hours(&self.top_up_hours, "top_up_hours")?,
            withdrawal_hours: check.hours(&self.withdrawal_hours, "withdrawal_hours")?,
            gig_cushion_percent: range(&self.gig_cushion_percent, "gig_cushion_percent", 1_000)?,
            gig_keep_percent: check.within(&self.gig_keep_percent, "gig_keep_percent", 0, 1_000)?,
            gig_refill_percent: check.within(
                &self.gig_refill_percent,
                "gig_refill_percent",
                0,
                1_000,
            )?,
            gig_low_percent: check.percent(&self.gig_low_percent, "gig_low_percent")?,
        })
    }
}

impl RawFees {
    fn validate(&self, check: &Check<'_>) -> Result<Fees, ProfileError> {
        Ok(Fees {
            atm_per_month: check.within(&self.atm_per_month, "atm_per_month", 0.0, 100.0)?,
            atm_fee_cents: check.range(&self.atm_fee_cents, "atm_fee_cents", 1, 100_000)?,
            atm_hours: check.hours(&self.atm_hours, "atm_hours")?,
            overdraft_fee_cents: check.within(
                &self.overdraft_fee_cents,
                "overdraft_fee_cents",
                1,
                100_000,
            )?,
            overdraft_hours: check.hours(&self.overdraft_hours, "overdraft_hours")?,
        })
    }
}

impl RawCards {
    fn validate(&self, check: &Check<'_>) -> Result<Cards, ProfileError> {
        let days = |v, f| check.range(v, f, 0, 27);
        let basis_points = |v, f| check.within(v, f, 0, 10_000);
        Ok(Cards {
            limit_cents: check.log_normal(
                &self.limit_cents,
                "limit_cents",
                (10_000, MAX_CENTS),
                4.0,
            )?,
            limit_step_cents: check.within(
                &self.limit_step_cents,
                "limit_step_cents",
                1,
                MAX_CENTS,
            )?,
            apr_basis_points: check.normal(
                &self.apr_basis_points,
                "apr_basis_points",
                (0, 10_000),
            )?,
            statement_days: month_days(check, &self.statement_days, "statement_days")?,
            transactor_spend_bp: check.log_normal(
                &self.transactor_spend_bp,
                "transactor_spend_bp",
                (1, 10_000),
                4.0,
            )?,
            transactor_spend_max_percent: check.percent(
                &self.transactor_spend_max_percent,
                "transactor_spend_max_percent",
            )?,
            transactor_share_max_percent: check.percent(
                &self.transactor_share_max_percent,
                "transactor_share_max_percent",
            )?,
            revolver_spend_bp: check.range(
                &self.revolver_spend_bp,
                "revolver_spend_bp",
                0,
                10_000,
            )?,
            revolver_margin_bp: basis_points(&self.revolver_margin_bp, "revolver_margin_bp")?,
            ceiling_margin_bp: basis_points(&self.ceiling_margin_bp, "ceiling_margin_bp")?,
            transactor_opening_percent: check.range(
                &self.transactor_opening_percent,
                "transactor_opening_percent",
                0,
                1_000,
            )?,
            late_fee_cents: check.within(&self.late_fee_cents, "late_fee_cents", 0, MAX_CENTS)?,
            late_fee_hours: check.hours(&self.late_fee_hours, "late_fee_hours")?,
            interest_hours: check.hours(&self.interest_hours, "interest_hours")?,
            payment_hours: check.hours(&self.payment_hours, "payment_hours")?,
            miss_percent: check.percent(&self.miss_percent, "miss_percent")?,
            miss_again_percent: check.percent(&self.miss_again_percent, "miss_again_percent")?,
            most_missed_in_a_row: check.within(
                &self.most_missed_in_a_row,
                "most_missed_in_a_row",
                0,
                1_000,
            )?,
            pay_days_before_due: days(&self.pay_days_before_due, "pay_days_before_due")?,
            minimum_pay_days_before_due: days(
                &self.minimum_pay_days_before_due,
                "minimum_pay_days_before_due",
            )?,
            bill_max_limit_bp: basis_points(&self.bill_max_limit_bp, "bill_max_limit_bp")?,
            statement: self.statement.validate(&check.at("statement"))?,
        })
    }
}

impl RawStatement {
    fn validate(&self, check: &Check<'_>) -> Result<StatementTerms, ProfileError> {
        let due_days = *self.due_days.get_ref();
        if !(1..=27).contains(&due_days) {
            return Err(check.fail(
                self.due_days.span(),
                "due_days",
                format!(
                    "must be 1 to 27, so a payment falls due before the next statement: got {due_days}"
                ),
            ));
        }
        Ok(StatementTerms {
            due_days,
            minimum_percent: check.within(&self.minimum_percent, "minimum_percent", 0.0, 100.0)?,
            minimum_floor_cents: check.within(
                &self.minimum_floor_cents,
                "minimum_floor_cents",
                0,
                MAX_CENTS,
            )?,
        })
    }
}

impl RawHousing {
    fn validate(&self, check: &Check<'_>) -> Result<Housing, ProfileError> {
        let lenders = check.names(&self.lenders, "lenders")?;
        if lenders.iter().any(|l| !l.contains("Mortgage")) {
            return Err(check.fail(
                self.lenders.span(),
                "lenders",
                "every lender's name contains \"Mortgage\": that is how a mortgage payment is told from other loans",
            ));
        }
        Ok(Housing {
            mortgage_percent: check.percent(&self.mortgage_percent, "mortgage_percent")?,
            share_of_income_bp: check.log_normal(
                &self.share_of_income_bp,
                "share_of_income_bp",
                (0, 10_000),
                4.0,
            )?,
            due_days: month_days(check, &self.due_days, "due_days")?,
            rent_detailed: detailed(
                check,
                &self.rent_detailed,
                "rent_detailed",
                Some("RENT_AND_UTILITIES"),
            )?,
            mortgage_detailed: detailed(
                check,
                &self.mortgage_detailed,
                "mortgage_detailed",
                Some("LOAN_PAYMENTS"),
            )?,
            landlords: check.names(&self.landlords, "landlords")?,
            lenders,
        })
    }
}

impl RawBills {
    fn validate(&self, check: &Check<'_>) -> Result<Bills, ProfileError> {
        Ok(Bills {
            hours: check.hours(&self.hours, "hours")?,
            due_days: month_days(check, &self.due_days, "due_days")?,
            max_income_bp: check.within(&self.max_income_bp, "max_income_bp", 0, 10_000)?,
            start_percent: check.percent(&self.start_percent, "start_percent")?,
            cancel_percent: check.percent(&self.cancel_percent, "cancel_percent")?,
            switch_percent: check.percent(&self.switch_percent, "switch_percent")?,
        })
    }
}

impl RawShopping {
    fn validate(&self, check: &Check<'_>) -> Result<Shopping, ProfileError> {
        let weights = self.favorite_weights.get_ref();
        if weights.is_empty() || weights.len() > 16 || weights.iter().any(|&w| w > MAX_WEIGHT) {
            return Err(check.fail(
                self.favorite_weights.span(),
                "favorite_weights",
                format!("expected 1 to 16 weights, each at most {MAX_WEIGHT}"),
            ));
        }
        check.weights(
            self.favorite_weights.span(),
            "favorite_weights",
            weights.iter().copied(),
        )?;
        Ok(Shopping {
            rate_jitter_percent: check.range(
                &self.rate_jitter_percent,
                "rate_jitter_percent",
                0,
                1_000,
            )?,
            favorite_weights: weights.clone(),
            min_cents: check.within(&self.min_cents, "min_cents", 1, MAX_CENTS)?,
            refund_days: check.range(&self.refund_days, "refund_days", 0, 365)?,
            refund_hours: check.hours(&self.refund_hours, "refund_hours")?,
        })
    }
}

impl RawCalibratedPersona {
    fn validate(
        &self,
        check: &Check<'_>,
        fixed_bills: usize,
    ) -> Result<CalibratedPersona, ProfileError> {
        let gig = self.gig.as_ref().is_some_and(|g| *g.get_ref());
        let pay = match (&self.pay, gig) {
            (Some(pay), false) => {
                let p = pay.get_ref();
                Some(bounded_weights(
                    check,
                    pay.span(),
                    "pay",
                    [p.weekly, p.biweekly, p.semi_monthly, p.monthly],
                )?)
            }
            (None, true) => None,
            _ => {
                return Err(check.fail(
                    self.share.span(),
                    "pay",
                    "give either pay weights or gig = true",
                ));
            }
        };
        let u = self.card_use.get_ref();
        let card_use = bounded_weights(
            check,
            self.card_use.span(),
            "card_use",
            [u.unused, u.full, u.more, u.minimum, u.missed],
        )?;
        let requires = RawKind::kinds(self.requires.as_deref());
        Ok(CalibratedPersona {
            pay,
            fixed_bills: check.range(&self.fixed_bills, "fixed_bills", 0, fixed_bills as u32)?,
            card_use,
            revolving_utilization: self.revolving_utilization(check)?,
            requires_savings: requires.contains(&AccountKind::Savings),
            requires_card: requires.contains(&AccountKind::CreditCard),
        })
    }

    fn revolving_utilization(
        &self,
        check: &Check<'_>,
    ) -> Result<Vec<UtilizationBand>, ProfileError> {
        let span = self.revolving_utilization.span();
        let field = "revolving_utilization";
        let mut bands = Vec::new();
        for band in self.revolving_utilization.get_ref() {
            let [lo, hi] = band.percent;
            if lo > hi || hi > 100 || band.weight > MAX_WEIGHT {
                return Err(check.fail(
                    span,
                    field,
                    format!(
                        "expected bands [low, high] with 0 <= low <= high <= 100 and weights at most {MAX_WEIGHT}, got [{lo}, {hi}]"
                    ),
                ));
            }
            bands.push(UtilizationBand {
                percent: (lo, hi),
                weight: band.weight,
            });
        }
        check.weights(span, field, bands.iter().map(|b| b.weight))?;
        Ok(bands)
    }
}

/// Weights with a positive total, each at most [`MAX_WEIGHT`].
fn bounded_weights<const N: usize>(
    check: &Check<'_>,
    span: std::ops::Range<usize>,
    field: &str,
    weights: [u32; N],
) -> Result<[u32; N], ProfileError> {
    if weights.iter().any(|&w| w > MAX_WEIGHT) {
        return Err(check.fail(
            span,
            field,
            format!("needs a positive weight, each at most {MAX_WEIGHT}"),
        ));
    }
    check.weights(span, field, weights)?;
    Ok(weights)
}
