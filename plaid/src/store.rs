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

/// Cents of pending spending (positive amounts) per account of `user_id`.
pub fn pending_out(conn: &mut AnyConnection, user_id: &str) -> QueryResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = transactions::table
        .inner_join(accounts::table)
        .filter(accounts::user_id.eq(user_id))
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

/// Which of the change log's rows a query covers: one user's accounts, or one of them.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The Item's user.
    pub user_id: &'a str,
    /// One account of it, or all of them.
    pub account_id: Option<&'a str>,
}

/// The greatest sequence number of the log within `scope`, if it has any row.
pub fn last_seq(conn: &mut AnyConnection, scope: Scope<'_>) -> QueryResult<Option<i64>> {
    let mut query = transaction_changes::table
        .inner_join(accounts::table)
        .filter(accounts::user_id.eq(scope.user_id))
        .select(max(transaction_changes::seq))
        .into_boxed();
    if let Some(account) = scope.account_id {
        query = query.filter(transaction_changes::account_id.eq(account));
    }
    query.first(conn)
}

/// The log's rows within `scope` with `after < seq <= upto`, in order.
pub fn log_between(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    after: i64,
    upto: i64,
) -> QueryResult<Vec<TransactionChange>> {
    let mut query = transaction_changes::table
        .inner_join(accounts::table)
        .filter(accounts::user_id.eq(scope.user_id))
        .filter(transaction_changes::seq.gt(after))
        .filter(transaction_changes::seq.le(upto))
        .order(transaction_changes::seq)
        .select(TransactionChange::as_select())
        .into_boxed();
    if let Some(account) = scope.account_id {
        query = query.filter(transaction_changes::account_id.eq(account));
    }
    query.load(conn)
}

/// The transactions of `user_id` with one of `ids` (those still in the table).
pub fn transactions_by_id(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: &[&str],
) -> QueryResult<Vec<Transaction>> {
    let mut found = Vec::with_capacity(ids.len());
    // Bounded chunks keep each statement under SQLite's and PostgreSQL's parameter limits.
    for chunk in ids.chunks(500) {
        found.extend(
            transactions::table
                .inner_join(accounts::table)
                .filter(accounts::user_id.eq(user_id))
                .filter(transactions::id.eq_any(chunk))
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
/// as-of date) added to the accounts of `user_id`.
pub fn added_by_latest_run(conn: &mut AnyConnection, user_id: &str) -> QueryResult<i64> {
    let Some(as_of) = as_of(conn)? else {
        return Ok(0);
    };
    transaction_changes::table
        .inner_join(accounts::table)
        .filter(accounts::user_id.eq(user_id))
        .filter(transaction_changes::change.eq(backend::Change::Added.as_str()))
        .filter(transaction_changes::as_of.eq(as_of))
        .count()
        .get_result(conn)
}
