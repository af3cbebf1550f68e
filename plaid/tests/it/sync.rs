//! `/transactions/sync` over the change log: paging at every count, the cursor, the net
//! effect of changes, the pending → posted replacement, and a pagination whose log grows.
//!
//! The changes after the load are written here directly into `transactions` and
//! `transaction_changes`, the way the seeder's advance records them (a pending removed and
//! its posted twin added naming it, a correction `modified`), to test what sync makes of the
//! log; the clock itself is tested in `clock.rs`.

use std::collections::{BTreeMap, BTreeSet};

use backend::schema::{transaction_changes, transactions};
use backend::{Change, Transaction, TransactionChange};
use diesel::dsl::max;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::clock::apply;
use crate::endpoints::rows_of;
use crate::support::{Seeded, Server, assert_error};

fn ids(pages: &[Value], key: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p[key].as_array().unwrap().clone())
        .map(|t| t["transaction_id"].as_str().unwrap().to_owned())
        .collect()
}

/// What the log changed, as the test wrote it.
pub(crate) struct Changed {
    pub(crate) pending: String,
    pub(crate) posted: String,
    pub(crate) corrected: String,
}

/// Posts a pending transaction of `user_id` as a new twin (with a tip) and corrects another
/// one's merchant, logging `removed`, `added` and `modified` after the log's last row.
pub(crate) fn post_a_pending(seeded: &Seeded, user_id: &str) -> Changed {
    let (_, rows) = rows_of(seeded, user_id);
    let pending = rows
        .iter()
        .find(|t| t.pending)
        .expect("a pending transaction")
        .clone();
    let other = rows
        .iter()
        .find(|t| !t.pending)
        .expect("a posted transaction")
        .clone();
    let conn = &mut seeded.connect();
    conn.transaction(|conn| -> QueryResult<Changed> {
        let last: i64 = transaction_changes::table
            .select(max(transaction_changes::seq))
            .first::<Option<i64>>(conn)?
            .unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
        let posted = Transaction {
            id: format!("{}-posted", &pending.id[..8]),
            pending: false,
            pending_transaction_id: Some(pending.id.clone()),
            amount: pending.amount + 300,
            ..pending.clone()
        };
        diesel::delete(transactions::table.filter(transactions::id.eq(&pending.id)))
            .execute(conn)?;
        diesel::insert_into(transactions::table)
            .values(&posted)
            .execute(conn)?;
        diesel::update(transactions::table.filter(transactions::id.eq(&other.id)))
            .set(transactions::merchant_name.eq("Corrected Merchant"))
            .execute(conn)?;
        let log = [
            (&pending, Change::Removed),
            (&posted, Change::Added),
            (&other, Change::Modified),
        ];
        for (offset, (t, change)) in log.into_iter().enumerate() {
            diesel::insert_into(transaction_changes::table)
                .values(TransactionChange {
                    seq: last + 1 + offset as i64,
                    transaction_id: t.id.clone(),
                    account_id: t.account_id.clone(),
                    change: change.as_str().to_owned(),
                    as_of,
                })
                .execute(conn)?;
        }
        Ok(Changed {
            pending: pending.id,
            posted: posted.id,
            corrected: other.id,
        })
    })
    .expect("change the data")
}

/// The index of an Item whose user has a pending transaction.
pub(crate) fn item_with_pending(seeded: &Seeded, server: &Server) -> usize {
    (0..server.state.items.all().len())
        .find(|&i| {
            rows_of(seeded, &server.item(i).user_id)
                .1
                .iter()
                .any(|t| t.pending)
        })
        .expect("a user with a pending transaction")
}

