//! Writing an advance into the database, inside its transaction: each chunk of users' changes
//! goes to temporary tables, and set-based statements apply them to the seeded tables, each
//! only where the row is still as the seeder left it. A row an application changed or deleted
//! is skipped and counted, never overwritten.
//!
//! The statements are the same on SQLite and PostgreSQL but for the null-safe comparison
//! (`IS` and `IS NOT DISTINCT FROM`) and SQLite's `OR FAIL`, which spares each statement a
//! journal of its own; on SQLite the foreign keys are checked by [`keys`](super::keys).

use anyhow::Context;
use backend::{
    Account, AnyConnection, RecurringStream, RecurringStreamTransaction, Transaction,
    TransactionChange,
};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::diff::UserAdvance;
use super::keys::Keys;

diesel::table! {
    /// Transactions an advance inserts, deletes or updates: version 0 is a row as the
    /// database should hold it before, version 1 as it will be.
    advance_transactions (id, version) {
        op -> Text,
        version -> Integer,
        id -> Text,
        account_id -> Text,
        date -> Timestamp,
        amount -> BigInt,
        category -> Text,
        merchant_name -> Text,
        pending -> Bool,
        pending_transaction_id -> Nullable<Text>,
        category_detailed -> Nullable<Text>,
    }
}

diesel::table! {
    /// Accounts an advance updates, before (version 0) and after (version 1).
    advance_accounts (id, version) {
        version -> Integer,
        id -> Text,
        user_id -> Text,
        name -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        subtype -> Text,
        mask -> Text,
        balance -> BigInt,
        currency -> Text,
        credit_limit -> Nullable<BigInt>,
        apr -> Nullable<Double>,
        min_payment -> Nullable<BigInt>,
        is_overdue -> Nullable<Bool>,
        last_statement_balance -> Nullable<BigInt>,
        last_statement_issue_date -> Nullable<Date>,
        next_payment_due_date -> Nullable<Date>,
        last_payment_amount -> Nullable<BigInt>,
        last_payment_date -> Nullable<Date>,
    }
}

diesel::table! {
    /// Recurring streams an advance inserts, updates (before: version 0, after: 1) or deletes.
    advance_streams (id, version) {
        op -> Text,
        version -> Integer,
        id -> Text,
        account_id -> Text,
        direction -> Text,
        merchant_name -> Text,
        category -> Text,
        frequency -> Text,
        amount -> BigInt,
        first_date -> Date,
        last_date -> Date,
        next_date -> Date,
    }
}

diesel::table! {
    /// Links of streams to transactions an advance inserts or deletes.
    advance_links (stream_id, transaction_id) {
        op -> Text,
        stream_id -> Text,
        transaction_id -> Text,
    }
}

/// The temporary tables, in SQL both databases run.
const CREATE_TEMP_TABLES: &str = "\
CREATE TEMP TABLE advance_transactions (op TEXT NOT NULL, version INTEGER NOT NULL, \
  id TEXT NOT NULL, account_id TEXT NOT NULL, date TIMESTAMP NOT NULL, amount BIGINT NOT NULL, \
  category TEXT NOT NULL, merchant_name TEXT NOT NULL, pending BOOLEAN NOT NULL, \
  pending_transaction_id TEXT, category_detailed TEXT);
CREATE TEMP TABLE advance_accounts (version INTEGER NOT NULL, id TEXT NOT NULL, \
  user_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, subtype TEXT NOT NULL, \
  mask TEXT NOT NULL, balance BIGINT NOT NULL, currency TEXT NOT NULL, credit_limit BIGINT, \
  apr DOUBLE PRECISION, min_payment BIGINT, is_overdue BOOLEAN, last_statement_balance BIGINT, \
  last_statement_issue_date DATE, next_payment_due_date DATE, last_payment_amount BIGINT, \
  last_payment_date DATE);
