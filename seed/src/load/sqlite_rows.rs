//! How each seeded table's rows become SQLite INSERT statements: through Diesel's
//! `Insertable` for the small tables, and for `transactions`, the one large table a load binds
//! (nine values a row, about 73 rows a user), a statement written by hand. The run's tables,
//! a few rows a run, are written apart ([`write_run_table!`](super::write_run_table)).
//!
//! The hand-written statement binds the same values as Diesel's insert would, with the
//! timestamp as the text Diesel would make of it, but without Diesel's generic insert layers
//! and chrono's format parser for every row. A test compares the rows it stores with those of
//! Diesel's own insert, and one the timestamp texts with chrono's.

use anyhow::Context;
use backend::{
    Account, PersonaLabel, RecurringStream, RecurringStreamTransaction, Transaction,
    TransactionChange, User,
};
use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};

/// Rows per INSERT statement. Every statement binds rows × columns values, which must stay
/// under SQLite's limit of 32,766; full batches reuse one prepared statement.
pub(super) const ROWS_PER_INSERT: usize = 1_000;

/// A seeded model that can insert a batch of its rows into SQLite.
pub(super) trait SqliteRows: Sized {
    /// Inserts a full batch of [`ROWS_PER_INSERT`] rows with one cached statement.
    fn insert_full(
        conn: &mut SqliteConnection,
        rows: &[Self; ROWS_PER_INSERT],
    ) -> anyhow::Result<()>;

    /// Inserts fewer rows (the last of a load) with a statement that is not cached.
    fn insert_rest(conn: &mut SqliteConnection, rows: &[Self]) -> anyhow::Result<()>;
}

/// Rows inserted through Diesel's `Insertable`.
macro_rules! diesel_rows {
    ($($model:ident: $table:ident,)*) => {$(
        impl SqliteRows for $model {
            fn insert_full(
                conn: &mut SqliteConnection,
                rows: &[Self; ROWS_PER_INSERT],
            ) -> anyhow::Result<()> {
                diesel::insert_into(backend::schema::$table::table)
                    .values(rows)
                    .execute(conn)
                    .context(concat!("insert ", stringify!($table)))?;
                Ok(())
            }

            fn insert_rest(conn: &mut SqliteConnection, rows: &[Self]) -> anyhow::Result<()> {
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
    RecurringStreamTransaction: recurring_stream_transactions,
    TransactionChange: transaction_changes,
}

impl SqliteRows for Transaction {
    fn insert_full(
        conn: &mut SqliteConnection,
        rows: &[Self; ROWS_PER_INSERT],
    ) -> anyhow::Result<()> {
        TransactionInsert::<true>::new(rows)
            .execute(conn)
            .context("insert transactions")?;
        Ok(())
    }

    fn insert_rest(conn: &mut SqliteConnection, rows: &[Self]) -> anyhow::Result<()> {
        TransactionInsert::<false>::new(rows)
            .execute(conn)
            .context("insert transactions")?;
        Ok(())
    }
}

/// A multi-row INSERT of transactions; `FULL` when it holds [`ROWS_PER_INSERT`] rows, whose
/// SQL is always the same and so is prepared once.
struct TransactionInsert<'a, const FULL: bool> {
    rows: &'a [Transaction],
    /// Each row's `date` as the text SQLite stores.
    dates: Vec<String>,
}

impl<'a, const FULL: bool> TransactionInsert<'a, FULL> {
    fn new(rows: &'a [Transaction]) -> Self {
        let dates = rows.iter().map(|t| sqlite_timestamp(&t.date)).collect();
        TransactionInsert { rows, dates }
    }
}

/// The statement cache's key for full transaction batches.
struct FullTransactionInsert;

impl<const FULL: bool> QueryId for TransactionInsert<'_, FULL> {
    type QueryId = FullTransactionInsert;
    const HAS_STATIC_QUERY_ID: bool = FULL;
}

impl<const FULL: bool> QueryFragment<Sqlite> for TransactionInsert<'_, FULL> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // Only full batches share a text; the last, shorter one is prepared once and dropped.
        if !FULL {
            out.unsafe_to_cache_prepared();
        }
        out.push_sql(
            "INSERT INTO transactions (id, account_id, date, amount, category, merchant_name, \
             pending, pending_transaction_id, category_detailed) VALUES ",
        );
        for (i, (row, date)) in self.rows.iter().zip(&self.dates).enumerate() {
            // Every field named, no `..`: a column added to the model stops this compiling.
            let Transaction {
                id,
                account_id,
                date: _,
                amount,
                category,
                merchant_name,
                pending,
                pending_transaction_id,
                category_detailed,
            } = row;
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<Text, _>(id)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(account_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(date)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, _>(amount)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(category)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(merchant_name)?;
            out.push_sql(", ");
            out.push_bind_param::<Bool, _>(pending)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(pending_transaction_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(category_detailed)?;
            out.push_sql(")");
        }
        Ok(())
    }
}

impl<const FULL: bool> RunQueryDsl<SqliteConnection> for TransactionInsert<'_, FULL> {}

/// `value` as Diesel stores a timestamp in SQLite (chrono's `%F %T%.f`): written directly for
/// whole seconds in the years 0 to 9999, which is every timestamp the seeder makes, and by
/// chrono otherwise.
fn sqlite_timestamp(value: &NaiveDateTime) -> String {
    let year = value.year();
    if value.nanosecond() != 0 || !(0..=9999).contains(&year) {
        return value.format("%F %T%.f").to_string();
    }
    let mut text = String::with_capacity(19);
    let mut two = |n: u32, after: Option<char>| {
        text.push(char::from(b'0' + (n / 10) as u8));
        text.push(char::from(b'0' + (n % 10) as u8));
        if let Some(c) = after {
            text.push(c);
        }
    };
    let year = year as u32;
    two(year / 100, None);
    two(year % 100, Some('-'));
    two(value.month(), Some('-'));
    two(value.day(), Some(' '));
    two(value.hour(), Some(':'));
    two(value.minute(), Some(':'));
    two(value.second(), None);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

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
                sqlite_timestamp(&value),
                value.format("%F %T%.f").to_string()
            );
        }
    }

    #[test]
    fn hand_written_inserts_store_what_diesel_stores() {
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
                merchant_name: format!("O'Brien \"{i}\""),
                pending: i % 2 == 0,
                pending_transaction_id: (i % 5 == 0).then(|| format!("p{i}")),
                category_detailed: (i % 4 == 0).then(|| "FOOD_AND_DRINK_GROCERIES".into()),
            })
            .collect();
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE transactions (id TEXT NOT NULL, account_id TEXT NOT NULL, \
             date TIMESTAMP NOT NULL, amount BIGINT NOT NULL, category TEXT NOT NULL, \
             merchant_name TEXT NOT NULL, pending BOOLEAN NOT NULL, \
             pending_transaction_id TEXT, category_detailed TEXT)",
        )
        .unwrap();
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
        Transaction::insert_full(&mut conn, full.try_into().unwrap()).unwrap();
        Transaction::insert_rest(&mut conn, rest).unwrap();
        assert_eq!(dump(&mut conn), by_diesel);
        assert_eq!(by_diesel, rows);
        assert_eq!(typed(&mut conn), diesel_types);
    }

    #[derive(QueryableByName)]
    struct Typed {
        #[diesel(sql_type = Text)]
        t: String,
    }
}
