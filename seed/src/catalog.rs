//! Plaid's vocabulary, which stays in code: account kinds, the personal-finance categories
//! (primaries and their detailed values), recurring frequencies; the income category's name
//! and the reserved email domains. Every number that shapes the data lives in a profile
//! (`seed/profiles/`).

use chrono::{Duration, NaiveDate};

use crate::calendar::add_months;

/// The category of paychecks and other money in. Its transactions land only in depository
/// accounts and carry negative amounts.
pub const INCOME: &str = "INCOME";

/// Plaid's personal-finance-category primaries, the categories of the calibrated profile.
pub const PLAID_PRIMARIES: [&str; 16] = [
    "INCOME",
    "TRANSFER_IN",
    "TRANSFER_OUT",
    "LOAN_PAYMENTS",
    "BANK_FEES",
    "ENTERTAINMENT",
    "FOOD_AND_DRINK",
    "GENERAL_MERCHANDISE",
    "HOME_IMPROVEMENT",
    "MEDICAL",
    "PERSONAL_CARE",
    "GENERAL_SERVICES",
    "GOVERNMENT_AND_NON_PROFIT",
    "TRANSPORTATION",
    "TRAVEL",
    "RENT_AND_UTILITIES",
];

/// Plaid's personal-finance-category taxonomy: each detailed category, by its primary (the
/// prefix every detailed value starts with).
pub const PLAID_DETAILED: [(&str, &[&str]); 16] = [
    (
        "INCOME",
        &[
            "DIVIDENDS",
            "INTEREST_EARNED",
            "RETIREMENT_PENSION",
            "TAX_REFUND",
            "UNEMPLOYMENT",
            "WAGES",
            "OTHER_INCOME",
        ],
    ),
    (
        "TRANSFER_IN",
        &[
            "CASH_ADVANCES_AND_LOANS",
            "DEPOSIT",
            "INVESTMENT_AND_RETIREMENT_FUNDS",
            "SAVINGS",
            "ACCOUNT_TRANSFER",
            "OTHER_TRANSFER_IN",
        ],
    ),
    (
        "TRANSFER_OUT",
        &[
            "INVESTMENT_AND_RETIREMENT_FUNDS",
            "SAVINGS",
            "WITHDRAWAL",
            "ACCOUNT_TRANSFER",
            "OTHER_TRANSFER_OUT",
        ],
    ),
    (
        "LOAN_PAYMENTS",
        &[
            "CAR_PAYMENT",
            "CREDIT_CARD_PAYMENT",
            "PERSONAL_LOAN_PAYMENT",
            "MORTGAGE_PAYMENT",
            "STUDENT_LOAN_PAYMENT",
            "OTHER_PAYMENT",
        ],
    ),
    (
        "BANK_FEES",
        &[
            "ATM_FEES",
            "FOREIGN_TRANSACTION_FEES",
            "INSUFFICIENT_FUNDS",
            "INTEREST_CHARGE",
            "OVERDRAFT_FEES",
            "OTHER_BANK_FEES",
        ],
    ),
    (
        "ENTERTAINMENT",
        &[
            "CASINOS_AND_GAMBLING",
            "MUSIC_AND_AUDIO",
            "SPORTING_EVENTS_AMUSEMENT_PARKS_AND_MUSEUMS",
            "TV_AND_MOVIES",
            "VIDEO_GAMES",
            "OTHER_ENTERTAINMENT",
        ],
    ),
    (
        "FOOD_AND_DRINK",
        &[
            "BEER_WINE_AND_LIQUOR",
            "COFFEE",
            "FAST_FOOD",
            "GROCERIES",
            "RESTAURANT",
            "VENDING_MACHINES",
            "OTHER_FOOD_AND_DRINK",
        ],
    ),
    (
        "GENERAL_MERCHANDISE",
        &[
            "BOOKSTORES_AND_NEWSSTANDS",
            "CLOTHING_AND_ACCESSORIES",
            "CONVENIENCE_STORES",
            "DEPARTMENT_STORES",
            "DISCOUNT_STORES",
            "ELECTRONICS",
            "GIFTS_AND_NOVELTIES",
            "OFFICE_SUPPLIES",
            "ONLINE_MARKETPLACES",
            "PET_SUPPLIES",
            "SPORTING_GOODS",
            "SUPERSTORES",
            "TOBACCO_AND_VAPE",
            "OTHER_GENERAL_MERCHANDISE",
        ],
    ),
    (
        "HOME_IMPROVEMENT",
        &[
            "FURNITURE",
            "HARDWARE",
            "REPAIR_AND_MAINTENANCE",
            "SECURITY",
            "OTHER_HOME_IMPROVEMENT",
        ],
    ),
    (
        "MEDICAL",
        &[
            "DENTAL_CARE",
            "EYE_CARE",
            "NURSING_CARE",
            "PHARMACIES_AND_SUPPLEMENTS",
            "PRIMARY_CARE",
            "VETERINARY_SERVICES",
            "OTHER_MEDICAL",
        ],
    ),
    (
        "PERSONAL_CARE",
        &[
            "GYMS_AND_FITNESS_CENTERS",
            "HAIR_AND_BEAUTY",
            "LAUNDRY_AND_DRY_CLEANING",
            "OTHER_PERSONAL_CARE",
        ],
    ),
    (
        "GENERAL_SERVICES",
        &[
            "ACCOUNTING_AND_FINANCIAL_PLANNING",
            "AUTOMOTIVE",
            "CHILDCARE",
            "CONSULTING_AND_LEGAL",
            "EDUCATION",
            "INSURANCE",
            "POSTAGE_AND_SHIPPING",
            "STORAGE",
            "OTHER_GENERAL_SERVICES",
        ],
    ),
    (
        "GOVERNMENT_AND_NON_PROFIT",
        &[
            "DONATIONS",
            "GOVERNMENT_DEPARTMENTS_AND_AGENCIES",
            "TAX_PAYMENT",
            "OTHER_GOVERNMENT_AND_NON_PROFIT",
        ],
    ),
    (
        "TRANSPORTATION",
        &[
            "BIKES_AND_SCOOTERS",
            "GAS",
            "PARKING",
            "PUBLIC_TRANSIT",
            "TAXIS_AND_RIDE_SHARES",
            "TOLLS",
            "OTHER_TRANSPORTATION",
        ],
    ),
    (
        "TRAVEL",
        &["FLIGHTS", "LODGING", "RENTAL_CARS", "OTHER_TRAVEL"],
    ),
    (
        "RENT_AND_UTILITIES",
        &[
            "GAS_AND_ELECTRICITY",
            "INTERNET_AND_CABLE",
            "RENT",
            "SEWAGE_AND_WASTE_MANAGEMENT",
            "TELEPHONE",
            "WATER",
            "OTHER_UTILITIES",
        ],
    ),
];

