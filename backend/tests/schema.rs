//! The migrations and the models agree: every model round-trips through a freshly migrated
//! database, and every migration reverts cleanly. The models are built from JSON records, so
//! a nullable column added to a table needs no edit here (see `from_record`).

use backend::db::MIGRATIONS;
use backend::schema::{
    accounts, persona_labels, recurring_stream_transactions, recurring_streams,
    transaction_changes, transactions, users,
};
use backend::{
    Account, Change, PersonaLabel, RecurringStream, RecurringStreamTransaction, Transaction,
    TransactionChange, User,
};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// A model from its JSON record, as `users.json` holds it: each field `record` names takes its
/// value, and an `Option` field it leaves unnamed is `None` (serde's rule), so a nullable
/// column added later round-trips below as NULL without this test naming it, while a column
/// that may not be null fails here until it is named. Each field named holds a non-null value,
/// and the model gives every one back as named: nothing renamed, dropped or defaulted.
fn from_record<T: DeserializeOwned + Serialize>(record: serde_json::Value) -> T {
    let model: T =
        serde_json::from_value(record.clone()).unwrap_or_else(|e| panic!("{e}: {record:#}"));
    let back = serde_json::to_value(&model).unwrap();
    for (field, value) in record.as_object().expect("a record is an object") {
        assert!(
            !value.is_null(),
            "{field}: name it with a value that is not null"
        );
        assert_eq!(back.get(field), Some(value), "{field}");
    }
    model
}

/// Every model reads from and writes to a freshly migrated database: each column the models
/// name exists, with a type their fields round-trip through. (That `schema.rs` is what
/// `diesel print-schema` prints is checked by CI with diesel_cli itself.)
#[test]
fn the_models_fit_the_migrated_schema() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    let created_at = chrono::NaiveDate::from_ymd_opt(2025, 1, 2)
        .unwrap()
        .and_hms_opt(3, 4, 5)
        .unwrap();
    let user: User = from_record(json!({
        "id": "u",
        "name": "Ada Lovelace",
        "email": "ada.lovelace.0@example.com",
        "consent": false,
        "created_at": created_at,
    }));
    let account: Account = from_record(json!({
        "id": "a",
        "user_id": "u",
        "name": "Platinum Card",
        "type": "credit",
        "subtype": "credit_card",
        "mask": "0001",
        "balance": 12_345,
        "currency": "USD",
        "credit_limit": 500_000,
        "apr": 19.99,
        "min_payment": 247,
        "is_overdue": false,
        "last_statement_balance": 11_000,
        "last_statement_issue_date": "2025-01-12",
        "next_payment_due_date": "2025-02-06",
        "last_payment_amount": 4_000,
        "last_payment_date": "2025-01-05",
    }));
    let transaction: Transaction = from_record(json!({
        "id": "t",
        "account_id": "a",
        "date": created_at,
        "amount": -250_000,
        "category": "INCOME",
        "merchant_name": "Acme Payroll",
        "pending": false,
        "pending_transaction_id": "p",
        "category_detailed": "INCOME_WAGES",
    }));
    let change = TransactionChange {
        seq: i64::MAX,
        transaction_id: "t".into(),
        account_id: "a".into(),
        change: Change::Modified.as_str().into(),
        as_of: created_at.date(),
    };
    let label: PersonaLabel = from_record(json!({
        "user_id": "u",
        "persona": "steady",
    }));
    let stream: RecurringStream = from_record(json!({
        "id": "s",
        "account_id": "a",
        "direction": "inflow",
        "merchant_name": "Acme Payroll",
        "category": "INCOME",
        "frequency": "BIWEEKLY",
        "amount": -250_000,
        "first_date": created_at.date(),
        "last_date": created_at.date(),
        "next_date": "2025-01-16",
    }));
    let link: RecurringStreamTransaction = from_record(json!({
        "stream_id": "s",
        "transaction_id": "t",
    }));
    diesel::insert_into(users::table)
        .values(&user)
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(accounts::table)
        .values(&account)
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(transactions::table)
        .values(&transaction)
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(persona_labels::table)
        .values(&label)
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(recurring_streams::table)
        .values(&stream)
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(recurring_stream_transactions::table)
        .values(&link)
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(transaction_changes::table)
        .values(&change)
        .execute(&mut conn)
        .unwrap();
    let read_user: User = users::table
        .select(User::as_select())
        .first(&mut conn)
        .unwrap();
    let read_account: Account = accounts::table
        .select(Account::as_select())
        .first(&mut conn)
        .unwrap();
    let read_transaction: Transaction = transactions::table
        .select(Transaction::as_select())
        .first(&mut conn)
        .unwrap();
    let read_label: PersonaLabel = persona_labels::table
        .select(PersonaLabel::as_select())
        .first(&mut conn)
        .unwrap();
    assert_eq!(read_user, user);
    assert_eq!(read_account, account);
    assert_eq!(read_transaction, transaction);
    assert_eq!(read_label, label);
    let read_stream: RecurringStream = recurring_streams::table
        .select(RecurringStream::as_select())
        .first(&mut conn)
        .unwrap();
    let read_link: RecurringStreamTransaction = recurring_stream_transactions::table
        .select(RecurringStreamTransaction::as_select())
        .first(&mut conn)
        .unwrap();
    assert_eq!(read_stream, stream);
    assert_eq!(read_link, link);
    let read_change: TransactionChange = transaction_changes::table
        .select(TransactionChange::as_select())
        .first(&mut conn)
        .unwrap();
    assert_eq!(read_change, change);
    assert_eq!(Change::parse(&read_change.change), Some(Change::Modified));
}

#[test]
fn every_migration_reverts_cleanly() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    conn.revert_all_migrations(MIGRATIONS).unwrap();
    let left: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\'",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        left.is_empty(),
        "left behind: {:?}",
        left.iter().map(|n| &n.name).collect::<Vec<_>>()
    );
    conn.run_pending_migrations(MIGRATIONS).unwrap();
}
