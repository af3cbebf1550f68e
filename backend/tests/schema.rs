//! The migrations and the models agree: every model round-trips through a freshly migrated
//! database, and every migration reverts cleanly.

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

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
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
    let user = User {
        id: "u".into(),
        name: "Ada Lovelace".into(),
        email: "ada.lovelace.0@example.com".into(),
        consent: false,
        created_at,
    };
    let account = Account {
        id: "a".into(),
        user_id: "u".into(),
        name: "Platinum Card".into(),
        account_type: "credit".into(),
        subtype: "credit_card".into(),
        mask: "0001".into(),
        balance: 12_345,
        currency: "USD".into(),
        credit_limit: Some(500_000),
        apr: Some(19.99),
        min_payment: Some(247),
        is_overdue: Some(false),
        last_statement_balance: Some(11_000),
        last_statement_issue_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 12),
        next_payment_due_date: chrono::NaiveDate::from_ymd_opt(2025, 2, 6),
        last_payment_amount: Some(4_000),
        last_payment_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 5),
    };
    let transaction = Transaction {
        id: "t".into(),
        account_id: "a".into(),
        date: created_at,
        amount: -250_000,
        category: "INCOME".into(),
        merchant_name: "Acme Payroll".into(),
        pending: false,
        pending_transaction_id: Some("p".into()),
        category_detailed: Some("INCOME_WAGES".into()),
    };
    let change = TransactionChange {
        seq: i64::MAX,
        transaction_id: "t".into(),
        account_id: "a".into(),
        change: Change::Modified.as_str().into(),
        as_of: created_at.date(),
    };
    let label = PersonaLabel {
        user_id: "u".into(),
        persona: "steady".into(),
    };
    let stream = RecurringStream {
        id: "s".into(),
        account_id: "a".into(),
        direction: "inflow".into(),
        merchant_name: "Acme Payroll".into(),
        category: "INCOME".into(),
        frequency: "BIWEEKLY".into(),
        amount: -250_000,
        first_date: created_at.date(),
        last_date: created_at.date(),
        next_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 16).unwrap(),
    };
    let link = RecurringStreamTransaction {
        stream_id: "s".into(),
        transaction_id: "t".into(),
    };
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
