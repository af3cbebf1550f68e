//! What stays in code: the Plaid account kinds, the income category's name and the reserved
//! email domains. Every distribution lives in a profile (`seed/profiles/`).

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
