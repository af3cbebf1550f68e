//! Every endpoint's answer against the database it serves: linking by email, the Item, its
//! accounts and balances, transactions by date, recurring streams, liabilities, webhooks.

use std::collections::{BTreeMap, BTreeSet};

use backend::schema::{accounts, recurring_stream_transactions, recurring_streams, transactions};
use backend::{Account, RecurringStream, Transaction};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::support::{Client, Seeded, Server, assert_error, cents};

/// The accounts and transactions of a user, from the database.
pub(crate) fn rows_of(seeded: &Seeded, user_id: &str) -> (Vec<Account>, Vec<Transaction>) {
    let conn = &mut seeded.connect();
    let accounts: Vec<Account> = accounts::table
        .filter(accounts::user_id.eq(user_id))
        .order(accounts::id)
        .select(Account::as_select())
        .load(conn)
        .unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    let transactions = transactions::table
        .filter(transactions::account_id.eq_any(&ids))
        .order(transactions::id)
        .select(Transaction::as_select())
        .load(conn)
        .unwrap();
    (accounts, transactions)
}

/// Links `email` through `/sandbox/public_token/create` and exchanges the token.
pub(crate) async fn link(
    client: &mut Client,
    email: &str,
    webhook: Option<&str>,
) -> (String, String) {
    let mut options = json!({"override_username": email});
    if let Some(url) = webhook {
        options["webhook"] = json!(url);
    }
    let created = client
        .ok(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_109508", "initial_products": ["transactions", "liabilities"], "options": options}),
        )
        .await;
    let public = created["public_token"].as_str().unwrap();
    assert!(public.starts_with("public-sandbox-"));
    let exchanged = client
        .ok(
            "/item/public_token/exchange",
            json!({"public_token": public}),
        )
        .await;
    // A public token is exchanged once.
    let again = client
        .post(
            "/item/public_token/exchange",
            json!({"public_token": public}),
        )
        .await;
    assert_error(&again, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
    (
        exchanged["access_token"].as_str().unwrap().to_owned(),
        exchanged["item_id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_by_email_gives_that_users_deterministic_item() {
    let seeded = Seeded::sqlite(6, "story");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let item = server.item(3);
    let (token, item_id) = link(&mut client, &item.email, None).await;
    assert_eq!(
        (token.as_str(), item_id.as_str()),
        (item.access_token.as_str(), item.item_id.as_str())
    );
    // The same data on another server gives the same tokens.
    let again = Server::start(&seeded).await;
    assert_eq!(again.item(3), item);

    let unknown = client
        .post(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_1", "initial_products": ["transactions"], "options": {"override_username": "nobody@example.com"}}),
        )
        .await;
    assert_error(&unknown, 400, "ITEM_ERROR", "INVALID_CREDENTIALS");
    let product = client
        .post(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_1", "initial_products": ["auth"]}),
        )
        .await;
    assert_error(&product, 400, "INVALID_INPUT", "INVALID_PRODUCT");
    let remote_hook = client
        .post(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_1", "initial_products": ["transactions"], "options": {"webhook": "http://example.com/hook"}}),
        )
        .await;
    assert_error(&remote_hook, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let link_token = client
        .ok(
            "/link/token/create",
            json!({"client_name": "SpendSense", "language": "en", "country_codes": ["US"], "user": {"client_user_id": "u"}, "products": ["transactions"]}),
        )
        .await;
    assert!(
        link_token["link_token"]
            .as_str()
            .unwrap()
            .starts_with("link-sandbox-")
    );
    assert!(link_token["expiration"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_item_and_its_accounts_are_the_users() {
    let seeded = Seeded::sqlite(6, "calibrated");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let item = server.item(0);
    let (token, _) = link(&mut client, &item.email, Some("http://127.0.0.1:9/hook")).await;
    let got = client.ok("/item/get", json!({"access_token": token})).await;
    assert_eq!(got["item"]["item_id"], item.item_id.as_str());
    assert_eq!(got["item"]["webhook"], "http://127.0.0.1:9/hook");
    assert_eq!(got["item"]["institution_id"], "ins_109508");
    assert_eq!(
        got["item"]["billed_products"],
        json!(["liabilities", "transactions"])
    );
    for key in ["error", "consent_expiration_time"] {
        assert_eq!(got["item"][key], Value::Null, "{key}");
    }

    let (accounts, transactions) = rows_of(&seeded, &item.user_id);
    for path in ["/accounts/get", "/accounts/balance/get"] {
        let answer = client.ok(path, json!({"access_token": token})).await;
        let shown = answer["accounts"].as_array().unwrap();
        assert_eq!(shown.len(), accounts.len());
        for (a, s) in accounts.iter().zip(shown) {
            assert_eq!(s["account_id"], a.id.as_str());
            assert_eq!(s["mask"], a.mask.as_str());
            assert_eq!(s["type"], a.account_type.as_str());
            assert_eq!(s["subtype"], a.subtype.as_str());
            assert_eq!(s["official_name"], Value::Null);
            let b = &s["balances"];
            assert_eq!(cents(&b["current"]), a.balance);
            assert_eq!(b["iso_currency_code"], a.currency.as_str());
            assert_eq!(b["unofficial_currency_code"], Value::Null);
            let pending: i64 = transactions
                .iter()
                .filter(|t| t.account_id == a.id && t.pending && t.amount > 0)
                .map(|t| t.amount)
                .sum();
            let available = a.credit_limit.map_or(a.balance, |l| l - a.balance) - pending;
            assert_eq!(cents(&b["available"]), available, "{}", a.id);
            assert_eq!(
                b["limit"].as_f64().map(|_| cents(&b["limit"])),
                a.credit_limit
            );
        }
    }
    let one = client
        .ok(
            "/accounts/get",
            json!({"access_token": token, "options": {"account_ids": [accounts[0].id]}}),
        )
        .await;
    assert_eq!(one["accounts"].as_array().unwrap().len(), 1);
    let foreign = client
        .post(
            "/accounts/get",
            json!({"access_token": token, "options": {"account_ids": ["nope"]}}),
        )
        .await;
    assert_error(&foreign, 400, "INVALID_REQUEST", "INVALID_FIELD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_by_date_page_newest_first() {
    let seeded = Seeded::sqlite(4, "story");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let item = server.item(1);
    let (_, rows) = rows_of(&seeded, &item.user_id);
    let request = |offset: i64| {
        json!({"access_token": item.access_token, "start_date": "2020-01-01", "end_date": "2025-06-01",
               "options": {"count": 25, "offset": offset, "include_original_description": true}})
    };
    let mut seen = Vec::new();
    loop {
        let page = client
            .ok("/transactions/get", request(seen.len() as i64))
            .await;
        assert_eq!(page["total_transactions"].as_i64(), Some(rows.len() as i64));
        let got = page["transactions"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        seen.extend(got);
    }
    assert_eq!(seen.len(), rows.len());
    let dates: Vec<&str> = seen.iter().map(|t| t["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let by_id: BTreeMap<&str, &Transaction> = rows.iter().map(|t| (t.id.as_str(), t)).collect();
    for t in &seen {
        let row = by_id[t["transaction_id"].as_str().unwrap()];
        assert_eq!(cents(&t["amount"]), row.amount);
        assert_eq!(t["date"], row.date.date().to_string());
        assert_eq!(t["pending"], row.pending);
        assert_eq!(t["original_description"], row.merchant_name.as_str());
        let pfc = &t["personal_finance_category"];
        let detailed = pfc["detailed"].as_str().unwrap();
        assert!(
            detailed.starts_with(pfc["primary"].as_str().unwrap()),
            "{pfc}"
        );
        for key in [
            "authorized_date",
            "authorized_datetime",
            "transaction_code",
            "unofficial_currency_code",
        ] {
            assert_eq!(t[key], Value::Null, "{key}");
        }
        assert!(["in store", "online", "other"].contains(&t["payment_channel"].as_str().unwrap()));
    }
    let backwards = client
        .post(
            "/transactions/get",
            json!({"access_token": item.access_token, "start_date": "2025-06-02", "end_date": "2025-06-01"}),
        )
        .await;
    assert_error(&backwards, 400, "INVALID_REQUEST", "INVALID_FIELD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recurring_streams_and_liabilities_come_from_their_tables() {
    let seeded = Seeded::sqlite(10, "calibrated");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let conn = &mut seeded.connect();
    let mut cards_seen = 0;
    for item in server.state.items.all() {
        let (accounts, rows) = rows_of(&seeded, &item.user_id);
        let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        let streams: Vec<RecurringStream> = recurring_streams::table
            .filter(recurring_streams::account_id.eq_any(&ids))
            .select(RecurringStream::as_select())
            .load(conn)
            .unwrap();
        let answer = client
            .ok(
                "/transactions/recurring/get",
                json!({"access_token": item.access_token}),
            )
            .await;
        let shown: Vec<&Value> = answer["inflow_streams"]
            .as_array()
            .unwrap()
            .iter()
            .chain(answer["outflow_streams"].as_array().unwrap())
            .collect();
        assert_eq!(shown.len(), streams.len());
        for stream in &streams {
            let s = shown
                .iter()
                .find(|s| s["stream_id"] == stream.id.as_str())
                .unwrap();
            let linked: BTreeSet<String> = recurring_stream_transactions::table
                .filter(recurring_stream_transactions::stream_id.eq(&stream.id))
                .select(recurring_stream_transactions::transaction_id)
                .load(conn)
                .unwrap()
                .into_iter()
                .collect();
            let ids: BTreeSet<String> = s["transaction_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(ids, linked);
            let amounts: Vec<i64> = rows
                .iter()
                .filter(|t| linked.contains(&t.id))
                .map(|t| t.amount)
                .collect();
            let mean = amounts.iter().sum::<i64>() as f64 / amounts.len() as f64;
            assert!((cents(&s["average_amount"]["amount"]) as f64 - mean).abs() <= 0.5);
            assert_eq!(s["frequency"], stream.frequency.as_str());
            assert_eq!(s["predicted_next_date"], stream.next_date.to_string());
            assert_eq!(s["last_date"], stream.last_date.to_string());
            let inflow = answer["inflow_streams"].as_array().unwrap().contains(s);
            assert_eq!(inflow, stream.direction == "inflow");
        }
        let liabilities = client
            .ok(
                "/liabilities/get",
                json!({"access_token": item.access_token}),
            )
            .await;
        let l = &liabilities["liabilities"];
        assert_eq!(
            (&l["mortgage"], &l["student"]),
            (&Value::Null, &Value::Null)
        );
        let cards: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.account_type == "credit")
            .collect();
        let credit = l["credit"].as_array().map_or(&[][..], |c| c.as_slice());
        assert_eq!(credit.len(), cards.len());
        for (card, c) in cards.iter().zip(credit) {
            cards_seen += 1;
            assert_eq!(c["account_id"], card.id.as_str());
            assert_eq!(c["aprs"][0]["apr_type"], "purchase_apr");
            assert_eq!(c["aprs"][0]["apr_percentage"].as_f64(), card.apr);
            assert_eq!(c["is_overdue"].as_bool(), card.is_overdue);
            assert_eq!(
                c["minimum_payment_amount"]
                    .as_f64()
                    .map(|_| cents(&c["minimum_payment_amount"])),
                card.min_payment
            );
            assert_eq!(
                c["last_statement_balance"]
                    .as_f64()
                    .map(|_| cents(&c["last_statement_balance"])),
                card.last_statement_balance
            );
            assert_eq!(
                c["next_payment_due_date"].as_str().map(str::to_owned),
                card.next_payment_due_date.map(|d| d.to_string())
            );
            assert_eq!(
                c["last_payment_date"].as_str().map(str::to_owned),
                card.last_payment_date.map(|d| d.to_string())
            );
        }
    }
    assert!(cards_seen > 0, "the calibrated users hold cards");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fire_webhook_delivers_default_update_once_and_survives_a_dead_listener() {
    let seeded = Seeded::sqlite(3, "story");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let item = server.item(0);
    let (_, rows) = rows_of(&seeded, &item.user_id);
    let listener = crate::clock::Listener::start().await;
    let (token, item_id) = link(&mut client, &item.email, Some(&listener.url)).await;
    let fired = client
        .ok(
            "/sandbox/item/fire_webhook",
            json!({"access_token": token, "webhook_code": "DEFAULT_UPDATE"}),
        )
        .await;
    assert_eq!(fired["webhook_fired"], true);
    let body = listener.next().await;
    assert_eq!(body["webhook_type"], "TRANSACTIONS");
    assert_eq!(body["webhook_code"], "DEFAULT_UPDATE");
    assert_eq!(body["item_id"], item_id.as_str());
    assert_eq!(body["new_transactions"].as_i64(), Some(rows.len() as i64));
    let sync = client
        .ok(
            "/sandbox/item/fire_webhook",
            json!({"access_token": token, "webhook_code": "SYNC_UPDATES_AVAILABLE"}),
        )
        .await;
    assert_eq!(sync["webhook_fired"], true);
    let body = listener.next().await;
    assert_eq!(
        (
            &body["initial_update_complete"],
            &body["historical_update_complete"]
        ),
        (&json!(true), &json!(true))
    );

    // A listener that is gone: the request still succeeds, saying it did not fire.
    let dead = crate::clock::dead_url().await;
    let (token, _) = link(&mut client, &item.email, Some(&dead)).await;
    let fired = client
        .ok(
            "/sandbox/item/fire_webhook",
            json!({"access_token": token, "webhook_code": "DEFAULT_UPDATE"}),
        )
        .await;
    assert_eq!(fired["webhook_fired"], false);
    let other = server.item(1);
    let none = client
        .post(
            "/sandbox/item/fire_webhook",
            json!({"access_token": other.access_token, "webhook_code": "DEFAULT_UPDATE"}),
        )
        .await;
    assert_error(&none, 400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID");
}
