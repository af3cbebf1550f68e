//! The backend against the CI fixtures (`cargo xtask fixtures`): the schema holds real data,
//! enforces its keys, and serves the queries the app makes with its indexes.
//!
//! The database is `$SPENDSENSE_FIXTURE_DB` when set (CI sets it to the one `cargo xtask
//! fixtures` built); otherwise the committed JSON is loaded into a fresh temporary database.

use backend::db::MIGRATIONS;
use backend::schema::{accounts, transactions, users};
use backend::{Account, Transaction, User};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixtures {
    users: Vec<User>,
    accounts: Vec<Account>,
    transactions: Vec<Transaction>,
}

fn fixtures() -> Fixtures {
    serde_json::from_str(include_str!("fixtures/users.json"))
        .expect("the fixture file parses into the models")
}

fn connect(dir: &tempfile::TempDir) -> SqliteConnection {
    let data = fixtures();
    let mut conn = match std::env::var("SPENDSENSE_FIXTURE_DB") {
        Ok(path) => SqliteConnection::establish(&path).unwrap(),
        Err(_) => {
            let path = dir.path().join("fixtures.db");
            let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            conn.run_pending_migrations(MIGRATIONS).unwrap();
            diesel::insert_into(users::table)
                .values(&data.users)
                .execute(&mut conn)
                .unwrap();
            diesel::insert_into(accounts::table)
                .values(&data.accounts)
                .execute(&mut conn)
                .unwrap();
            diesel::insert_into(transactions::table)
                .values(&data.transactions)
                .execute(&mut conn)
                .unwrap();
            conn
        }
    };
    // The tests run in parallel, on one file when CI names it: a connection opening it while
    // another recovers its WAL index, or while one holds the write lock, waits instead of
    // failing with "database is locked".
    conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON")
        .unwrap();
    conn
}

#[test]
fn the_database_holds_exactly_the_fixture_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = connect(&dir);
    let mut data = fixtures();
    data.users.sort_by(|a, b| a.id.cmp(&b.id));
    data.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    data.transactions.sort_by(|a, b| a.id.cmp(&b.id));
    let users: Vec<User> = users::table
        .select(User::as_select())
        .order(users::id)
        .load(&mut conn)
        .unwrap();
    let accounts: Vec<Account> = accounts::table
        .select(Account::as_select())
        .order(accounts::id)
        .load(&mut conn)
        .unwrap();
    let transactions: Vec<Transaction> = transactions::table
        .select(Transaction::as_select())
        .order(transactions::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(users, data.users);
    assert_eq!(accounts, data.accounts);
    assert_eq!(transactions, data.transactions);
}

#[test]
fn a_users_accounts_and_their_latest_transactions_come_back_through_the_models() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = connect(&dir);
    let user: User = users::table
        .select(User::as_select())
        .order(users::email)
        .first(&mut conn)
        .unwrap();
    let their_accounts: Vec<Account> = Account::belonging_to(&user)
        .select(Account::as_select())
        .load(&mut conn)
        .unwrap();
    assert!(!their_accounts.is_empty());
    for account in &their_accounts {
        let latest: Vec<Transaction> = Transaction::belonging_to(account)
            .select(Transaction::as_select())
            .order(transactions::date.desc())
            .limit(10)
            .load(&mut conn)
            .unwrap();
        assert_eq!(latest.len(), 10);
        assert!(latest.windows(2).all(|w| w[0].date >= w[1].date));
    }
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[test]
fn account_history_and_user_lookups_use_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = connect(&dir);
    let plan = |conn: &mut SqliteConnection, sql: &str| -> String {
        let rows: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(conn)
            .unwrap();
        rows.into_iter()
            .map(|r| r.detail)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let history = plan(
        &mut conn,
        "SELECT * FROM transactions WHERE account_id = 'x' ORDER BY date",
    );
    assert!(
        history.contains("transactions_account_id_date_idx"),
        "{history}"
    );
    let by_user = plan(&mut conn, "SELECT * FROM accounts WHERE user_id = 'x'");
    assert!(by_user.contains("accounts_user_id_idx"), "{by_user}");
    let by_email = plan(&mut conn, "SELECT * FROM users WHERE email = 'x'");
    assert!(by_email.contains("users_email_key"), "{by_email}");
    let by_id = plan(&mut conn, "SELECT * FROM transactions WHERE id = 'x'");
    assert!(by_id.contains("transactions_id_key"), "{by_id}");
}

#[test]
fn keys_and_uniqueness_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = connect(&dir);
    let data = fixtures();
    conn.begin_test_transaction().unwrap();

    let mut twin = data.users[0].clone();
    twin.id = "00000000-0000-4000-8000-000000000001".into();
    let err = diesel::insert_into(users::table)
        .values(&twin)
        .execute(&mut conn)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("UNIQUE constraint failed: users.email"),
        "{err}"
    );

    let mut orphan = data.transactions[0].clone();
    orphan.id = "00000000-0000-4000-8000-000000000002".into();
    orphan.account_id = "00000000-0000-4000-8000-000000000003".into();
    let err = diesel::insert_into(transactions::table)
        .values(&orphan)
        .execute(&mut conn)
        .unwrap_err();
    assert!(
        err.to_string().contains("FOREIGN KEY constraint failed"),
        "{err}"
    );

    let duplicate = data.transactions[1].clone();
    let err = diesel::insert_into(transactions::table)
        .values(&duplicate)
        .execute(&mut conn)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("UNIQUE constraint failed: transactions.id"),
        "{err}"
    );
}
