//! How each seeded table's rows become SQLite INSERT statements: through Diesel's
//! `Insertable` for the small tables, and for the two large ones a load binds,
//! `transactions` (nine values a row, about 73 rows a user) and
//! `recurring_stream_transactions` (two UUIDs a row), statements that bind each value through
//! SQLite's C API ([`sqlite_api`](crate::database::sqlite_api)). The run's tables, a few rows
//! a run, are written apart ([`write_run_table!`](super::write_run_table)).
//!
//! The bound statements store the same values as Diesel's insert would, with the timestamp
//! as the text Diesel would make of it, but without Diesel's bind collector, which collects
//! every value of a statement and unbinds each after it, and with `INSERT OR FAIL`, which
//! keeps no statement journal. Tests compare the rows they store with those of Diesel's own
//! insert, and the timestamp texts with chrono's.

use anyhow::Context;
use backend::{
    Account, PersonaLabel, RecurringStream, RecurringStreamTransaction, Transaction,
    TransactionChange, User,
};
use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::database::sqlite_api::{BindRow, Handle, Insert, Values};

/// Rows per INSERT statement. Every statement binds rows × columns values, which must stay
/// under SQLite's limit of 32,766; full batches reuse one prepared statement.
pub(super) const ROWS_PER_INSERT: usize = 1_000;

/// A seeded model that can insert a batch of its rows into SQLite.
pub(super) trait SqliteRows: Sized {
    /// Inserts a full batch of [`ROWS_PER_INSERT`] rows with one cached statement.
    fn insert_full(
        conn: &mut SqliteConnection,
        statements: &mut Statements,
        rows: &[Self; ROWS_PER_INSERT],
    ) -> anyhow::Result<()>;

    /// Inserts fewer rows (the last of a load) with a statement that is not cached.
    fn insert_rest(
        conn: &mut SqliteConnection,
        statements: &mut Statements,
        rows: &[Self],
    ) -> anyhow::Result<()>;
}

/// Rows inserted through Diesel's `Insertable`.
macro_rules! diesel_rows {
    ($($model:ident: $table:ident,)*) => {$(
        impl SqliteRows for $model {
            fn insert_full(
                conn: &mut SqliteConnection,
                _: &mut Statements,
                rows: &[Self; ROWS_PER_INSERT],
            ) -> anyhow::Result<()> {
                diesel::insert_into(backend::schema::$table::table)
                    .values(rows)
                    .execute(conn)
                    .context(concat!("insert ", stringify!($table)))?;
                Ok(())
            }

            fn insert_rest(
                conn: &mut SqliteConnection,
                _: &mut Statements,
                rows: &[Self],
            ) -> anyhow::Result<()> {
                diesel::insert_into(backend::schema::$table::table)
                    .values(rows)
                    .execute(conn)
                    .context(concat!("insert ", stringify!($table)))?;
                Ok(())
            }
        }
    )*};
}

diesel_rows! {
    User: users,
    Account: accounts,
    PersonaLabel: persona_labels,
    RecurringStream: recurring_streams,
    TransactionChange: transaction_changes,
}

/// Rows bound through SQLite's C API ([`BindRow`]).
macro_rules! bound_rows {
    ($($model:ident,)*) => {$(
        impl SqliteRows for $model {
            fn insert_full(
                _: &mut SqliteConnection,
                statements: &mut Statements,
                rows: &[Self; ROWS_PER_INSERT],
            ) -> anyhow::Result<()> {
                statements.insert_full(rows)
            }

            fn insert_rest(
                _: &mut SqliteConnection,
                statements: &mut Statements,
                rows: &[Self],
            ) -> anyhow::Result<()> {
                statements.insert_rest(rows)
            }
        }
    )*};
}

bound_rows! {
    Transaction,
    RecurringStreamTransaction,
}

/// The load's statements of bound rows: one prepared INSERT of [`ROWS_PER_INSERT`] rows per
/// table, kept for the load. It must be dropped before the connection it was made for.
pub(super) struct Statements {
    handle: Handle,
    full: Vec<Insert>,
}

impl Statements {
    /// The statements of `conn`'s load, prepared when first used.
    pub(super) fn new(conn: &mut SqliteConnection) -> anyhow::Result<Statements> {
        Ok(Statements {
            handle: Handle::of(conn)?,
            full: Vec::new(),
        })
    }

    fn insert_full<R: BindRow>(&mut self, rows: &[R; ROWS_PER_INSERT]) -> anyhow::Result<()> {
        let at = match self
            .full
            .iter()
            .position(|insert| insert.table() == R::TABLE)
        {
            Some(at) => at,
            None => {
                self.full
                    .push(Insert::prepare::<R>(&self.handle, ROWS_PER_INSERT)?);
                self.full.len() - 1
            }
        };
        self.full[at]
            .run(rows)
            .with_context(|| format!("insert {}", R::TABLE))
    }

