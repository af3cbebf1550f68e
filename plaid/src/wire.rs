//! Plaid's response objects as its clients deserialise them: every field their models
//! require, the nullable ones as `null`, amounts in dollars, dates as `YYYY-MM-DD` and
//! datetimes in RFC 3339 UTC. Rows of the database become these here and nowhere else.

use backend::{Account, RecurringStream, Transaction};
use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use serde::Serialize;

use crate::taxonomy::{categorize, payment_channel};

/// Cents as Plaid's dollars. Exact for every amount below 2^53 cents.
pub fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// A UTC datetime in RFC 3339, as Plaid writes them.
pub fn datetime(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Plaid's `AccountBase`.
#[derive(Debug, Serialize)]
pub struct AccountBase {
    account_id: String,
    balances: Balances,
    mask: Option<String>,
    name: String,
    official_name: Option<String>,
    #[serde(rename = "type")]
    account_type: String,
    subtype: String,
    persistent_account_id: String,
}

/// Plaid's `AccountBalance`: all five keys, nullable ones as `null`.
#[derive(Debug, Serialize)]
pub struct Balances {
    available: Option<f64>,
    current: Option<f64>,
    limit: Option<f64>,
    iso_currency_code: Option<String>,
    unofficial_currency_code: Option<String>,
    last_updated_datetime: Option<String>,
}

impl AccountBase {
    /// An account, with `pending_out` (cents of pending spending) taken off what is
    /// available: a depository account's current balance less it, a card's limit less its
    /// balance and it.
    pub fn new(account: &Account, pending_out: i64) -> AccountBase {
        let available = match account.credit_limit {
            Some(limit) => limit - account.balance - pending_out,
            None => account.balance - pending_out,
        };
        AccountBase {
            account_id: account.id.clone(),
            balances: Balances {
                available: Some(dollars(available)),
                current: Some(dollars(account.balance)),
                limit: account.credit_limit.map(dollars),
                iso_currency_code: Some(account.currency.clone()),
                unofficial_currency_code: None,
                last_updated_datetime: None,
            },
            mask: Some(account.mask.clone()),
            name: account.name.clone(),
            official_name: None,
            account_type: account.account_type.clone(),
            subtype: account.subtype.clone(),
            persistent_account_id: account.id.clone(),
        }
    }
}

/// Plaid's `Transaction`.
#[derive(Debug, Serialize)]
pub struct TransactionOut {
    account_id: String,
    account_owner: Option<String>,
    amount: f64,
    authorized_date: Option<NaiveDate>,
    authorized_datetime: Option<String>,
    category: Option<Vec<String>>,
    category_id: Option<String>,
    check_number: Option<String>,
    counterparties: Vec<()>,
    date: NaiveDate,
    datetime: Option<String>,
    iso_currency_code: Option<String>,
    location: Location,
    logo_url: Option<String>,
    merchant_entity_id: Option<String>,
    merchant_name: Option<String>,
    name: String,
    original_description: Option<String>,
    payment_channel: &'static str,
    payment_meta: PaymentMeta,
    pending: bool,
    pending_transaction_id: Option<String>,
    personal_finance_category: PersonalFinanceCategory,
    transaction_code: Option<String>,
    transaction_id: String,
    transaction_type: &'static str,
    unofficial_currency_code: Option<String>,
    website: Option<String>,
}

/// Plaid's `Location`: every key, all unknown.
#[derive(Debug, Default, Serialize)]
struct Location {
    address: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    store_number: Option<String>,
}

/// Plaid's `PaymentMeta`: every key, all unknown.
#[derive(Debug, Default, Serialize)]
struct PaymentMeta {
    by_order_of: Option<String>,
    payee: Option<String>,
    payer: Option<String>,
    payment_method: Option<String>,
    payment_processor: Option<String>,
    ppd_id: Option<String>,
    reason: Option<String>,
    reference_number: Option<String>,
}

/// Plaid's `PersonalFinanceCategory`.
#[derive(Debug, Serialize)]
pub struct PersonalFinanceCategory {
    primary: &'static str,
    detailed: &'static str,
    confidence_level: &'static str,
}

impl PersonalFinanceCategory {
    /// The category of a seeded `category` with its `detailed` value where known.
    pub fn new(category: &str, detailed: Option<&str>) -> PersonalFinanceCategory {
        let c = categorize(category, detailed);
        PersonalFinanceCategory {
            primary: c.primary,
            detailed: c.detailed,
            // The generator decided the category: Plaid's highest confidence.
            confidence_level: "VERY_HIGH",
        }
    }
}

impl TransactionOut {
    /// A transaction of an account in `currency`; `original_description` is filled when the
    /// request asked for it.
    pub fn new(t: &Transaction, currency: &str, original_description: bool) -> TransactionOut {
        let pfc = PersonalFinanceCategory::new(&t.category, t.category_detailed.as_deref());
        let channel = payment_channel(pfc.primary);
        TransactionOut {
            account_id: t.account_id.clone(),
            account_owner: None,
            amount: dollars(t.amount),
            authorized_date: None,
            authorized_datetime: None,
            category: None,
            category_id: None,
            check_number: None,
            counterparties: Vec::new(),
            date: t.date.date(),
            datetime: Some(datetime(t.date)),
            iso_currency_code: Some(currency.to_owned()),
            location: Location::default(),
            logo_url: None,
            merchant_entity_id: None,
            merchant_name: Some(t.merchant_name.clone()),
            name: t.merchant_name.clone(),
            original_description: original_description.then(|| t.merchant_name.clone()),
            payment_channel: channel,
            payment_meta: PaymentMeta::default(),
            pending: t.pending,
            pending_transaction_id: t.pending_transaction_id.clone(),
            personal_finance_category: pfc,
            transaction_code: None,
            transaction_id: t.id.clone(),
            // Deprecated by Plaid, still in its model: "special" for what is not a purchase.
            transaction_type: if channel == "other" {
                "special"
            } else {
                "place"
            },
            unofficial_currency_code: None,
            website: None,
        }
    }
}

/// Plaid's `RemovedTransaction`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RemovedTransaction {
    /// The removed transaction.
    pub transaction_id: String,
    /// Its account.
    pub account_id: String,
}

