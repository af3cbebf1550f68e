//! `/sandbox/item/fire_webhook`: a webhook on request, delivered like the clock's.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Ctx;
use crate::error::{ApiError, ErrorKind};
use crate::store;
use crate::webhook::{Webhook, deliver};

/// Its request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FireWebhook {
    access_token: String,
    webhook_code: String,
    webhook_type: Option<String>,
    #[allow(dead_code)]
    options: Option<Value>,
}

#[derive(Debug, Serialize)]
pub(super) struct Fired {
    webhook_fired: bool,
    request_id: String,
}

pub(super) async fn fire_webhook(ctx: Ctx, req: FireWebhook) -> Result<Fired, ApiError> {
    let item = ctx.item(&req.access_token)?;
    if let Some(kind) = req.webhook_type.as_deref().filter(|t| *t != "TRANSACTIONS") {
        return Err(ApiError::invalid_field(
            "webhook_type",
            format!("{kind} is not fired here; only TRANSACTIONS"),
        ));
    }
    let user = item.user_id.clone();
    let webhook = match req.webhook_code.as_str() {
        "SYNC_UPDATES_AVAILABLE" => Webhook::SyncUpdatesAvailable,
        "DEFAULT_UPDATE" => {
            let new_transactions = ctx
                .state
                .pool
                .read(move |conn| {
                    let accounts = store::accounts_of(conn, &user)?;
                    Ok(store::added_by_latest_run(conn, &store::ids_of(&accounts))?)
                })
                .await?;
            Webhook::DefaultUpdate { new_transactions }
        }
        other => {
            return Err(ApiError::invalid_field(
                "webhook_code",
                format!("{other} is not fired here; SYNC_UPDATES_AVAILABLE or DEFAULT_UPDATE"),
            ));
        }
    };
    let url = ctx.link(&item).and_then(|l| l.webhook).ok_or_else(|| {
        ApiError::new(
            ErrorKind::SandboxWebhookInvalid,
            "the Item has no webhook; set one with options.webhook of /sandbox/public_token/create",
        )
    })?;
    let webhook_fired = deliver(&url, &item.item_id, webhook).await;
    Ok(Fired {
        webhook_fired,
        request_id: ctx.request_id,
    })
}