/// The primary a detailed category belongs to, if `detailed` is one of Plaid's.
pub fn plaid_primary_of(detailed: &str) -> Option<&'static str> {
    PLAID_DETAILED.iter().find_map(|(primary, details)| {
        let rest = detailed.strip_prefix(primary)?.strip_prefix('_')?;
        details.contains(&rest).then_some(*primary)
    })
}

/// The reserved example domains (RFC 2606) every email address uses.
pub const EMAIL_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// What kind of account: the Plaid type and subtype pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// depository / checking
    Checking,
    /// depository / savings
    Savings,
    /// credit / credit_card
    CreditCard,
}

impl AccountKind {
    /// Position in per-kind tables: checking, savings, credit card.
    pub fn index(self) -> usize {
        match self {
            AccountKind::Checking => 0,
            AccountKind::Savings => 1,
            AccountKind::CreditCard => 2,
        }
    }

    /// The kind of a stored (type, subtype) pair.
    pub fn from_plaid(account_type: &str, subtype: &str) -> Option<AccountKind> {
        match (account_type, subtype) {
            ("depository", "checking") => Some(AccountKind::Checking),
            ("depository", "savings") => Some(AccountKind::Savings),
            ("credit", "credit_card") => Some(AccountKind::CreditCard),
            _ => None,
        }
    }

