//! The calibrated profile's shape (`generator = "calibrated"`): its TOML, its validation, one
//! method per section, and the validated [`CalibratedProfile`] the ledger generator draws
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
    Common, RawCommon, RawCorrections, RawKind, RawPending, RawPersona, RawPersonas,
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
    /// Fixed monthly bills besides housing, inclusive.
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
    /// Gaps between gig payments, days inclusive.
    pub gig_gap_days: (i64, i64),
    /// Payroll payers.
    pub employers: Vec<String>,
    /// Gig payers.
    pub gig_payers: Vec<String>,
}

/// Cushions, transfers and ATM fees (`[savings]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Savings {
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
}

/// Card limits, rates, spending, fees and statements (`[cards]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cards {
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
    /// Rent payees.
    pub landlords: Vec<String>,
    /// Mortgage payees; each name contains "Mortgage".
    pub lenders: Vec<String>,
}

/// The validated calibrated profile: everything the ledger generator reads.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratedProfile {
    /// Name, window, sign-up span and persona shares.
    pub common: Common,
    /// Which accounts users hold.
    pub accounts: AccountShares,
    /// Pay.
    pub income: Income,
    /// Cushions, transfers and ATM fees.
    pub savings: Savings,
    /// Cards.
    pub cards: Cards,
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
    savings: RawSavings,
    cards: RawCards,
    housing: RawHousing,
    utilities: Spanned<Vec<RawUtility>>,
    fixed_bills: Spanned<Vec<RawFixedBill>>,
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
    gig_gap_days: Spanned<[i64; 2]>,
    employers: Spanned<Vec<String>>,
    gig_payers: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSavings {
    checking_opening_cents: Spanned<RawLogNormal>,
    savings_opening_cents: Spanned<RawLogNormal>,
    transfer_percent: Spanned<[u32; 2]>,
    builder_transfer_percent: Spanned<[u32; 2]>,
    withdrawals: Spanned<[u32; 2]>,
    atm_fees: Spanned<[u32; 2]>,
    atm_fee_cents: Spanned<[i64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCards {
    limit_cents: Spanned<RawLogNormal>,
    apr_basis_points: Spanned<RawNormal>,
    transactor_spend_bp: Spanned<RawLogNormal>,
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
    share_of_income_bp: Spanned<RawLogNormal>,
    landlords: Spanned<Vec<String>>,
    lenders: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUtility {
    category: Spanned<String>,
    monthly_cents: Spanned<RawLogNormal>,
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
            savings: self.savings.validate(&check.at("savings"))?,
            cards: self.cards.validate(&check.at("cards"))?,
            housing: self.housing.validate(&check.at("housing"))?,
            utilities: self.utilities(check)?,
            fixed_bills,
            purchases: self.purchases(check)?,
            personas,
            common,
        })
    }

    fn utilities(&self, check: &Check<'_>) -> Result<Vec<Utility>, ProfileError> {
        let check = check.at("utilities");
        let list = self.utilities.get_ref();
        stream_count(&check, self.utilities.span(), list.len())?;
        list.iter()
            .map(|u| {
                Ok(Utility {
                    category: category(&check, &u.category, "category", ("a utility", &[]))?,
                    monthly_cents: check.log_normal(
                        &u.monthly_cents,
                        "monthly_cents",
                        (1, MAX_CENTS),
                        4.0,
                    )?,
                    variation_percent: check.within(
                        &u.variation_percent,
                        "variation_percent",
                        0,
                        90,
                    )?,
                    merchants: check.names(&u.merchants, "merchants")?,
                })
            })
            .collect()
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
            bills.push(FixedBill {
                merchant: merchant.clone(),
                category: category(
                    &check,
                    &b.category,
                    "category",
                    ("a bill", &["INCOME", "TRANSFER_IN", "TRANSFER_OUT"]),
                )?,
                amount_cents: check.range(&b.amount_cents, "amount_cents", 1, MAX_CENTS)?,
                card: b.card,
            });
        }
        Ok(bills)
    }

    fn purchases(&self, check: &Check<'_>) -> Result<Vec<PurchaseGroup>, ProfileError> {
        let check = check.at("purchases");
        let forbidden = [
            "INCOME",
            "TRANSFER_IN",
            "TRANSFER_OUT",
            "LOAN_PAYMENTS",
            "BANK_FEES",
        ];
        let mut groups = Vec::new();
        for p in self.purchases.get_ref() {
            groups.push(PurchaseGroup {
                category: category(&check, &p.category, "category", ("a purchase", &forbidden))?,
                per_month: check.within(&p.per_month, "per_month", 0.0, 100.0)?,
                income_bp: check.within(&p.income_bp, "income_bp", 0, 10_000)?,
                spread: check.within(&p.spread, "spread", 0.0, 3.0)?,
                card_ok: p.card_ok.unwrap_or(true),
                refund_percent: match &p.refund_percent {
                    Some(v) => check.percent(v, "refund_percent")?,
                    None => 0,
                },
                merchants: check.names(&p.merchants, "merchants")?,
            });
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
/// stay far below that.
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
            gig_gap_days: check.range(&self.gig_gap_days, "gig_gap_days", 1, 3_650)?,
            employers: check.names(&self.employers, "employers")?,
            gig_payers: check.names(&self.gig_payers, "gig_payers")?,
        })
    }
}

impl RawSavings {
    fn validate(&self, check: &Check<'_>) -> Result<Savings, ProfileError> {
        Ok(Savings {
            checking_opening_cents: check.log_normal(
                &self.checking_opening_cents,
                "checking_opening_cents",
                (0, MAX_CENTS),
                4.0,
            )?,
            savings_opening_cents: check.log_normal(
                &self.savings_opening_cents,
                "savings_opening_cents",
                (0, MAX_CENTS),
                4.0,
            )?,
            transfer_percent: check.range(&self.transfer_percent, "transfer_percent", 0, 100)?,
            builder_transfer_percent: check.range(
                &self.builder_transfer_percent,
                "builder_transfer_percent",
                0,
                100,
            )?,
            withdrawals: check.range(&self.withdrawals, "withdrawals", 0, 100)?,
            atm_fees: check.range(&self.atm_fees, "atm_fees", 0, 100)?,
            atm_fee_cents: check.range(&self.atm_fee_cents, "atm_fee_cents", 1, 100_000)?,
        })
    }
}

impl RawCards {
    fn validate(&self, check: &Check<'_>) -> Result<Cards, ProfileError> {
        Ok(Cards {
            limit_cents: check.log_normal(
                &self.limit_cents,
                "limit_cents",
                (10_000, MAX_CENTS),
                4.0,
            )?,
            apr_basis_points: check.normal(
                &self.apr_basis_points,
                "apr_basis_points",
                (0, 10_000),
            )?,
            transactor_spend_bp: check.log_normal(
                &self.transactor_spend_bp,
                "transactor_spend_bp",
                (1, 10_000),
                4.0,
            )?,
            revolver_spend_bp: check.range(
                &self.revolver_spend_bp,
                "revolver_spend_bp",
                0,
                10_000,
            )?,
            late_fee_cents: check.within(&self.late_fee_cents, "late_fee_cents", 0, MAX_CENTS)?,
            missed_twice_percent: check
                .percent(&self.missed_twice_percent, "missed_twice_percent")?,
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
            landlords: check.names(&self.landlords, "landlords")?,
            lenders,
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