CREATE TEMP TABLE advance_streams (op TEXT NOT NULL, version INTEGER NOT NULL, \
  id TEXT NOT NULL, account_id TEXT NOT NULL, direction TEXT NOT NULL, \
  merchant_name TEXT NOT NULL, category TEXT NOT NULL, frequency TEXT NOT NULL, \
  amount BIGINT NOT NULL, first_date DATE NOT NULL, last_date DATE NOT NULL, \
  next_date DATE NOT NULL);
CREATE TEMP TABLE advance_links (op TEXT NOT NULL, stream_id TEXT NOT NULL, \
  transaction_id TEXT NOT NULL);
CREATE INDEX advance_transactions_id ON advance_transactions (id, version);
CREATE INDEX advance_accounts_id ON advance_accounts (id, version);
CREATE INDEX advance_streams_id ON advance_streams (id, version);";

const EMPTY_TEMP_TABLES: &str = "DELETE FROM advance_transactions; DELETE FROM advance_accounts; \
DELETE FROM advance_streams; DELETE FROM advance_links;";

const DROP_TEMP_TABLES: &str = "DROP TABLE advance_transactions; DROP TABLE advance_accounts; \
DROP TABLE advance_streams; DROP TABLE advance_links;";

/// The columns of each seeded table an advance writes, key first.
const TRANSACTION_COLUMNS: [&str; 9] = [
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
const ACCOUNT_COLUMNS: [&str; 17] = [
    "id",
    "user_id",
    "name",
    "type",
    "subtype",
    "mask",
    "balance",
    "currency",
    "credit_limit",
    "apr",
    "min_payment",
    "is_overdue",
    "last_statement_balance",
    "last_statement_issue_date",
    "next_payment_due_date",
    "last_payment_amount",
    "last_payment_date",
];
const STREAM_COLUMNS: [&str; 10] = [
    "id",
    "account_id",
    "direction",
    "merchant_name",
    "category",
    "frequency",
    "amount",
    "first_date",
    "last_date",
    "next_date",
];

/// Rows an advance wrote, and rows it skipped because the application had changed them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Transactions inserted.
    pub inserted: u64,
    /// Transactions deleted (pending ones that posted or dropped).
    pub deleted: u64,
    /// Transactions updated (corrections).
    pub updated: u64,
    /// Accounts updated.
    pub accounts: u64,
    /// Recurring streams inserted, updated or deleted.
    pub streams: u64,
    /// Links of streams to transactions inserted or deleted.
    pub links: u64,
    /// Changes logged in `transaction_changes`.
    pub logged: u64,
    /// Rows left as they were: an application changed or deleted them (or, for an insert,
    /// already holds a row with that key).
    pub skipped: u64,
}

impl Applied {
    /// Adds another chunk's counts.
    pub fn add(&mut self, other: Applied) {
        self.inserted += other.inserted;
        self.deleted += other.deleted;
        self.updated += other.updated;
        self.accounts += other.accounts;
        self.streams += other.streams;
        self.links += other.links;
        self.logged += other.logged;
        self.skipped += other.skipped;
    }
}

/// Runs `$body` with `$conn` bound to the concrete connection, whichever backend it is.
macro_rules! on_backend {
    ($any:expr, |$conn:ident| $body:expr) => {
        match $any {
            AnyConnection::Sqlite($conn) => $body,
            AnyConnection::Postgresql($conn) => $body,
        }
    };
}

/// Rows per INSERT statement: within SQLite's 32,766 bound values for the widest table.
const ROWS_PER_INSERT: usize = 1_000;

/// The writer of one advance: its temporary tables live while it does.
pub(super) struct Writer {
    /// The null-safe equality of the connection's database.
    same: &'static str,
    /// The conflict clause of the INSERTs and UPDATEs: `OR FAIL` on SQLite, where a statement
    /// that cannot abort halfway needs no statement journal (the whole advance still rolls
    /// back on any error), and none on PostgreSQL.
    or_fail: &'static str,
    /// The foreign keys the advance checks itself: on SQLite, whose own checks are off.
    keys: Option<Keys>,
}

