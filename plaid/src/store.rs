//! The queries the API makes, through the backend's Diesel models; each runs inside the
//! snapshot a [`crate::pool::Pool::read`] opened.

use std::collections::HashMap;

use backend::schema::{
    accounts, recurring_stream_transactions, recurring_streams, seed_runs, transaction_changes,
    transactions,
};
use backend::{Account, AnyConnection, RecurringStream, Transaction, TransactionChange};
use chrono::NaiveDate;
use diesel::dsl::max;
use diesel::prelude::*;

/// The accounts of `user_id`, ordered by id.
pub fn accounts_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<Account>> {
    accounts::table
        .filter(accounts::user_id.eq(user_id))
        .order(accounts::id)
        .select(Account::as_select())
        .load(conn)
}

/// The ids of `accounts`: what the other queries filter by. Each filters on an indexed
/// column by a short list of values, so every backend's planner reads only these accounts'
/// rows, however large the tables.
pub fn ids_of(accounts: &[Account]) -> Vec<String> {
    accounts.iter().map(|a| a.id.clone()).collect()
}

/// Cents of pending spending (positive amounts) per account of `account_ids`.
pub fn pending_out(
    conn: &mut AnyConnection,
    account_ids: &[String],
) -> QueryResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = transactions::table
        .filter(transactions::account_id.eq_any(account_ids))
        .filter(transactions::pending.eq(true))
        .filter(transactions::amount.gt(0))
        .select((transactions::account_id, transactions::amount))
        .load(conn)?;
    let mut sums = HashMap::new();
    for (account, amount) in rows {
        *sums.entry(account).or_insert(0) += amount;
    }
    Ok(sums)
}

/// The as-of date of the latest run: the day the data has reached.
pub fn as_of(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDate>> {
    seed_runs::table.select(max(seed_runs::as_of)).first(conn)
}

/// The greatest sequence number of the log on `account_ids`, if it has any row there. One
/// query per account, each the last entry of the index on `(account_id, seq)`: a `max` over
/// several accounts at once lets PostgreSQL's planner walk the primary key backwards through
/// the whole log instead.
pub fn last_seq(conn: &mut AnyConnection, account_ids: &[String]) -> QueryResult<Option<i64>> {
    let mut last = None;
    for account in account_ids {
        let seq: Option<i64> = transaction_changes::table
            .filter(transaction_changes::account_id.eq(account))
            .order(transaction_changes::seq.desc())
            .select(transaction_changes::seq)
            .first(conn)
            .optional()?;
        last = last.max(seq);
    }
    Ok(last)
}

/// The log's rows on `account_ids` with `after < seq <= upto`, in order.
pub fn log_between(
    conn: &mut AnyConnection,
    account_ids: &[String],
    after: i64,
    upto: i64,
) -> QueryResult<Vec<TransactionChange>> {
    transaction_changes::table
        .filter(transaction_changes::account_id.eq_any(account_ids))
        .filter(transaction_changes::seq.gt(after))
        .filter(transaction_changes::seq.le(upto))
        .order(transaction_changes::seq)
        .select(TransactionChange::as_select())
        .load(conn)
}

/// The transactions of `account_ids` with one of `ids` (those still in the table).
pub fn transactions_by_id(
    conn: &mut AnyConnection,
    account_ids: &[String],
    ids: &[&str],
) -> QueryResult<Vec<Transaction>> {
    let mut found = Vec::with_capacity(ids.len());
    // Bounded chunks keep each statement under SQLite's and PostgreSQL's parameter limits.
    for chunk in ids.chunks(500) {
        found.extend(
            transactions::table
                .filter(transactions::id.eq_any(chunk))
                .filter(transactions::account_id.eq_any(account_ids))
                .select(Transaction::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// A page of the transactions of `accounts` dated from `start` to `end` (both included),
/// newest first (ties by id), and how many there are in all.
pub fn transactions_dated(
    conn: &mut AnyConnection,
    account_ids: &[String],
    (start, end): (NaiveDate, NaiveDate),
    (offset, count): (i64, i64),
) -> QueryResult<(Vec<Transaction>, i64)> {
    let from = start.and_hms_opt(0, 0, 0).expect("midnight exists");
    let until = end
        .succ_opt()
        .unwrap_or(end)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let filtered = || {
        transactions::table
            .filter(transactions::account_id.eq_any(account_ids))
            .filter(transactions::date.ge(from))
            .filter(transactions::date.lt(until))
    };
    let total = filtered().count().get_result(conn)?;
    let page = filtered()
        .order((transactions::date.desc(), transactions::id))
        .offset(offset)
        .limit(count)
        .select(Transaction::as_select())
        .load(conn)?;
    Ok((page, total))
}

/// The recurring streams of `accounts`, each with its transactions (in date order).
pub fn streams_of(
    conn: &mut AnyConnection,
    account_ids: &[String],
) -> QueryResult<Vec<(RecurringStream, Vec<Transaction>)>> {
    let streams: Vec<RecurringStream> = recurring_streams::table
        .filter(recurring_streams::account_id.eq_any(account_ids))
        .order(recurring_streams::id)
        .select(RecurringStream::as_select())
        .load(conn)?;
    let links: Vec<(String, Transaction)> = recurring_stream_transactions::table
        .inner_join(
            transactions::table
                .on(transactions::id.eq(recurring_stream_transactions::transaction_id)),
        )
        .filter(transactions::account_id.eq_any(account_ids))
        .order((transactions::date, transactions::id))
        .select((
            recurring_stream_transactions::stream_id,
            Transaction::as_select(),
        ))
        .load(conn)?;
    let mut by_stream: HashMap<String, Vec<Transaction>> = HashMap::new();
    for (stream, transaction) in links {
        by_stream.entry(stream).or_default().push(transaction);
    }
    Ok(streams
        .into_iter()
        .map(|s| {
            let linked = by_stream.remove(&s.id).unwrap_or_default();
            (s, linked)
        })
        .collect())
}

/// The greatest sequence number of the whole log.
pub fn last_seq_anywhere(conn: &mut AnyConnection) -> QueryResult<Option<i64>> {
    transaction_changes::table
        .select(max(transaction_changes::seq))
        .first(conn)
}

/// The users whose accounts the log changed after `after`.
pub fn users_changed_after(conn: &mut AnyConnection, after: i64) -> QueryResult<Vec<String>> {
    accounts::table
        .inner_join(transaction_changes::table)
        .filter(transaction_changes::seq.gt(after))
        .select(accounts::user_id)
        .distinct()
        .order(accounts::user_id)
        .load(conn)
}

/// How many transactions the latest run (the load or the advance that reached the data's
/// as-of date) added to `account_ids`.
pub fn added_by_latest_run(conn: &mut AnyConnection, account_ids: &[String]) -> QueryResult<i64> {
    let Some(as_of) = as_of(conn)? else {
        return Ok(0);
    };
    transaction_changes::table
        .filter(transaction_changes::account_id.eq_any(account_ids))
        .filter(transaction_changes::change.eq(backend::Change::Added.as_str()))
        .filter(transaction_changes::as_of.eq(as_of))
        .count()
        .get_result(conn)
}
