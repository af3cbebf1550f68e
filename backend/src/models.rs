//! Row models for `users`, `accounts`, `transactions`, `persona_labels`,
//! `recurring_streams`, `recurring_stream_transactions`, `transaction_changes` and
//! `seed_runs`.
//!
//! Each struct is at once the JSON record the seeder writes to `data/users.json` and the
//! Diesel row it inserts and reads back: one definition, so the fixture file and the database
//! cannot disagree about a field.
//!
//! Every model is inserted with `treat_none_as_default_value = false`: `None` becomes NULL,
//! never DEFAULT (no column has a default), which is what lets the same structs feed
//! PostgreSQL's binary COPY (`diesel::copy_from(..).from_insertable(..)`), where a row has no
//! way to say DEFAULT.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};

use crate::schema::{
    accounts, persona_labels, recurring_stream_transactions, recurring_streams, seed_runs,
    transaction_changes, transactions, users,
};

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
/// `credit_limit`, `apr`, `min_payment` and `is_overdue` are `Some` exactly when
/// `account_type` is `credit`. The statement and payment fields (Plaid's liabilities) are
/// `None` on depository accounts, and on a card whose data holds no such event.
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
    /// Whether the card's payment is overdue: the last due date passed without the minimum
    /// paid.
    pub is_overdue: Option<bool>,
    /// The card's balance on its last statement, in cents.
    pub last_statement_balance: Option<i64>,
    /// The day the card's last statement was issued.
    pub last_statement_issue_date: Option<NaiveDate>,
    /// The day the card's next payment is due.
    pub next_payment_due_date: Option<NaiveDate>,
    /// The card's last payment, in cents (positive).
    pub last_payment_amount: Option<i64>,
    /// The day of the card's last payment.
    pub last_payment_date: Option<NaiveDate>,
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
    /// For a posted transaction that replaced a pending one, the pending one's id (which is
    /// gone once this one exists), as Plaid's `pending_transaction_id`.
    pub pending_transaction_id: Option<String>,
    /// Plaid's detailed personal-finance category, such as `FOOD_AND_DRINK_GROCERIES`, where
    /// the generator knows more of the transaction than its `category`.
    pub category_detailed: Option<String>,
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

/// A recurring series of transactions the generator scheduled (payroll, rent, bills,
/// subscriptions, card payments, savings transfers), shaped after Plaid's
/// `/transactions/recurring/get`: ground truth for an app's recurring-transaction detector.
/// Serves as Diesel row; in `users.json` its record also lists its transactions' ids (see
/// [`RecurringStreamTransaction`]).
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
#[diesel(table_name = recurring_streams, belongs_to(Account), check_for_backend(Sqlite, Pg))]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct RecurringStream {
    /// UUID v4, lower-case hyphenated.
    pub id: String,
    /// The account its transactions post to, an `accounts.id`.
    pub account_id: String,
    /// `inflow` (money in) or `outflow` (money out).
    pub direction: String,
    /// The payer or payee.
    pub merchant_name: String,
    /// Its transactions' category.
    pub category: String,
    /// `WEEKLY`, `BIWEEKLY`, `SEMI_MONTHLY`, `MONTHLY` or `ANNUALLY`.
    pub frequency: String,
    /// The typical amount in cents, signed like its transactions.
    pub amount: i64,
    /// The day of its first transaction in the data.
    pub first_date: NaiveDate,
    /// The day of its last transaction in the data.
    pub last_date: NaiveDate,
    /// The day its next transaction is due, as scheduled.
    pub next_date: NaiveDate,
}

/// A transaction of a recurring stream. Serves as Diesel row; in `users.json` these rows are
/// the `transaction_ids` list of their stream's record.
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
#[diesel(table_name = recurring_stream_transactions, primary_key(stream_id, transaction_id))]
#[diesel(belongs_to(RecurringStream, foreign_key = stream_id))]
#[diesel(check_for_backend(Sqlite, Pg), treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct RecurringStreamTransaction {
    /// The stream, a `recurring_streams.id`.
    pub stream_id: String,
    /// One of its transactions, a `transactions.id`.
    pub transaction_id: String,
}

/// One load that put rows into the seeded tables: what generated them and when. Not part
/// of `users.json`; the loader writes it in the load's own transaction.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = seed_runs, check_for_backend(Sqlite, Pg))]
#[diesel(treat_none_as_default_value = false)]
pub struct SeedRun {
    /// A unique id for the run.
    pub id: String,
    /// `meta.generator` of the data.
    pub generator: String,
    /// `meta.profile` of the data.
    pub profile: String,
    /// `meta.seed`, in decimal.
    pub seed: String,
    /// `meta.as_of`.
    pub as_of: NaiveDate,
    /// `meta.origin`: the as-of date of the run that first seeded the data, where every
    /// user's timeline starts. `None` for runs recorded before timelines existed.
    pub origin: Option<NaiveDate>,
    /// `K/N` of a shard's load; `None` for a whole run.
    pub shard: Option<String>,
    /// `generated`, or the path of the `users.json` a `--from` load read.
    pub source: String,
    /// The rows the load added per table, as a JSON object.
    pub row_counts: String,
    /// When the load finished (UTC).
    pub finished_at: NaiveDateTime,
    /// How many users the load wrote; `None` in a row that records no users (written by
    /// something other than the seeder).
    pub user_count: Option<i64>,
    /// An order-independent digest of the ids of the users the load wrote (16 hex digits),
    /// or `before-user-digests` for a row recorded before runs recorded their users.
    pub user_ids_digest: Option<String>,
    /// The first index, in the seed's sequence of users, of the users the run covers (wrote,
    /// or advanced); `None` for rows recorded before runs recorded it.
    pub users_from: Option<i64>,
    /// One past the last index of the users the run covers.
    pub users_to: Option<i64>,
}

/// What a change to `transactions` did, as Plaid's `/transactions/sync` names it; stored as
/// its [`Change::as_str`] in `transaction_changes.change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// A transaction appeared.
    Added,
    /// A transaction's fields changed; its id stayed.
    Modified,
    /// A transaction disappeared (a pending one that posted under another id, or dropped).
    Removed,
}

impl Change {
    /// Every kind of change, in Plaid's order.
    pub const ALL: [Change; 3] = [Change::Added, Change::Modified, Change::Removed];

    /// `added`, `modified` or `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Removed => "removed",
        }
    }

    /// The change stored as `text`, if it is one.
    pub fn parse(text: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// One row the seeder added to, changed in or removed from `transactions`: the log a
/// Plaid-style `/transactions/sync` reads. Not part of `users.json`; a load writes one
/// `added` row per transaction it writes, `seed advance` one per change it makes.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = transaction_changes, primary_key(seq), check_for_backend(Sqlite, Pg))]
#[diesel(treat_none_as_default_value = false)]
pub struct TransactionChange {
    /// Orders the log: a change made later has a greater number.
    pub seq: i64,
    /// The transaction, which is gone from `transactions` after a `removed`.
    pub transaction_id: String,
    /// Its account, an `accounts.id`.
    pub account_id: String,
    /// A [`Change`]: `added`, `modified` or `removed`.
    pub change: String,
    /// The as-of date of the run that made the change.
    pub as_of: NaiveDate,
}