/// Plaid's `TransactionStream`.
#[derive(Debug, Serialize)]
pub struct TransactionStream {
    account_id: String,
    stream_id: String,
    category: Option<Vec<String>>,
    category_id: Option<String>,
    description: String,
    merchant_name: Option<String>,
    first_date: NaiveDate,
    last_date: NaiveDate,
    predicted_next_date: Option<NaiveDate>,
    frequency: String,
    transaction_ids: Vec<String>,
    average_amount: StreamAmount,
    last_amount: StreamAmount,
    is_active: bool,
    status: &'static str,
    is_user_modified: bool,
    personal_finance_category: PersonalFinanceCategory,
}

/// Plaid's `TransactionStreamAmount`.
#[derive(Debug, Serialize)]
struct StreamAmount {
    amount: f64,
    iso_currency_code: Option<String>,
    unofficial_currency_code: Option<String>,
}

/// What a stream looks like as of a date, from its transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamState {
    /// The mean of its transactions' amounts, in cents (rounded half away from zero).
    pub average: i64,
    /// Its latest transaction's amount, in cents.
    pub last: i64,
    /// Whether its next transaction is not overdue by more than its longest gap.
    pub is_active: bool,
    /// Plaid's `status`.
    pub status: &'static str,
}

impl StreamState {
    /// The state of `stream`, whose transactions are `amounts` in date order, as of `as_of`.
    pub fn new(stream: &RecurringStream, amounts: &[i64], as_of: NaiveDate) -> StreamState {
        let (average, last) = match amounts {
            [] => (stream.amount, stream.amount),
            _ => {
                let sum: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
                let n = amounts.len() as i128;
                let rounded = (2 * sum + sum.signum() * n) / (2 * n);
                (rounded as i64, *amounts.last().expect("not empty"))
            }
        };
        let longest_gap =
            seed::catalog::Frequency::from_name(&stream.frequency).map_or(31, |f| f.gap_days().1);
        let is_active = (as_of - stream.next_date).num_days() <= longest_gap;
        let status = match (is_active, amounts.len()) {
            (false, _) => "TOMBSTONED",
            (true, n) if n >= 3 => "MATURE",
            (true, _) => "EARLY_DETECTION",
        };
        StreamState {
            average,
            last,
            is_active,
            status,
        }
    }
}