impl Writer {
    /// Creates the temporary tables in `conn`'s open transaction.
    pub(super) fn new(conn: &mut AnyConnection) -> anyhow::Result<Writer> {
        conn.batch_execute(CREATE_TEMP_TABLES)
            .context("create the advance's temporary tables")?;
        Ok(match conn {
            AnyConnection::Sqlite(c) => Writer {
                same: "IS",
                or_fail: "OR FAIL ",
                keys: Some(Keys::read(c)?),
            },
            AnyConnection::Postgresql(_) => Writer {
                same: "IS NOT DISTINCT FROM",
                or_fail: "",
                keys: None,
            },
        })
    }

    /// Applies `users`' advances and logs their changes.
    pub(super) fn apply(
        &self,
        conn: &mut AnyConnection,
        users: &[UserAdvance],
        log: &[TransactionChange],
    ) -> anyhow::Result<Applied> {
        stage(conn, users)?;
        if let (Some(keys), AnyConnection::Sqlite(c)) = (&self.keys, &mut *conn) {
            keys.check_accounts(c)?;
        }
        let mut applied = self.transactions(conn, users)?;
        applied.add(self.accounts(conn, users)?);
        applied.add(self.streams(conn, users)?);
        if let (Some(keys), AnyConnection::Sqlite(c)) = (&self.keys, &mut *conn) {
            keys.check_removals(c)?;
        }
        for rows in log.chunks(ROWS_PER_INSERT) {
            let table = backend::schema::transaction_changes::table;
            // SQLite: OR IGNORE for the reason of `or_fail` (diesel writes no OR FAIL); the
            // count below catches a row it would have ignored.
            let logged = match conn {
                AnyConnection::Sqlite(c) => {
                    diesel::insert_or_ignore_into(table).values(rows).execute(c)
                }
                AnyConnection::Postgresql(c) => diesel::insert_into(table).values(rows).execute(c),
            }
            .context("log the changes")?;
            anyhow::ensure!(
                logged == rows.len(),
                "transaction_changes already holds {} of the advance's sequence numbers",
                rows.len() - logged
            );
        }
        applied.logged = log.len() as u64;
        conn.batch_execute(EMPTY_TEMP_TABLES)
            .context("empty the advance's temporary tables")?;
        Ok(applied)
    }

    /// Drops the temporary tables.
    pub(super) fn finish(self, conn: &mut AnyConnection) -> anyhow::Result<()> {
        conn.batch_execute(DROP_TEMP_TABLES)
            .context("drop the advance's temporary tables")
    }

