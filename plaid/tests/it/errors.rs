//! Errors in Plaid's shape, and the limits that keep the server answering: bad keys, unknown
//! tokens, malformed and oversized bodies, unknown endpoints and methods, a handler panic.

use axum::routing::post;
use serde_json::json;

use crate::support::{CLIENT_ID, SECRET, Seeded, Server, assert_error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mistake_has_plaids_error_shape() {
    let seeded = Seeded::sqlite(2, "story");
    let server = Server::start(&seeded).await;
    let mut client = server.client().await;
    let token = server.item(0).access_token;
    let keys = [("PLAID-CLIENT-ID", CLIENT_ID), ("PLAID-SECRET", SECRET)];
    let body = |v: serde_json::Value| serde_json::to_vec(&v).unwrap();

    let wrong = client
        .raw(
            "/item/get",
            &[("PLAID-CLIENT-ID", CLIENT_ID), ("PLAID-SECRET", "nope")],
            body(json!({"access_token": token})),
        )
        .await;
    assert_error(&wrong, 400, "INVALID_INPUT", "INVALID_API_KEYS");
    let in_body = client
        .raw(
            "/item/get",
            &[],
            body(json!({"client_id": CLIENT_ID, "secret": SECRET, "access_token": token})),
        )
        .await;
    assert_eq!(
        in_body.0, 200,
        "keys in the body are accepted: {}",
        in_body.1
    );
    let none = client
        .raw("/item/get", &[], body(json!({"access_token": token})))
        .await;
    assert_error(&none, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    let unknown = client
        .post("/item/get", json!({"access_token": "access-sandbox-nope"}))
        .await;
    assert_error(&unknown, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN");
    for malformed in [
        &b"{"[..],
        b"",
        b"[]",
        b"{\"access_token\": \"\xff\"}",
        b"{\"a\":1,\"a\":1}",
    ] {
        let answer = client.raw("/item/get", &keys, malformed.to_vec()).await;
        assert_error(&answer, 400, "INVALID_REQUEST", "INVALID_BODY");
    }
    let missing = client.post("/item/get", json!({})).await;
    assert_error(&missing, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    assert!(
        missing.1["error_message"]
            .as_str()
            .unwrap()
            .ends_with("access_token")
    );
    let extra = client
        .post("/item/get", json!({"access_token": token, "surprise": 1}))
        .await;
    assert_error(&extra, 400, "INVALID_REQUEST", "UNKNOWN_FIELDS");
    let mistyped = client.post("/item/get", json!({"access_token": 12})).await;
    assert_error(&mistyped, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let nowhere = client.post("/no/such/endpoint", json!({})).await;
    assert_error(&nowhere, 404, "INVALID_REQUEST", "NOT_FOUND");

    let huge = vec![b' '; (1 << 20) + 1];
    let answer = client.raw("/item/get", &keys, huge).await;
    assert_error(&answer, 413, "INVALID_REQUEST", "INVALID_BODY");
    let mut fresh = server.client().await;
    let ok = fresh
        .post("/item/get", json!({"access_token": token}))
        .await;
    assert_eq!(ok.0, 200);
}

async fn panics() -> &'static str {
    panic!("a handler bug")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_an_internal_error_and_the_server_keeps_serving() {
    let seeded = Seeded::sqlite(2, "story");
    let url = seeded.url.clone();
    let server = Server::start_with(&seeded, move |router| {
        router.route("/test/panic", post(panics)).route(
            "/test/panic-in-database-work",
            post(move || async move {
                let pool = plaid::pool::Pool::new(url, 1, std::time::Duration::from_secs(1));
                let answer: Result<(), _> = std::sync::Arc::new(pool)
                    .read(|_| -> Result<(), plaid::error::ApiError> { panic!("a query bug") })
                    .await;
                plaid::server::respond(answer, "testtesttesttes")
            }),
        )
    })
    .await;
    let mut client = server.client().await;
    let answer = client.post("/test/panic", json!({})).await;
    assert_error(&answer, 500, "API_ERROR", "INTERNAL_SERVER_ERROR");
    let mut client = server.client().await;
    let answer = client.post("/test/panic-in-database-work", json!({})).await;
    assert_eq!(answer.0, 500, "{}", answer.1);
    assert_eq!(answer.1["error_code"], "INTERNAL_SERVER_ERROR");
    let mut client = server.client().await;
    let ok = client
        .post(
            "/item/get",
            json!({"access_token": server.item(0).access_token}),
        )
        .await;
    assert_eq!(ok.0, 200, "still serving");
}