    /// Plaid's account type.
    pub fn account_type(self) -> &'static str {
        match self {
            AccountKind::Checking | AccountKind::Savings => "depository",
            AccountKind::CreditCard => "credit",
        }
    }

    /// Plaid's account subtype.
    pub fn subtype(self) -> &'static str {
        match self {
            AccountKind::Checking => "checking",
            AccountKind::Savings => "savings",
            AccountKind::CreditCard => "credit_card",
        }
    }

    /// Display names an account of this kind may carry.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            AccountKind::Checking => &["Everyday Checking", "Total Checking", "Smart Checking"],
            AccountKind::Savings => &["High-Yield Savings", "Online Savings", "Goal Savings"],
            AccountKind::CreditCard => {
                &["Cash Rewards Card", "Travel Rewards Card", "Platinum Card"]
            }
        }
    }
}

/// How often a stream recurs: Plaid's frequencies, each "approximately" so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// About every week.
    Weekly,
    /// About every two weeks.
    Biweekly,
    /// About twice a month.
    SemiMonthly,
    /// About every month.
    Monthly,
    /// About every year.
    Annually,
}

impl Frequency {
    /// Every frequency, shortest first.
    pub const ALL: [Frequency; 5] = [
        Frequency::Weekly,
        Frequency::Biweekly,
        Frequency::SemiMonthly,
        Frequency::Monthly,
        Frequency::Annually,
    ];

    /// The name Plaid gives it, as stored: `SEMI_MONTHLY`.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Weekly => "WEEKLY",
            Frequency::Biweekly => "BIWEEKLY",
            Frequency::SemiMonthly => "SEMI_MONTHLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Annually => "ANNUALLY",
        }
    }

    /// Periods in a year.
    pub fn per_year(self) -> u32 {
        match self {
            Frequency::Weekly => 52,
            Frequency::Biweekly => 26,
            Frequency::SemiMonthly => 24,
            Frequency::Monthly => 12,
            Frequency::Annually => 1,
        }
    }

    /// The frequency called `name`, if any.
    pub fn from_name(name: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The days between two transactions of a stream of this frequency, inclusive: its period
    /// give or take the shifts of due days off weekends and of month lengths.
    pub fn gap_days(self) -> (i64, i64) {
        match self {
            Frequency::Weekly => (5, 9),
            Frequency::Biweekly => (12, 16),
            Frequency::SemiMonthly => (11, 19),
            Frequency::Monthly => (26, 35),
            Frequency::Annually => (350, 380),
        }
    }

    /// One nominal period after `date`: 7 or 14 days, half a month (15 days), a calendar
    /// month or a year.
    pub fn after(self, date: NaiveDate) -> NaiveDate {
        match self {
            Frequency::Weekly => date + Duration::days(7),
            Frequency::Biweekly => date + Duration::days(14),
            Frequency::SemiMonthly => date + Duration::days(15),
            Frequency::Monthly => add_months(date, 1),
            Frequency::Annually => add_months(date, 12),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_primary_has_its_detailed_categories() {
        let primaries: Vec<&str> = PLAID_DETAILED.iter().map(|(p, _)| *p).collect();
        let mut sorted = primaries.clone();
        sorted.sort_unstable();
        let mut listed = PLAID_PRIMARIES.to_vec();
        listed.sort_unstable();
        assert_eq!(sorted, listed);
        assert_eq!(
            plaid_primary_of("FOOD_AND_DRINK_GROCERIES"),
            Some("FOOD_AND_DRINK")
        );
        assert_eq!(
            plaid_primary_of("TRANSFER_OUT_SAVINGS"),
            Some("TRANSFER_OUT")
        );
        assert_eq!(plaid_primary_of("TRANSFER_IN_SAVINGS"), Some("TRANSFER_IN"));
        assert_eq!(plaid_primary_of("FOOD_AND_DRINK_GROCERY"), None);
        assert_eq!(plaid_primary_of("GROCERIES"), None);
    }
}
