//! Transactions: `/transactions/sync` from the change log (see [`crate::sync`]),
//! `/transactions/get` by date, and `/transactions/recurring/get` from the recurring streams.

use std::collections::HashMap;

use backend::{Change, Transaction};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, ItemOut, select_accounts};
use crate::error::ApiError;
use crate::store;
use crate::sync::{Cursor, Page, mutated, scope_of};
use crate::wire::{
    AccountBase, RemovedTransaction, StreamState, TransactionOut, TransactionStream, datetime,
};

/// `/transactions/sync`'s request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SyncRequest {
    access_token: String,
    cursor: Option<String>,
    count: Option<i64>,
    options: Option<SyncOptions>,
}

/// Its `options`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Accepted as Plaid's clients send them; the data has one version.
pub(super) struct SyncOptions {
    include_original_description: Option<bool>,
    include_personal_finance_category: Option<bool>,
    include_logo_and_counterparty_beta: Option<bool>,
    personal_finance_category_version: Option<String>,
    days_requested: Option<i64>,
    account_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Synced {
    transactions_update_status: &'static str,
    accounts: Vec<AccountBase>,
    added: Vec<TransactionOut>,
    modified: Vec<TransactionOut>,
    removed: Vec<RemovedTransaction>,
    next_cursor: String,
    has_more: bool,
    request_id: String,
}

/// Checks `count` against Plaid's bounds (1 to 500, default `default`).
fn count_of(count: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match count {
        None => Ok(default),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid_field(
            "count",
            format!("{n} is out of range: 1 to 500"),
        )),
    }
}

pub(super) async fn sync(ctx: Ctx, req: SyncRequest) -> Result<Synced, ApiError> {
    let item = ctx.item(&req.access_token)?;
    let count = count_of(req.count, 100)? as usize;
    let options = req.options.unwrap_or_default();
    if let Some(days) = options.days_requested
        && !(1..=730).contains(&days)
    {
        return Err(ApiError::invalid_field(
            "options.days_requested",
            format!("{days} is out of range: 1 to 730"),
        ));
    }
    let describe = options.include_original_description.unwrap_or(false);
    let account = options.account_id;
    let cursor = Cursor::decode(
        req.cursor.as_deref().unwrap_or(""),
        scope_of(&item.item_id, account.as_deref()),
    )?;
    let user = item.user_id.clone();
    let mut synced = ctx
        .state
        .pool
        .read(move |conn| {
            let accounts = store::accounts_of(conn, &user)?;
            let wanted = account.as_ref().map(std::slice::from_ref);
            let accounts = select_accounts(accounts, wanted, "options.account_id")?;
            sync_page(conn, &accounts, cursor, count, describe)
        })
        .await?;
    synced.request_id = ctx.request_id;
    Ok(synced)
}

/// One page of `/transactions/sync` over the log of `accounts` from `cursor`, read in the
/// snapshot the pool opened (see [`crate::sync`]); its `request_id` is left empty.
fn sync_page(
    conn: &mut backend::AnyConnection,
    accounts: &[backend::Account],
    cursor: Cursor,
    count: usize,
    describe: bool,
) -> Result<Synced, ApiError> {
    let scope = store::ids_of(accounts);
    let last = store::last_seq(conn, &scope)?.unwrap_or(-1);
    let mark = match cursor.mark {
        Some(mark) if last > mark => return Err(mutated()),
        Some(mark) => mark,
        None => last.max(cursor.position),
    };
    let window = store::log_between(conn, &scope, cursor.start, mark)?;
    let page = Page::cut(&window, cursor.position, count);
    let rows = store::transactions_by_id(conn, &scope, &page.transaction_ids())?;
    let rows: HashMap<&str, &Transaction> = rows.iter().map(|t| (t.id.as_str(), t)).collect();
    let currency: HashMap<&str, &str> = accounts
        .iter()
        .map(|a| (a.id.as_str(), a.currency.as_str()))
        .collect();
    let render = |id: &str| {
        let t = rows[id];
        let c = currency.get(t.account_id.as_str()).unwrap_or(&"USD");
        TransactionOut::new(t, c, describe)
    };
    let (mut added, mut modified, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    for entry in page.entries(|id| rows.contains_key(id)) {
        match entry.change {
            Change::Added => added.push(render(&entry.transaction_id)),
            Change::Modified => modified.push(render(&entry.transaction_id)),
            Change::Removed => removed.push(RemovedTransaction {
                transaction_id: entry.transaction_id,
                account_id: entry.account_id,
            }),
        }
    }
    let has_more = page.has_more();
    let next = cursor.next(page.end(cursor.position), mark, has_more);
    let pending = store::pending_out(conn, &scope)?;
    Ok(Synced {
        transactions_update_status: "HISTORICAL_UPDATE_COMPLETE",
        accounts: accounts
            .iter()
            .map(|a| AccountBase::new(a, pending.get(&a.id).copied().unwrap_or(0)))
            .collect(),
        added,
        modified,
        removed,
        next_cursor: next.encode(),
        has_more,
        request_id: String::new(),
    })
}

/// `/transactions/get`'s request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GetRequest {
    access_token: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    options: Option<GetOptions>,
}

