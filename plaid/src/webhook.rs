//! Webhooks: Plaid's `TRANSACTIONS` payloads and their delivery, one bounded attempt each,
//! logged on standard error. A listener that is down or slow costs at most the timeout and
//! never fails the request that caused the webhook.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::{Target, post_once};

/// How long one delivery may take, connection included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// A `TRANSACTIONS` webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Webhook {
    /// New changes wait at `/transactions/sync`.
    SyncUpdatesAvailable,
    /// New transactions arrived (the `/transactions/get` era's webhook).
    DefaultUpdate {
        /// How many.
        new_transactions: i64,
    },
}

impl Webhook {
    /// Plaid's `webhook_code`.
    pub fn code(self) -> &'static str {
        match self {
            Webhook::SyncUpdatesAvailable => "SYNC_UPDATES_AVAILABLE",
            Webhook::DefaultUpdate { .. } => "DEFAULT_UPDATE",
        }
    }

    /// The JSON body for `item_id`.
    pub fn payload(self, item_id: &str) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            webhook_type: &'static str,
            webhook_code: &'static str,
            item_id: &'a str,
            environment: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            initial_update_complete: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            historical_update_complete: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            new_transactions: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<()>,
        }
        let (complete, new_transactions) = match self {
            Webhook::SyncUpdatesAvailable => (Some(true), None),
            Webhook::DefaultUpdate { new_transactions } => (None, Some(new_transactions)),
        };
        let body = Body {
            webhook_type: "TRANSACTIONS",
            webhook_code: self.code(),
            item_id,
            environment: "sandbox",
            initial_update_complete: complete,
            historical_update_complete: complete,
            new_transactions,
            error: None,
        };
        serde_json::to_vec(&body).expect("a webhook body serialises")
    }
}

/// Delivers `webhook` for `item_id` to `url` once, logging the outcome; true if the listener
/// answered with a 2xx status.
pub async fn deliver(url: &str, item_id: &str, webhook: Webhook) -> bool {
    let started = Instant::now();
    let outcome = match Target::parse(url) {
        Ok(target) => post_once(&target, webhook.payload(item_id), DELIVERY_TIMEOUT).await,
        Err(e) => Err(e),
    };
    let took = started.elapsed().as_millis();
    match outcome {
        Ok(status) if status.is_success() => {
            eprintln!(
                "plaid: webhook {} for item {item_id} to {url}: {status} in {took} ms",
                webhook.code()
            );
            true
        }
        Ok(status) => {
            eprintln!(
                "plaid: webhook {} for item {item_id} to {url}: refused with {status} in {took} ms",
                webhook.code()
            );
            false
        }
        Err(e) => {
            eprintln!(
                "plaid: webhook {} for item {item_id} to {url}: not delivered: {e}",
                webhook.code()
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_plaids_fields() {
        let sync: serde_json::Value =
            serde_json::from_slice(&Webhook::SyncUpdatesAvailable.payload("it")).unwrap();
        assert_eq!(sync["webhook_type"], "TRANSACTIONS");
        assert_eq!(sync["webhook_code"], "SYNC_UPDATES_AVAILABLE");
        assert_eq!(sync["item_id"], "it");
        assert_eq!(sync["initial_update_complete"], true);
        assert_eq!(sync["historical_update_complete"], true);
        assert_eq!(sync["environment"], "sandbox");
        let update: serde_json::Value = serde_json::from_slice(
            &Webhook::DefaultUpdate {
                new_transactions: 3,
            }
            .payload("it"),
        )
        .unwrap();
        assert_eq!(update["webhook_code"], "DEFAULT_UPDATE");
        assert_eq!(update["new_transactions"], 3);
        assert!(update.get("initial_update_complete").is_none());
    }
}