    /// `alias.column = other.column AND …` for `columns`, null-safe.
    fn matches(&self, alias: &str, other: &str, columns: &[&str]) -> String {
        let quote = crate::load::quote;
        columns
            .iter()
            .map(|c| format!("{alias}.{c} {} {other}.{c}", self.same, c = quote(c)))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn transactions(
        &self,
        conn: &mut AnyConnection,
        users: &[UserAdvance],
    ) -> anyhow::Result<Applied> {
        let expected = |f: fn(&UserAdvance) -> usize| users.iter().map(f).sum::<usize>() as u64;
        let (deletes, updates, inserts) = (
            expected(|u| u.deletes.len()),
            expected(|u| u.updates.len()),
            expected(|u| u.inserts.len()),
        );
        let deleted = execute(
            conn,
            &format!(
                "DELETE FROM transactions WHERE id IN (SELECT o.id FROM advance_transactions o \
                 JOIN transactions t ON t.id = o.id WHERE o.op = 'delete' AND {})",
                self.matches("t", "o", &TRANSACTION_COLUMNS)
            ),
        )?;
        let updated = self.update(
            conn,
            "transactions",
            "advance_transactions",
            &TRANSACTION_COLUMNS,
            true,
        )?;
        let inserted = self.insert(
            conn,
            "transactions",
            "advance_transactions",
            &TRANSACTION_COLUMNS,
        )?;
        Ok(Applied {
            inserted,
            deleted,
            updated,
            skipped: (deletes - deleted) + (updates - updated) + (inserts - inserted),
            ..Applied::default()
        })
    }

    fn accounts(&self, conn: &mut AnyConnection, users: &[UserAdvance]) -> anyhow::Result<Applied> {
        let expected = users.iter().map(|u| u.accounts.len()).sum::<usize>() as u64;
        let updated = self.update(
            conn,
            "accounts",
            "advance_accounts",
            &ACCOUNT_COLUMNS,
            false,
        )?;
        Ok(Applied {
            accounts: updated,
            skipped: expected - updated,
            ..Applied::default()
        })
    }

    fn streams(&self, conn: &mut AnyConnection, users: &[UserAdvance]) -> anyhow::Result<Applied> {
        let count = |f: fn(&UserAdvance) -> usize| users.iter().map(f).sum::<usize>() as u64;
        let (new, changed) = (count(|u| u.new_streams.len()), count(|u| u.streams.len()));
        let gone = count(|u| u.gone_streams.len());
        let (new_links, gone_links) = (count(|u| u.new_links.len()), count(|u| u.gone_links.len()));
        let inserted = self.insert(
            conn,
            "recurring_streams",
            "advance_streams",
            &STREAM_COLUMNS,
        )?;
        let updated = self.update(
            conn,
            "recurring_streams",
            "advance_streams",
            &STREAM_COLUMNS,
            true,
        )?;
        // By the key (a row value), so the database looks the few links up rather than
        // reading them all.
        let unlinked = execute(
            conn,
            "DELETE FROM recurring_stream_transactions WHERE (stream_id, transaction_id) IN \
             (SELECT l.stream_id, l.transaction_id FROM advance_links l WHERE l.op = 'delete')",
        )?;
        // A stream whose series ended goes once its links have gone, if it is as the seeder
        // wrote it and nothing links to it any more.
        let deleted = execute(
            conn,
            &format!(
                "DELETE FROM recurring_streams WHERE id IN (SELECT o.id FROM advance_streams o \
                 JOIN recurring_streams t ON t.id = o.id WHERE o.op = 'delete' AND {}) \
                 AND NOT EXISTS (SELECT 1 FROM recurring_stream_transactions r \
                 WHERE r.stream_id = recurring_streams.id)",
                self.matches("t", "o", &STREAM_COLUMNS)
            ),
        )?;
        // A link needs its stream and its transaction: one the application removed, or a
        // transaction whose insert was skipped, leaves the link out.
        let linked = execute(
            conn,
            &format!(
                "INSERT {}INTO recurring_stream_transactions (stream_id, transaction_id) \
                 SELECT l.stream_id, l.transaction_id FROM advance_links l \
                 WHERE l.op = 'insert' \
                 AND EXISTS (SELECT 1 FROM recurring_streams s WHERE s.id = l.stream_id) \
                 AND EXISTS (SELECT 1 FROM transactions t WHERE t.id = l.transaction_id) \
                 AND NOT EXISTS (SELECT 1 FROM recurring_stream_transactions r \
                   WHERE r.stream_id = l.stream_id AND r.transaction_id = l.transaction_id)",
                self.or_fail
            ),
        )?;
        Ok(Applied {
            streams: inserted + updated + deleted,
            links: linked + unlinked,
            skipped: (new - inserted)
                + (changed - updated)
                + (gone - deleted)
                + (new_links - linked)
                + (gone_links - unlinked),
            ..Applied::default()
        })
    }

    /// Updates `table` from `staged`'s version 1 rows where the row still matches their
    /// version 0 (of the rows marked `update`, if `marked`: the staged table has an `op`).
    fn update(
        &self,
        conn: &mut AnyConnection,
        table: &str,
        staged: &str,
        columns: &[&str],
        marked: bool,
    ) -> anyhow::Result<u64> {
        let quote = crate::load::quote;
        let names: Vec<String> = columns[1..].iter().map(|c| quote(c)).collect();
        let new: Vec<String> = columns[1..]
            .iter()
            .map(|c| format!("n.{}", quote(c)))
            .collect();
        let marked = if marked { "o.op = 'update' AND " } else { "" };
        // The rows to change are found through the key, and each takes its new values by a
        // row-value subquery: the database looks the few rows up instead of scanning the
        // table (as an UPDATE … FROM may).
        execute(
            conn,
            &format!(
                "UPDATE {or_fail}{table} SET ({names}) = (SELECT {new} FROM {staged} n \
                 WHERE n.id = {table}.id AND n.version = 1) \
                 WHERE id IN (SELECT o.id FROM {staged} o JOIN {table} t ON t.id = o.id \
                 WHERE {marked}o.version = 0 AND {})",
                self.matches("t", "o", columns),
                names = names.join(", "),
                new = new.join(", "),
                or_fail = self.or_fail,
            ),
        )
    }

    /// Inserts into `table` the staged rows marked `insert` whose key it does not hold yet.
    fn insert(
        &self,
        conn: &mut AnyConnection,
        table: &str,
        staged: &str,
        columns: &[&str],
    ) -> anyhow::Result<u64> {
        let quote = crate::load::quote;
        let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let list = list.join(", ");
        let from: Vec<String> = columns.iter().map(|c| format!("n.{}", quote(c))).collect();
        execute(
            conn,
            &format!(
                "INSERT {}INTO {table} ({list}) SELECT {} FROM {staged} n WHERE n.op = 'insert' \
                 AND n.version = 1 AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = n.id)",
                self.or_fail,
                from.join(", ")
            ),
        )
    }
}

/// Runs `sql`; the rows it changed.
fn execute(conn: &mut AnyConnection, sql: &str) -> anyhow::Result<u64> {
    let rows = diesel::sql_query(sql)
        .execute(conn)
        .map_err(|e| crate::database::explain_query(&e, || format!("apply the advance: {e}")))?;
    Ok(rows as u64)
}

/// Fills the temporary tables with `users`' changes.
fn stage(conn: &mut AnyConnection, users: &[UserAdvance]) -> anyhow::Result<()> {
    let mut transactions = Vec::new();
    let mut accounts = Vec::new();
    let mut streams = Vec::new();
    let mut links = Vec::new();
    for user in users {
        transactions.extend(
            user.inserts
                .iter()
                .map(|t| staged_transaction("insert", 1, t)),
        );
        transactions.extend(
            user.deletes
                .iter()
                .map(|t| staged_transaction("delete", 0, t)),
        );
        for (old, new) in &user.updates {
            transactions.push(staged_transaction("update", 0, old));
            transactions.push(staged_transaction("update", 1, new));
        }
        for (old, new) in &user.accounts {
            accounts.push(staged_account(0, old));
            accounts.push(staged_account(1, new));
        }
        streams.extend(
            user.new_streams
                .iter()
                .map(|s| staged_stream("insert", 1, s)),
        );
        for (old, new) in &user.streams {
            streams.push(staged_stream("update", 0, old));
            streams.push(staged_stream("update", 1, new));
        }
        streams.extend(
            user.gone_streams
                .iter()
                .map(|s| staged_stream("delete", 0, s)),
        );
        links.extend(user.new_links.iter().map(|l| staged_link("insert", l)));
        links.extend(user.gone_links.iter().map(|l| staged_link("delete", l)));
    }
    // Each staged table in batches of bound rows, under the limit on bound values.
    macro_rules! insert_all {
        ($rows:expr, $table:path, $what:literal) => {
            for rows in $rows.chunks(ROWS_PER_INSERT) {
                on_backend!(conn, |c| diesel::insert_into($table)
                    .values(rows)
                    .execute(c))
                .context($what)?;
            }
        };
    }
    insert_all!(
        transactions,
        advance_transactions::table,
        "stage the transactions"
    );
    insert_all!(accounts, advance_accounts::table, "stage the accounts");
    insert_all!(streams, advance_streams::table, "stage the streams");
    insert_all!(links, advance_links::table, "stage the stream links");
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = advance_transactions)]
struct StagedTransaction<'a> {
    op: &'static str,
    version: i32,
    id: &'a str,
    account_id: &'a str,
    date: chrono::NaiveDateTime,
    amount: i64,
    category: &'a str,
    merchant_name: &'a str,
    pending: bool,
    pending_transaction_id: Option<&'a str>,
    category_detailed: Option<&'a str>,
}