impl TransactionStream {
    /// A stream with its transactions' ids (in date order) and its state.
    pub fn new(
        stream: &RecurringStream,
        transaction_ids: Vec<String>,
        state: StreamState,
        currency: &str,
    ) -> TransactionStream {
        let amount = |cents| StreamAmount {
            amount: dollars(cents),
            iso_currency_code: Some(currency.to_owned()),
            unofficial_currency_code: None,
        };
        TransactionStream {
            account_id: stream.account_id.clone(),
            stream_id: stream.id.clone(),
            category: None,
            category_id: None,
            description: stream.merchant_name.clone(),
            merchant_name: Some(stream.merchant_name.clone()),
            first_date: stream.first_date,
            last_date: stream.last_date,
            predicted_next_date: Some(stream.next_date),
            frequency: stream.frequency.clone(),
            transaction_ids,
            average_amount: amount(state.average),
            last_amount: amount(state.last),
            is_active: state.is_active,
            status: state.status,
            is_user_modified: false,
            personal_finance_category: PersonalFinanceCategory::new(&stream.category, None),
        }
    }
}

/// Plaid's `CreditCardLiability`, from a card's statement fields.
#[derive(Debug, Serialize)]
pub struct CreditCardLiability {
    account_id: Option<String>,
    aprs: Vec<Apr>,
    is_overdue: Option<bool>,
    last_payment_amount: Option<f64>,
    last_payment_date: Option<NaiveDate>,
    last_statement_issue_date: Option<NaiveDate>,
    last_statement_balance: Option<f64>,
    minimum_payment_amount: Option<f64>,
    next_payment_due_date: Option<NaiveDate>,
}

/// Plaid's `APR`.
#[derive(Debug, Serialize)]
struct Apr {
    apr_percentage: f64,
    apr_type: &'static str,
    balance_subject_to_apr: Option<f64>,
    interest_charge_amount: Option<f64>,
}

impl CreditCardLiability {
    /// The liability of a credit account.
    pub fn new(account: &Account) -> CreditCardLiability {
        CreditCardLiability {
            account_id: Some(account.id.clone()),
            aprs: account
                .apr
                .map(|apr| Apr {
                    apr_percentage: apr,
                    apr_type: "purchase_apr",
                    balance_subject_to_apr: None,
                    interest_charge_amount: None,
                })
                .into_iter()
                .collect(),
            is_overdue: account.is_overdue,
            last_payment_amount: account.last_payment_amount.map(dollars),
            last_payment_date: account.last_payment_date,
            last_statement_issue_date: account.last_statement_issue_date,
            last_statement_balance: account.last_statement_balance.map(dollars),
            minimum_payment_amount: account.min_payment.map(dollars),
            next_payment_due_date: account.next_payment_due_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(frequency: &str, next: &str) -> RecurringStream {
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        RecurringStream {
            id: "s".into(),
            account_id: "a".into(),
            direction: "outflow".into(),
            merchant_name: "Netflix".into(),
            category: "ENTERTAINMENT".into(),
            frequency: frequency.into(),
            amount: 1599,
            first_date: date("2025-01-01"),
            last_date: date("2025-05-01"),
            next_date: date(next),
        }
    }

    #[test]
    fn amounts_are_dollars_and_streams_are_averaged_and_aged() {
        assert_eq!(dollars(1234), 12.34);
        assert_eq!(dollars(-250_000), -2500.0);
        let as_of = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let s = StreamState::new(&stream("MONTHLY", "2025-06-01"), &[1000, 1001, 1002], as_of);
        assert_eq!(
            (s.average, s.last, s.is_active, s.status),
            (1001, 1002, true, "MATURE")
        );
        let s = StreamState::new(&stream("MONTHLY", "2025-06-01"), &[-5, -6], as_of);
        assert_eq!((s.average, s.status), (-6, "EARLY_DETECTION"));
        let s = StreamState::new(&stream("WEEKLY", "2025-03-01"), &[1, 1, 1], as_of);
        assert_eq!((s.is_active, s.status), (false, "TOMBSTONED"));
    }
}
