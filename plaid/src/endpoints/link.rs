//! Linking: `/link/token/create`, `/sandbox/public_token/create` (a seeded user chosen by
//! email, a webhook set) and `/item/public_token/exchange`.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, PRODUCTS};
use crate::client::Target;
use crate::error::{ApiError, ErrorKind};
use crate::links::Link;

/// `/link/token/create`'s request: the fields Plaid requires, and every other field of
/// Plaid's model accepted as given (no Link UI runs here to use them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Accepted so that Plaid's clients can send them; nothing reads them.
pub(super) struct LinkTokenCreate {
    client_name: String,
    language: String,
    country_codes: Vec<String>,
    user: Option<LinkUser>,
    user_id: Option<String>,
    user_token: Option<String>,
    products: Option<Vec<String>>,
    required_if_supported_products: Option<Vec<String>>,
    optional_products: Option<Vec<String>>,
    additional_consented_products: Option<Vec<String>>,
    webhook: Option<String>,
    access_token: Option<String>,
    access_tokens: Option<Vec<String>>,
    link_customization_name: Option<String>,
    redirect_uri: Option<String>,
    android_package_name: Option<String>,
    institution_id: Option<String>,
    appearance_mode: Option<Value>,
    institution_data: Option<Value>,
    card_switch: Option<Value>,
    account_filters: Option<Value>,
    eu_config: Option<Value>,
    payment_configuration: Option<Value>,
    payment_initiation: Option<Value>,
    employment: Option<Value>,
    income_verification: Option<Value>,
    base_report: Option<Value>,
    credit_partner_insights: Option<Value>,
    cra_options: Option<Value>,
    cra_report_parameter: Option<Value>,
    consumer_report_permissible_purpose: Option<Value>,
    auth: Option<Value>,
    transfer: Option<Value>,
    update: Option<Value>,
    identity_verification: Option<Value>,
    statements: Option<Value>,
    third_party_user_token: Option<String>,
    investments: Option<Value>,
    investments_auth: Option<Value>,
    hosted_link: Option<Value>,
    transactions: Option<Value>,
    cashflow_report: Option<Value>,
    cra_enabled: Option<bool>,
    identity: Option<Value>,
    financekit_supported: Option<bool>,
    enable_multi_item_link: Option<bool>,
}

/// `user` of `/link/token/create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct LinkUser {
    client_user_id: String,
    legal_name: Option<String>,
    name: Option<Value>,
    phone_number: Option<String>,
    phone_number_verified_time: Option<Value>,
    email_address: Option<String>,
    email_address_verified_time: Option<Value>,
    ssn: Option<String>,
    date_of_birth: Option<Value>,
    address: Option<Value>,
    id_number: Option<Value>,
}

#[derive(Debug, Serialize)]
pub(super) struct LinkTokenCreated {
    link_token: String,
    expiration: String,
    request_id: String,
}

pub(super) async fn link_token_create(
    ctx: Ctx,
    req: LinkTokenCreate,
) -> Result<LinkTokenCreated, ApiError> {
    for (field, empty) in [
        ("client_name", req.client_name.is_empty()),
        ("language", req.language.is_empty()),
        ("country_codes", req.country_codes.is_empty()),
    ] {
        if empty {
            return Err(ApiError::invalid_field(field, "must not be empty"));
        }
    }
    if req
        .user
        .as_ref()
        .is_some_and(|u| u.client_user_id.is_empty())
    {
        return Err(ApiError::invalid_field(
            "user.client_user_id",
            "must not be empty",
        ));
    }
    // Link tokens live four hours at Plaid; nothing here checks them, so the wall clock only
    // dates the answer.
    let expiration = chrono::Utc::now() + chrono::Duration::hours(4);
    Ok(LinkTokenCreated {
        link_token: format!(
            "link-sandbox-{}",
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, ctx.request_id.as_bytes())
        ),
        expiration: expiration.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        request_id: ctx.request_id,
    })
}

/// `/sandbox/public_token/create`'s request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SandboxPublicTokenCreate {
    institution_id: String,
    initial_products: Vec<String>,
    options: Option<SandboxOptions>,
    #[allow(dead_code)]
    user_token: Option<String>,
    #[allow(dead_code)]
    user_id: Option<String>,
}

/// Its `options`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct SandboxOptions {
    webhook: Option<String>,
    override_username: Option<String>,
    override_password: Option<String>,
    transactions: Option<Value>,
    statements: Option<Value>,
    income_verification: Option<Value>,
}

#[derive(Debug, Serialize)]
pub(super) struct PublicTokenCreated {
    public_token: String,
    request_id: String,
}

pub(super) async fn sandbox_public_token_create(
    ctx: Ctx,
    req: SandboxPublicTokenCreate,
) -> Result<PublicTokenCreated, ApiError> {
    if req.institution_id.is_empty() {
        return Err(ApiError::invalid_field(
            "institution_id",
            "must not be empty",
        ));
    }
    if req.initial_products.is_empty() {
        return Err(ApiError::invalid_field(
            "initial_products",
            "must list at least one product",
        ));
    }
    if let Some(other) = req
        .initial_products
        .iter()
        .find(|p| !PRODUCTS.contains(&p.as_str()))
    {
        return Err(ApiError::new(
            ErrorKind::InvalidProduct,
            format!(
                "{other} is not served here; products: {}",
                PRODUCTS.join(", ")
            ),
        ));
    }
    let options = req.options.unwrap_or_default();
    if let Some(url) = &options.webhook {
        check_webhook(url, ctx.state.config.allow_non_loopback)?;
    }
    let items = &ctx.state.items;
    let item = match options.override_username.as_deref() {
        Some(email) => items.by_email(email).ok_or_else(|| {
            ApiError::new(
                ErrorKind::InvalidCredentials,
                "the provided credentials were not correct: override_username names no seeded user's email",
            )
        })?,
        // Plaid's sandbox links a default user; here, the first seeded user by email.
        None => items.all().first().expect("a served database has users"),
    };
    let link = Link {
        webhook: options.webhook,
        institution_id: Some(req.institution_id),
        products: req.initial_products,
    };
    let public_token = ctx
        .state
        .links
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .create(&item.item_id, link, Instant::now());
    Ok(PublicTokenCreated {
        public_token,
        request_id: ctx.request_id,
    })
}

/// Refuses a webhook URL the server would not deliver to.
fn check_webhook(url: &str, allow_non_loopback: bool) -> Result<(), ApiError> {
    let target = Target::parse(url).map_err(|e| ApiError::invalid_field("options.webhook", e))?;
    if !allow_non_loopback && !target.is_loopback() {
        return Err(ApiError::invalid_field(
            "options.webhook",
            "webhooks go to this machine's loopback interface only, unless the server was started with --allow-non-loopback",
        ));
    }
    Ok(())
}

/// `/item/public_token/exchange`'s request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PublicTokenExchange {
    public_token: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Exchanged {
    access_token: String,
    item_id: String,
    request_id: String,
}

pub(super) async fn public_token_exchange(
    ctx: Ctx,
    req: PublicTokenExchange,
) -> Result<Exchanged, ApiError> {
    let exchanged = ctx
        .state
        .links
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .exchange(&req.public_token, Instant::now());
    let item = exchanged
        .and_then(|item_id| ctx.state.items.by_item_id(&item_id))
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::InvalidPublicToken,
                "provided public token is unknown, expired or already exchanged",
            )
        })?;
    Ok(Exchanged {
        access_token: item.access_token.clone(),
        item_id: item.item_id.clone(),
        request_id: ctx.request_id,
    })
}
