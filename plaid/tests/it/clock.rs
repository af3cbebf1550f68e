//! The clock: `/seed/advance`'s checks, and an advance that sends `SYNC_UPDATES_AVAILABLE`
//! and whose changes a sync applies.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::endpoints::{link, rows_of};
use crate::support::{Seeded, Server, assert_error, cents};

/// A webhook listener on 127.0.0.1 port 0.
pub(crate) struct Listener {
    pub(crate) url: String,
    received: Mutex<mpsc::UnboundedReceiver<Value>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    pub(crate) async fn start() -> Listener {
        let (sender, received) = mpsc::unbounded_channel();
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(sender): State<mpsc::UnboundedSender<Value>>, body: Bytes| async move {
                        let _ = sender.send(serde_json::from_slice(&body).expect("a JSON webhook"));
                        "ok"
                    },
                ),
            )
            .with_state(sender);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(plaid::server::serve(listener, app, 16));
        Listener {
            url,
            received: Mutex::new(received),
            task,
        }
    }

    /// The next webhook received (waiting for it at most a minute: a hang fails the test).
    pub(crate) async fn next(&self) -> Value {
        let mut received = self.received.lock().await;
        tokio::time::timeout(Duration::from_secs(60), received.recv())
            .await
            .expect("a webhook within a minute")
            .expect("the listener is running")
    }
}

/// A loopback URL where nothing listens.
pub(crate) async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/hook")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advance_checks_its_request_and_a_refused_one_changes_nothing() {
    let seeded = Seeded::sqlite(2, "story");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let (_, before) = rows_of(&seeded, &server.item(0).user_id);
    for bad in [
        json!({"days": 0}),
        json!({"days": -3}),
        json!({"to": "2025-05-01"}),
        json!({"days": 1, "to": "2025-07-01"}),
    ] {
        let answer = client.post("/seed/advance", bad.clone()).await;
        assert_error(&answer, 400, "INVALID_REQUEST", "INVALID_FIELD");
    }
    assert_error(
        &client.post("/seed/advance", json!({})).await,
        400,
        "INVALID_REQUEST",
        "MISSING_FIELDS",
    );
    assert_error(
        &client.post("/seed/advance", json!({"days": "7"})).await,
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    );
    let (_, after) = rows_of(&seeded, &server.item(0).user_id);
    assert!(!after.is_empty());
    assert_eq!(before, after);
}

/// The clock's advance has no request deadline: it runs as long as the seeder's advance
/// takes and answers when it has committed (with a deadline of a millisecond, every other
/// request of this size would be cut off; the advance must not be).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advance_is_not_cut_off_by_the_request_deadline() {
    let seeded = Seeded::sqlite(20, "story");
    let server = Server::start_configured(
        &seeded,
        |router| router,
        |config| {
            config.request_timeout = Duration::from_millis(1);
        },
    )
    .await;
    let mut client = server.client().await;
    let (status, body) = client.post("/seed/advance", json!({"days": 3})).await;
    assert_eq!(status, 200, "{body:?}");
    let date = |key: &str| {
        chrono::NaiveDate::parse_from_str(body[key].as_str().expect("a date"), "%Y-%m-%d")
            .expect("a date")
    };
    assert_eq!(
        date("as_of") - date("as_of_before"),
        chrono::Duration::days(3)
    );
}

/// The Python check's flow in Rust: link with a webhook, sync, advance 7 days, receive
/// `SYNC_UPDATES_AVAILABLE`, sync from the cursor, apply, and equal the database again; an
/// Item without a webhook or without changes gets nothing, and a dead listener fails nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_advance_webhooks_and_sync_follow_the_clock() {
    let seeded = Seeded::sqlite(8, "calibrated");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let listener = Listener::start().await;
    let item = server.item(0);
    let (token, item_id) = link(&mut client, &item.email, Some(&listener.url)).await;
    let dead = dead_url().await;
    link(&mut client, &server.item(1).email, Some(&dead)).await;

    let mut state = BTreeMap::new();
    let pages = client.sync_all(&token, "", 100).await;
    apply(&mut state, &pages);
    let cursor = pages.last().unwrap()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let advanced = client.ok("/seed/advance", json!({"days": 7})).await;
    assert!(advanced["as_of"].as_str() > advanced["as_of_before"].as_str());
    assert!(
        advanced["webhooks_failed"].as_u64() >= Some(1),
        "{advanced}"
    );
    let body = listener.next().await;
    assert_eq!(body["webhook_code"], "SYNC_UPDATES_AVAILABLE");
    assert_eq!(body["item_id"], item_id.as_str());
    assert_eq!(body["initial_update_complete"], true);
    assert_eq!(body["historical_update_complete"], true);

    let pages = client.sync_all(&token, &cursor, 100).await;
    apply(&mut state, &pages);
    let (_, rows) = rows_of(&seeded, &item.user_id);
    let expected: BTreeMap<String, (i64, bool)> = rows
        .iter()
        .map(|t| (t.id.clone(), (t.amount, t.pending)))
        .collect();
    assert_eq!(state, expected);
}

/// Applies sync pages as a client does: a posted twin replaces its pending original.
pub(crate) fn apply(state: &mut BTreeMap<String, (i64, bool)>, pages: &[Value]) {
    for page in pages {
        for t in page["added"]
            .as_array()
            .unwrap()
            .iter()
            .chain(page["modified"].as_array().unwrap())
        {
            if let Some(pending) = t["pending_transaction_id"].as_str() {
                state.remove(pending);
            }
            let id = t["transaction_id"].as_str().unwrap().to_owned();
            state.insert(id, (cents(&t["amount"]), t["pending"].as_bool().unwrap()));
        }
        for r in page["removed"].as_array().unwrap() {
            state.remove(r["transaction_id"].as_str().unwrap());
        }
    }
}
