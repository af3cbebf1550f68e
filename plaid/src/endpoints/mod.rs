//! The endpoints: Plaid's (POST, JSON) and the clock's, each a typed request and a typed
//! answer. [`router`] lists them; [`post_json`] reads, checks and answers every one the same
//! way.

mod accounts;
mod advance;
mod link;
mod sandbox;
mod transactions;

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use backend::Account;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorKind};
use crate::items::Item;
use crate::links::Link;
use crate::request::{parse, read_body};
use crate::server::{AppState, method_not_allowed, request_id, respond};

/// What a handler gets besides its request: the state and the request's id.
pub struct Ctx {
    /// The server's state.
    pub state: AppState,
    /// Plaid's `request_id` of this request.
    pub request_id: String,
}

impl Ctx {
    /// The Item `access_token` opens.
    pub fn item(&self, access_token: &str) -> Result<Item, ApiError> {
        self.state
            .items
            .by_token(access_token)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::InvalidAccessToken,
                    "provided access token is in an invalid format or names no Item; \
                     `cargo xtask plaid --tokens` lists them",
                )
            })
    }

    /// What the last link of `item` set.
    pub fn link(&self, item: &Item) -> Option<Link> {
        let links = self.state.links.lock().unwrap_or_else(|e| e.into_inner());
        links.link(&item.item_id).cloned()
    }
}

/// Every endpoint, with the server's state.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/link/token/create", post_json(link::link_token_create))
        .route(
            "/sandbox/public_token/create",
            post_json(link::sandbox_public_token_create),
        )
        .route(
            "/item/public_token/exchange",
            post_json(link::public_token_exchange),
        )
        .route("/item/get", post_json(accounts::item_get))
        .route("/accounts/get", post_json(accounts::accounts_get))
        .route("/accounts/balance/get", post_json(accounts::balance_get))
        .route("/liabilities/get", post_json(accounts::liabilities_get))
        .route("/transactions/sync", post_json(transactions::sync))
        .route("/transactions/get", post_json(transactions::get))
        .route(
            "/transactions/recurring/get",
            post_json(transactions::recurring_get),
        )
        .route(
            "/sandbox/item/fire_webhook",
            post_json(sandbox::fire_webhook),
        )
        .route("/seed/advance", post_json(advance::advance_endpoint))
        .with_state(state)
}

/// A POST endpoint of `handler`: the body read within the limits, the API keys checked, the
/// fields typed, and the answer (or error) rendered with the request's id.
pub fn post_json<Req, Resp, F, Fut>(handler: F) -> MethodRouter<AppState>
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    F: Fn(Ctx, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Resp, ApiError>> + Send + 'static,
{
    post(
        move |State(state): State<AppState>, headers: HeaderMap, body: Body| async move {
            let request_id = request_id();
            let result = async {
                let config = &state.config;
                let bytes = read_body(&headers, body, config.body_limit, config.body_wait).await?;
                let request: Req = parse(&bytes, &headers, &config.credentials)?;
                let ctx = Ctx {
                    state: state.clone(),
                    request_id: request_id.clone(),
                };
                handler(ctx, request).await
            }
            .await;
            let response: Response = respond(result, &request_id);
            response
        },
    )
    .fallback(method_not_allowed)
}

/// Plaid's `Item`, as `/item/get` and the account endpoints show it.
#[derive(Debug, Serialize)]
pub struct ItemOut {
    item_id: String,
    institution_id: Option<String>,
    institution_name: Option<String>,
    webhook: Option<String>,
    error: Option<()>,
    available_products: Vec<String>,
    billed_products: Vec<String>,
    products: Vec<String>,
    consent_expiration_time: Option<String>,
    update_type: &'static str,
}

/// The products an Item can be linked with.
pub const PRODUCTS: [&str; 4] = [
    "balance",
    "liabilities",
    "recurring_transactions",
    "transactions",
];

impl ItemOut {
    /// `item` as its last link left it (an Item never linked bills `transactions`).
    pub fn new(item: &Item, link: Option<&Link>) -> ItemOut {
        let mut billed: Vec<String> = link
            .map(|l| l.products.clone())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| vec!["transactions".to_owned()]);
        billed.sort();
        billed.dedup();
        let available = PRODUCTS
            .iter()
            .filter(|p| !billed.iter().any(|b| b == *p))
            .map(|p| (*p).to_owned())
            .collect();
        ItemOut {
            item_id: item.item_id.clone(),
            institution_id: link.and_then(|l| l.institution_id.clone()),
            institution_name: None,
            webhook: link.and_then(|l| l.webhook.clone()),
            error: None,
            available_products: available,
            products: billed.clone(),
            billed_products: billed,
            consent_expiration_time: None,
            update_type: "background",
        }
    }
}

/// The accounts of `accounts` that `account_ids` asks for (all when `None`); an id that is
/// not one of them is an `INVALID_FIELD` of `field`.
pub fn select_accounts(
    accounts: Vec<Account>,
    account_ids: Option<&[String]>,
    field: &str,
) -> Result<Vec<Account>, ApiError> {
    let Some(wanted) = account_ids else {
        return Ok(accounts);
    };
    if let Some(unknown) = wanted
        .iter()
        .find(|id| !accounts.iter().any(|a| &a.id == *id))
    {
        return Err(ApiError::invalid_field(
            field,
            format!("{unknown} is not an account of this Item"),
        ));
    }
    Ok(accounts
        .into_iter()
        .filter(|a| wanted.contains(&a.id))
        .collect())
}