fn staged_transaction<'a>(
    op: &'static str,
    version: i32,
    t: &'a Transaction,
) -> StagedTransaction<'a> {
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
    } = t;
    StagedTransaction {
        op,
        version,
        id,
        account_id,
        date: *date,
        amount: *amount,
        category,
        merchant_name,
        pending: *pending,
        pending_transaction_id: pending_transaction_id.as_deref(),
        category_detailed: category_detailed.as_deref(),
    }
}

#[derive(Insertable)]
#[diesel(table_name = advance_accounts)]
struct StagedAccount<'a> {
    version: i32,
    id: &'a str,
    user_id: &'a str,
    name: &'a str,
    type_: &'a str,
    subtype: &'a str,
    mask: &'a str,
    balance: i64,
    currency: &'a str,
    credit_limit: Option<i64>,
    apr: Option<f64>,
    min_payment: Option<i64>,
    is_overdue: Option<bool>,
    last_statement_balance: Option<i64>,
    last_statement_issue_date: Option<chrono::NaiveDate>,
    next_payment_due_date: Option<chrono::NaiveDate>,
    last_payment_amount: Option<i64>,
    last_payment_date: Option<chrono::NaiveDate>,
}

fn staged_account(version: i32, a: &Account) -> StagedAccount<'_> {
    let Account {
        id,
        user_id,
        name,
        account_type,
        subtype,
        mask,
        balance,
        currency,
        credit_limit,
        apr,
        min_payment,
        is_overdue,
        last_statement_balance,
        last_statement_issue_date,
        next_payment_due_date,
        last_payment_amount,
        last_payment_date,
    } = a;
    StagedAccount {
        version,
        id,
        user_id,
        name,
        type_: account_type,
        subtype,
        mask,
        balance: *balance,
        currency,
        credit_limit: *credit_limit,
        apr: *apr,
        min_payment: *min_payment,
        is_overdue: *is_overdue,
        last_statement_balance: *last_statement_balance,
        last_statement_issue_date: *last_statement_issue_date,
        next_payment_due_date: *next_payment_due_date,
        last_payment_amount: *last_payment_amount,
        last_payment_date: *last_payment_date,
    }
}

