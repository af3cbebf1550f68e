//! The one table of categories, account kinds and amount ranges the generator draws from.

/// A transaction category with its share of all transactions and its amount range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// The stored category name.
    pub name: &'static str,
    /// Share of all transactions, in percent.
    pub weight_percent: u32,
    /// Smallest amount in cents, as stored (income is negative).
    pub min_cents: i64,
    /// Largest amount in cents, as stored (income is negative).
    pub max_cents: i64,
}

/// Every category, with weights summing to 100.
pub const CATEGORIES: [Category; 7] = [
    Category {
        name: "FOOD_AND_DRINK",
        weight_percent: 25,
        min_cents: 500,
        max_cents: 25_000,
    },
    Category {
        name: "GENERAL_MERCHANDISE",
        weight_percent: 20,
        min_cents: 500,
        max_cents: 25_000,
    },
    Category {
        name: "TRANSPORTATION",
        weight_percent: 15,
        min_cents: 500,
        max_cents: 25_000,
    },
    Category {
        name: "ENTERTAINMENT",
        weight_percent: 10,
        min_cents: 500,
        max_cents: 25_000,
    },
    Category {
        name: "UTILITIES",
        weight_percent: 10,
        min_cents: 500,
        max_cents: 25_000,
    },
    Category {
        name: "HEALTHCARE",
        weight_percent: 5,
        min_cents: 500,
        max_cents: 25_000,
    },
    Category {
        name: "INCOME",
        weight_percent: 15,
        min_cents: -600_000,
        max_cents: -200_000,
    },
];

/// The category of paychecks and other money in.
pub const INCOME: &str = "INCOME";

/// Share of transactions that are still pending, in percent.
pub const PENDING_PERCENT: u32 = 5;

/// Transactions fall within this many days before the as-of date.
pub const WINDOW_DAYS: i64 = 180;

/// Users signed up within this many days before the as-of date.
pub const SIGNUP_DAYS: i64 = 730;

/// Transactions per account, inclusive.
pub const TRANSACTIONS_PER_ACCOUNT: (u32, u32) = (20, 100);

/// Accounts per user, inclusive.
pub const ACCOUNTS_PER_USER: (u32, u32) = (1, 3);

/// Credit card limits in cents, inclusive: $1,000 to $25,000.
pub const CREDIT_LIMIT_CENTS: (i64, i64) = (100_000, 2_500_000);

/// Card APRs in hundredths of a percent, inclusive: 12.99% to 29.99%.
pub const APR_BASIS_POINTS: (i64, i64) = (1_299, 2_999);

/// The minimum payment is this percentage of the card balance.
pub const MIN_PAYMENT_PERCENT: i64 = 2;

/// The reserved example domains (RFC 2606) every email address uses.
pub const EMAIL_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// What kind of account: the Plaid type and subtype pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// depository / checking
    Checking,
    /// depository / savings
    Savings,
    /// credit / credit card
    CreditCard,
}

impl AccountKind {
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
            AccountKind::CreditCard => "credit card",
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

    /// Balance range in cents for depository accounts, inclusive.
    pub fn balance_cents(self) -> (i64, i64) {
        match self {
            AccountKind::Checking => (10_000, 1_500_000),
            AccountKind::Savings => (50_000, 5_000_000),
            AccountKind::CreditCard => (0, 0),
        }
    }
}