/// Its `options`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct GetOptions {
    account_ids: Option<Vec<String>>,
    count: Option<i64>,
    offset: Option<i64>,
    include_original_description: Option<bool>,
    include_personal_finance_category_beta: Option<bool>,
    include_personal_finance_category: Option<bool>,
    include_logo_and_counterparty_beta: Option<bool>,
    personal_finance_category_version: Option<String>,
    days_requested: Option<i64>,
}

#[derive(Debug, Serialize)]
pub(super) struct Got {
    accounts: Vec<AccountBase>,
    transactions: Vec<TransactionOut>,
    total_transactions: i64,
    item: ItemOut,
    request_id: String,
}

pub(super) async fn get(ctx: Ctx, req: GetRequest) -> Result<Got, ApiError> {
    let item = ctx.item(&req.access_token)?;
    if req.start_date > req.end_date {
        return Err(ApiError::invalid_field(
            "start_date",
            "must not be after end_date",
        ));
    }
    let options = req.options.unwrap_or_default();
    let count = count_of(options.count, 100).map_err(|e| ApiError {
        message: format!("options.{}", e.message),
        ..e
    })?;
    let offset = options.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid_field(
            "options.offset",
            "must not be negative",
        ));
    }
    let describe = options.include_original_description.unwrap_or(false);
    let wanted = options.account_ids;
    let user = item.user_id.clone();
    let (accounts, transactions, total) = ctx
        .state
        .pool
        .read(move |conn| {
            let accounts = store::accounts_of(conn, &user)?;
            let accounts = select_accounts(accounts, wanted.as_deref(), "options.account_ids")?;
            let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
            let (page, total) = store::transactions_dated(
                conn,
                &ids,
                (req.start_date, req.end_date),
                (offset, count),
            )?;
            let currency: HashMap<&str, &str> = accounts
                .iter()
                .map(|a| (a.id.as_str(), a.currency.as_str()))
                .collect();
            let transactions = page
                .iter()
                .map(|t| {
                    let c = currency.get(t.account_id.as_str()).unwrap_or(&"USD");
                    TransactionOut::new(t, c, describe)
                })
                .collect();
            let pending = store::pending_out(conn, &store::ids_of(&accounts))?;
            let accounts = accounts
                .iter()
                .map(|a| AccountBase::new(a, pending.get(&a.id).copied().unwrap_or(0)))
                .collect();
            Ok((accounts, transactions, total))
        })
        .await?;
    Ok(Got {
        accounts,
        transactions,
        total_transactions: total,
        item: ItemOut::new(&item, ctx.link(&item).as_ref()),
        request_id: ctx.request_id,
    })
}

/// `/transactions/recurring/get`'s request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecurringRequest {
    access_token: String,
    account_ids: Option<Vec<String>>,
    #[allow(dead_code)]
    options: Option<Value>,
}

#[derive(Debug, Serialize)]
pub(super) struct RecurringGot {
    inflow_streams: Vec<TransactionStream>,
    outflow_streams: Vec<TransactionStream>,
    updated_datetime: String,
    personal_finance_category_version: &'static str,
    request_id: String,
}

pub(super) async fn recurring_get(
    ctx: Ctx,
    req: RecurringRequest,
) -> Result<RecurringGot, ApiError> {
    let item = ctx.item(&req.access_token)?;
    let user = item.user_id.clone();
    let (inflow, outflow, as_of) = ctx
        .state
        .pool
        .read(move |conn| {
            let accounts = store::accounts_of(conn, &user)?;
            let accounts = select_accounts(accounts, req.account_ids.as_deref(), "account_ids")?;
            let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
            let as_of =
                store::as_of(conn)?.ok_or_else(|| ApiError::internal("seed_runs is empty"))?;
            let currency: HashMap<&str, &str> = accounts
                .iter()
                .map(|a| (a.id.as_str(), a.currency.as_str()))
                .collect();
            let (mut inflow, mut outflow) = (Vec::new(), Vec::new());
            for (stream, linked) in store::streams_of(conn, &ids)? {
                let amounts: Vec<i64> = linked.iter().map(|t| t.amount).collect();
                let state = StreamState::new(&stream, &amounts, as_of);
                let c = currency.get(stream.account_id.as_str()).unwrap_or(&"USD");
                let inflows = stream.direction == "inflow";
                let ids = linked.into_iter().map(|t| t.id).collect();
                let shown = TransactionStream::new(&stream, ids, state, c);
                if inflows {
                    inflow.push(shown);
                } else {
                    outflow.push(shown);
                }
            }
            Ok((inflow, outflow, as_of))
        })
        .await?;
    Ok(RecurringGot {
        inflow_streams: inflow,
        outflow_streams: outflow,
        updated_datetime: datetime(as_of.and_hms_opt(0, 0, 0).expect("midnight exists")),
        personal_finance_category_version: "v1",
        request_id: ctx.request_id,
    })
}