pub(crate) async fn sync_pages_every_count_and_follows_the_log(seeded: &Seeded) {
    let server = Server::start(seeded).await;
    let mut client = server.client().await;
    let index = item_with_pending(seeded, &server);
    let item = server.item(index);
    let (_, rows) = rows_of(seeded, &item.user_id);
    let expected: BTreeSet<String> = rows.iter().map(|t| t.id.clone()).collect();

    // Every count pages the same transactions, each once, in pages of at most `count`.
    for count in [1, 7, 100, 500] {
        let pages = client.sync_all(&item.access_token, "", count).await;
        let added = ids(&pages, "added");
        assert_eq!(added.len(), expected.len(), "count {count}");
        assert_eq!(added.iter().cloned().collect::<BTreeSet<_>>(), expected);
        assert!(ids(&pages, "modified").is_empty() && ids(&pages, "removed").is_empty());
        for page in &pages {
            assert!(page["added"].as_array().unwrap().len() <= count as usize);
            assert_eq!(
                page["transactions_update_status"],
                "HISTORICAL_UPDATE_COMPLETE"
            );
            assert!(!page["accounts"].as_array().unwrap().is_empty());
        }
        assert_eq!(
            pages.len(),
            expected.len().div_ceil(count as usize).max(1),
            "count {count}"
        );
    }
    let settled = client.sync_all(&item.access_token, "", 500).await;
    let cursor = settled.last().unwrap()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let nothing = client.sync_all(&item.access_token, &cursor, 100).await;
    assert_eq!(nothing.len(), 1);
    assert_eq!(nothing[0]["next_cursor"], cursor.as_str());
    assert!(ids(&nothing, "added").is_empty());

    // A pagination under way when the log grows answers the mutation error; restarted from
    // the cursor held before it, it completes with the new state.
    let first = client
        .ok(
            "/transactions/sync",
            json!({"access_token": item.access_token, "count": 5}),
        )
        .await;
    assert_eq!(first["has_more"], true);
    let changed = post_a_pending(seeded, &item.user_id);
    let second = client
        .post(
            "/transactions/sync",
            json!({"access_token": item.access_token, "count": 5, "cursor": first["next_cursor"]}),
        )
        .await;
    assert_error(
        &second,
        400,
        "TRANSACTIONS_ERROR",
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    );
    let restarted = client.sync_all(&item.access_token, "", 5).await;
    let added = ids(&restarted, "added");
    assert!(added.contains(&changed.posted) && !added.contains(&changed.pending));
    assert!(
        ids(&restarted, "modified").is_empty(),
        "a new client gets the current state as added"
    );
    assert!(
        ids(&restarted, "removed").is_empty(),
        "nor removals of what it never had"
    );

    // From the settled cursor: the pending removed, its twin added naming it, the correction
    // modified, in one page; applied, the client equals the database.
    let pages = client.sync_all(&item.access_token, &cursor, 100).await;
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!(
        page["removed"],
        json!([{"transaction_id": changed.pending, "account_id": rows.iter().find(|t| t.id == changed.pending).unwrap().account_id}])
    );
    assert_eq!(ids(&pages, "added"), std::slice::from_ref(&changed.posted));
    assert_eq!(
        page["added"][0]["pending_transaction_id"],
        changed.pending.as_str()
    );
    assert_eq!(page["added"][0]["pending"], false);
    assert_eq!(
        ids(&pages, "modified"),
        std::slice::from_ref(&changed.corrected)
    );
    assert_eq!(page["modified"][0]["merchant_name"], "Corrected Merchant");
    let mut state = BTreeMap::new();
    apply(&mut state, &settled);
    apply(&mut state, &pages);
    let (_, now) = rows_of(seeded, &item.user_id);
    let expected: BTreeMap<String, (i64, bool)> = now
        .iter()
        .map(|t| (t.id.clone(), (t.amount, t.pending)))
        .collect();
    assert_eq!(state, expected);

    // Other Items' paginations are not disturbed by a change to this one.
    let other = server.item((index + 1) % server.state.items.all().len());
    let pages = client.sync_all(&other.access_token, "", 500).await;
    assert_eq!(
        ids(&pages, "added").len(),
        rows_of(seeded, &other.user_id).1.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sync_pages_every_count_and_follows_the_log() {
    sync_pages_every_count_and_follows_the_log(&Seeded::sqlite(4, "story")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_and_counts_are_checked() {
    let seeded = Seeded::sqlite(3, "story");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let (a, b) = (server.item(0), server.item(1));
    for count in [0, 501, -1] {
        let answer = client
            .post(
                "/transactions/sync",
                json!({"access_token": a.access_token, "count": count}),
            )
            .await;
        assert_error(&answer, 400, "INVALID_REQUEST", "INVALID_FIELD");
    }
    let page = client
        .ok(
            "/transactions/sync",
            json!({"access_token": a.access_token, "count": 1}),
        )
        .await;
    let foreign = client
        .post(
            "/transactions/sync",
            json!({"access_token": b.access_token, "cursor": page["next_cursor"]}),
        )
        .await;
    assert_error(&foreign, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let garbage = client
        .post(
            "/transactions/sync",
            json!({"access_token": a.access_token, "cursor": "not-a-cursor"}),
        )
        .await;
    assert_error(&garbage, 400, "INVALID_REQUEST", "INVALID_FIELD");

    // One account's sync holds that account's transactions only, with its own cursors.
    let (accounts, rows) = rows_of(&seeded, &a.user_id);
    let account = &accounts[0].id;
    let answer = client
        .ok(
            "/transactions/sync",
            json!({"access_token": a.access_token, "count": 500, "options": {"account_id": account}}),
        )
        .await;
    let got = answer["added"].as_array().unwrap();
    assert_eq!(
        got.len(),
        rows.iter().filter(|t| &t.account_id == account).count()
    );
    assert!(got.iter().all(|t| t["account_id"] == account.as_str()));
    let whole = client
        .post(
            "/transactions/sync",
            json!({"access_token": a.access_token, "cursor": answer["next_cursor"]}),
        )
        .await;
    assert_error(&whole, 400, "INVALID_REQUEST", "INVALID_FIELD");
}