    fn insert_rest<R: BindRow>(&mut self, rows: &[R]) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        Insert::prepare::<R>(&self.handle, rows.len())?
            .run(rows)
            .with_context(|| format!("insert {}", R::TABLE))
    }
}

impl BindRow for Transaction {
    const TABLE: &'static str = "transactions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "account_id",
        "date",
        "amount",
        "category",
        "merchant_name",
        "pending",
        "pending_transaction_id",
        "category_detailed",
    ];

    fn bind<'r>(&'r self, values: &mut Values<'r>) {
        // Every field named, no `..`: a column added to the model stops this compiling.
        let Transaction {
            id,
            account_id,
            date,
            amount,
            category,
            merchant_name,
            pending,
            pending_transaction_id,
            category_detailed,
        } = self;
        values.text(id);
        values.text(account_id);
        values.copied_text(sqlite_timestamp(date).as_str());
        values.integer(*amount);
        values.text(category);
        values.text(merchant_name);
        values.boolean(*pending);
        values.optional_text(pending_transaction_id.as_deref());
        values.optional_text(category_detailed.as_deref());
    }
}

impl BindRow for RecurringStreamTransaction {
    const TABLE: &'static str = "recurring_stream_transactions";
    const COLUMNS: &'static [&'static str] = &["stream_id", "transaction_id"];

    fn bind<'r>(&'r self, values: &mut Values<'r>) {
        let RecurringStreamTransaction {
            stream_id,
            transaction_id,
        } = self;
        values.text(stream_id);
        values.text(transaction_id);
    }
}

/// A timestamp's text as Diesel stores it in SQLite (chrono's `%F %T%.f`).
enum TimestampText {
    /// Whole seconds in the years 0 to 9999, which is every timestamp the seeder makes:
    /// written directly, with no allocation.
    Short([u8; 19]),
    /// Any other, by chrono.
    Formatted(String),
}

impl TimestampText {
    fn as_str(&self) -> &str {
        match self {
            TimestampText::Short(text) => {
                std::str::from_utf8(text).expect("digits and separators are ASCII")
            }
            TimestampText::Formatted(text) => text,
        }
    }
}

