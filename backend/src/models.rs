//! Row models for `users`, `accounts`, `transactions` and `persona_labels`.
//!
//! Each struct is at once the JSON record the seeder writes to `data/users.json` and the
//! Diesel row it inserts and reads back: one definition, so the fixture file and the database
//! cannot disagree about a field.
//!
//! Every model is inserted with `treat_none_as_default_value = false`: `None` becomes NULL,
//! never DEFAULT (no column has a default), which is what lets the same structs feed
//! PostgreSQL's binary COPY (`diesel::copy_from(..).from_insertable(..)`), where a row has no
//! way to say DEFAULT.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};

use crate::schema::{accounts, persona_labels, transactions, users};

/// A person using SpendSense. Serves as JSON record and as Diesel row.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize,
)]
#[diesel(table_name = users, check_for_backend(Sqlite, Pg))]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// UUID v4, lower-case hyphenated.
    pub id: String,
    /// Full display name.
    pub name: String,
    /// Unique address on a reserved example domain.
    pub email: String,
    /// Whether the user consented to data processing.
    pub consent: bool,
    /// When the user signed up (UTC, whole seconds).
    pub created_at: NaiveDateTime,
}

/// A bank account: depository (checking, savings) or credit (credit card).
/// Serves as JSON record and as Diesel row.
///
/// The four credit fields are `Some` exactly when `account_type` is `credit`.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
)]
#[diesel(table_name = accounts, belongs_to(User), check_for_backend(Sqlite, Pg))]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// UUID v4, lower-case hyphenated.
    pub id: String,
    /// Owner, a `users.id`.
    pub user_id: String,
    /// Display name, such as "Everyday Checking".
    pub name: String,
    /// Plaid account type: `depository` or `credit`.
    #[diesel(column_name = type_)]
    #[serde(rename = "type")]
    pub account_type: String,
    /// Plaid subtype: `checking`, `savings` or `credit_card`.
    pub subtype: String,
    /// Last four digits of the account number.
    pub mask: String,
    /// Current balance in cents; for a card, the amount owed.
    pub balance: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Card limit in cents.
    pub credit_limit: Option<i64>,
    /// Card APR in percent, two decimals.
    pub apr: Option<f64>,
    /// Card minimum payment in cents.
    pub min_payment: Option<i64>,
    /// Whether the card's payment is overdue.
    pub is_overdue: Option<bool>,
}

/// A posted or pending transaction on one account. Serves as JSON record and as Diesel row.
///
/// Amounts follow Plaid's sign convention: money out is positive, money in is negative.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
)]
#[diesel(table_name = transactions, belongs_to(Account), check_for_backend(Sqlite, Pg))]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// UUID v4, lower-case hyphenated.
    pub id: String,
    /// The account it belongs to, an `accounts.id`.
    pub account_id: String,
    /// When it happened (UTC, whole seconds).
    pub date: NaiveDateTime,
    /// Amount in cents: positive for spending, negative for income.
    pub amount: i64,
    /// Spending category, such as `FOOD_AND_DRINK`.
    pub category: String,
    /// Merchant or payer name.
    pub merchant_name: String,
    /// Whether the transaction has not posted yet.
    pub pending: bool,
}

/// The persona a generated user was meant to show: the seed data's ground truth, kept apart
/// from anything the app derives. Serves as JSON record and as Diesel row.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
)]
#[diesel(table_name = persona_labels, primary_key(user_id), belongs_to(User))]
#[diesel(check_for_backend(Sqlite, Pg), treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct PersonaLabel {
    /// The labelled user, a `users.id`.
    pub user_id: String,
    /// The persona's name, such as `high_utilization`.
    pub persona: String,
}
