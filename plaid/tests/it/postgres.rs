//! The same server over PostgreSQL: ignored by a plain `cargo test`, run by
//! `.ci/postgres.sh` against the local server (`SEED_TEST_POSTGRES_URL`).

use serde_json::json;

use crate::support::{Seeded, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
async fn postgres_sync_pages_every_count_and_follows_the_log() {
    crate::sync::sync_pages_every_count_and_follows_the_log(&Seeded::postgres(4, "story")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
async fn postgres_serves_every_endpoint() {
    let seeded = Seeded::postgres(5, "calibrated");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let item = server.item(0);
    let (token, _) = crate::endpoints::link(&mut client, &item.email, None).await;
    let (accounts, rows) = crate::endpoints::rows_of(&seeded, &item.user_id);
    let got = client
        .ok("/accounts/get", json!({"access_token": token}))
        .await;
    assert_eq!(got["accounts"].as_array().unwrap().len(), accounts.len());
    let pages = client.sync_all(&token, "", 100).await;
    let added: usize = pages
        .iter()
        .map(|p| p["added"].as_array().unwrap().len())
        .sum();
    assert_eq!(added, rows.len());
    let dated = client
        .ok(
            "/transactions/get",
            json!({"access_token": token, "start_date": "2020-01-01", "end_date": "2025-06-01"}),
        )
        .await;
    assert_eq!(
        dated["total_transactions"].as_u64(),
        Some(rows.len() as u64)
    );
    for path in [
        "/transactions/recurring/get",
        "/liabilities/get",
        "/item/get",
        "/accounts/balance/get",
    ] {
        client.ok(path, json!({"access_token": token})).await;
    }
}
