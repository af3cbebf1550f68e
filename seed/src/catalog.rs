//! What stays in code: Plaid's vocabulary (account kinds, category primaries, recurring
//! frequencies), the income category's name and the reserved email domains. Every
//! distribution lives in a profile (`seed/profiles/`).

use chrono::{Duration, Months, NaiveDate};

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
            Frequency::Monthly => date.checked_add_months(Months::new(1)).expect("a date"),
            Frequency::Annually => date.checked_add_months(Months::new(12)).expect("a date"),
        }
    }
}