/// `value` as Diesel stores a timestamp in SQLite, without chrono's format parser for the
/// timestamps the seeder makes.
fn sqlite_timestamp(value: &NaiveDateTime) -> TimestampText {
    let year = value.year();
    if value.nanosecond() != 0 || !(0..=9999).contains(&year) {
        return TimestampText::Formatted(value.format("%F %T%.f").to_string());
    }
    let mut text = [0u8; 19];
    let mut at = 0;
    let mut two = |n: u32, after: Option<u8>| {
        text[at] = b'0' + (n / 10) as u8;
        text[at + 1] = b'0' + (n % 10) as u8;
        at += 2;
        if let Some(c) = after {
            text[at] = c;
            at += 1;
        }
    };
    let year = year as u32;
    two(year / 100, None);
    two(year % 100, Some(b'-'));
    two(value.month(), Some(b'-'));
    two(value.day(), Some(b' '));
    two(value.hour(), Some(b':'));
    two(value.minute(), Some(b':'));
    two(value.second(), None);
    TimestampText::Short(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use diesel::sql_types::Text;

    #[test]
    fn timestamps_are_the_text_diesel_stores() {
        let at = |y, m, d, h, min, s, nanos| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_nano_opt(h, min, s, nanos)
                .unwrap()
        };
        for value in [
            at(2025, 6, 1, 0, 0, 0, 0),
            at(1999, 12, 31, 23, 59, 59, 0),
            at(5, 1, 9, 7, 3, 1, 0),
            at(9999, 12, 31, 23, 59, 59, 0),
            at(2025, 6, 1, 12, 0, 0, 500_000_000),
            at(2025, 6, 1, 12, 0, 0, 1),
            at(10_000, 1, 1, 0, 0, 0, 0),
            at(-1, 1, 1, 0, 0, 0, 0),
        ] {
            assert_eq!(
                sqlite_timestamp(&value).as_str(),
                value.format("%F %T%.f").to_string()
            );
        }
    }

    /// An in-memory database with `sql` run, able to bind rows.
    fn database(sql: &str) -> (SqliteConnection, Statements) {
        use diesel::connection::SimpleConnection;
        crate::database::sqlite_api::register();
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(sql).unwrap();
        let statements = Statements::new(&mut conn).unwrap();
        (conn, statements)
    }

    #[test]
    fn bound_inserts_store_what_diesel_stores() {
        use diesel::connection::SimpleConnection;
        let rows: Vec<Transaction> = (0..ROWS_PER_INSERT + 7)
            .map(|i| Transaction {
                id: format!("t{i}"),
                account_id: format!("a{}", i % 3),
                date: NaiveDate::from_ymd_opt(2025, 1, 1 + (i % 28) as u32)
                    .unwrap()
                    .and_hms_opt((i % 24) as u32, 5, 9)
                    .unwrap(),
                amount: i as i64 * 37 - 500,
                category: "FOOD_AND_DRINK".into(),
                merchant_name: format!("O'Brien \"{i}\" \u{e9}\u{1f4b3}"),
                pending: i % 2 == 0,
                pending_transaction_id: (i % 5 == 0).then(|| format!("p{i}")),
                category_detailed: (i % 4 == 0).then(|| "FOOD_AND_DRINK_GROCERIES".into()),
            })
            .collect();
        let (mut conn, mut statements) = database(
            "CREATE TABLE transactions (id TEXT NOT NULL, account_id TEXT NOT NULL, \
             date TIMESTAMP NOT NULL, amount BIGINT NOT NULL, category TEXT NOT NULL, \
             merchant_name TEXT NOT NULL, pending BOOLEAN NOT NULL, \
             pending_transaction_id TEXT, category_detailed TEXT)",
        );
        let dump = |conn: &mut SqliteConnection| -> Vec<Transaction> {
            backend::schema::transactions::table
                .select(Transaction::as_select())
                .load(conn)
                .unwrap()
        };
        diesel::insert_into(backend::schema::transactions::table)
            .values(&rows)
            .execute(&mut conn)
            .unwrap();
        let by_diesel = dump(&mut conn);
        let typed = |conn: &mut SqliteConnection| -> Vec<String> {
            diesel::sql_query(
                "SELECT typeof(date) || typeof(amount) || typeof(pending) || date AS t \
                 FROM transactions ORDER BY rowid",
            )
            .load::<Typed>(conn)
            .unwrap()
            .into_iter()
            .map(|t| t.t)
            .collect()
        };
        let diesel_types = typed(&mut conn);
        conn.batch_execute("DELETE FROM transactions").unwrap();
        let (full, rest) = rows.split_at(ROWS_PER_INSERT);
        // The cached statement twice: the second run binds anew.
        for _ in 0..2 {
            Transaction::insert_full(&mut conn, &mut statements, full.try_into().unwrap()).unwrap();
        }
        Transaction::insert_rest(&mut conn, &mut statements, rest).unwrap();
        let stored = dump(&mut conn);
        let expected: Vec<&Transaction> = by_diesel[..ROWS_PER_INSERT]
            .iter()
            .chain(&by_diesel)
            .collect();
        assert_eq!(stored.iter().collect::<Vec<_>>(), expected);
        assert_eq!(by_diesel, rows);
        let stored_types = typed(&mut conn);
        assert_eq!(stored_types[ROWS_PER_INSERT..], diesel_types[..]);
    }

    #[test]
    fn a_broken_constraint_fails_the_insert_with_sqlites_message_and_the_next_one_binds_anew() {
        let (mut conn, mut statements) = database(
            "CREATE TABLE recurring_stream_transactions (stream_id TEXT NOT NULL, \
             transaction_id TEXT NOT NULL, PRIMARY KEY (stream_id, transaction_id))",
        );
        let link = |s: usize, t: usize| RecurringStreamTransaction {
            stream_id: format!("s{s}"),
            transaction_id: format!("t{t}"),
        };
        let rows: Vec<_> = (0..ROWS_PER_INSERT).map(|i| link(i % 7, i)).collect();
        let full: &[_; ROWS_PER_INSERT] = rows.as_slice().try_into().unwrap();
        RecurringStreamTransaction::insert_full(&mut conn, &mut statements, full).unwrap();
        let error =
            RecurringStreamTransaction::insert_full(&mut conn, &mut statements, full).unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "insert recurring_stream_transactions: UNIQUE constraint failed: \
             recurring_stream_transactions.stream_id, recurring_stream_transactions.transaction_id"
        );
        // The error is Diesel's, so the load judges it by its code as any other.
        let kind = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<diesel::result::Error>());
        assert!(
            matches!(
                kind,
                Some(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _
                ))
            ),
            "{kind:?}"
        );
        let rest = [link(1, ROWS_PER_INSERT), link(2, ROWS_PER_INSERT)];
        let error = RecurringStreamTransaction::insert_rest(&mut conn, &mut statements, &rows[..3])
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("UNIQUE constraint failed"),
            "{error:#}"
        );
        RecurringStreamTransaction::insert_rest(&mut conn, &mut statements, &rest).unwrap();
        let stored: Vec<RecurringStreamTransaction> =
            backend::schema::recurring_stream_transactions::table
                .select(RecurringStreamTransaction::as_select())
                .order(diesel::dsl::sql::<diesel::sql_types::BigInt>("rowid"))
                .load(&mut conn)
                .unwrap();
        assert_eq!(stored.len(), ROWS_PER_INSERT + 2);
        assert_eq!(stored[..ROWS_PER_INSERT], rows[..]);
        assert_eq!(stored[ROWS_PER_INSERT..], rest[..]);
    }

    #[derive(QueryableByName)]
    struct Typed {
        #[diesel(sql_type = Text)]
        t: String,
    }
}