#[derive(Insertable)]
#[diesel(table_name = advance_streams)]
struct StagedStream<'a> {
    op: &'static str,
    version: i32,
    id: &'a str,
    account_id: &'a str,
    direction: &'a str,
    merchant_name: &'a str,
    category: &'a str,
    frequency: &'a str,
    amount: i64,
    first_date: chrono::NaiveDate,
    last_date: chrono::NaiveDate,
    next_date: chrono::NaiveDate,
}

fn staged_stream<'a>(op: &'static str, version: i32, s: &'a RecurringStream) -> StagedStream<'a> {
    let RecurringStream {
        id,
        account_id,
        direction,
        merchant_name,
        category,
        frequency,
        amount,
        first_date,
        last_date,
        next_date,
    } = s;
    StagedStream {
        op,
        version,
        id,
        account_id,
        direction,
        merchant_name,
        category,
        frequency,
        amount: *amount,
        first_date: *first_date,
        last_date: *last_date,
        next_date: *next_date,
    }
}

#[derive(Insertable)]
#[diesel(table_name = advance_links)]
struct StagedLink<'a> {
    op: &'static str,
    stream_id: &'a str,
    transaction_id: &'a str,
}

fn staged_link<'a>(op: &'static str, l: &'a RecurringStreamTransaction) -> StagedLink<'a> {
    StagedLink {
        op,
        stream_id: &l.stream_id,
        transaction_id: &l.transaction_id,
    }
}
