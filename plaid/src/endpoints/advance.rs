//! `POST /seed/advance`: the clock, outside Plaid's namespace, with Plaid's keys and errors.
//! It runs the server's [`Clock`](crate::clock::Clock) on the served database, then tells every
//! Item with a webhook whose accounts got changes (`SYNC_UPDATES_AVAILABLE`). "Got changes" is
//! read from the change log, not from what the clock reports: the Items whose accounts have
//! rows after the log's last sequence number before the advance.

use chrono::NaiveDate;
use serde::Serialize;

use super::Ctx;
use seed::advance::Target;

use crate::clock::{self, AdvanceOutcome, AdvanceRequest};
use crate::error::ApiError;
use crate::server::State;
use crate::store;
use crate::webhook::{Webhook, deliver};

#[derive(Debug, Serialize)]
pub(super) struct Advanced {
    as_of_before: NaiveDate,
    as_of: NaiveDate,
    items_changed: usize,
    webhooks_delivered: usize,
    webhooks_failed: usize,
    request_id: String,
}

pub(super) async fn advance_endpoint(ctx: Ctx, req: AdvanceRequest) -> Result<Advanced, ApiError> {
    let done = advance(&ctx.state, |as_of| clock::target(&req, as_of)).await?;
    Ok(Advanced {
        as_of_before: done.outcome.from,
        as_of: done.outcome.to,
        items_changed: done.items_changed,
        webhooks_delivered: done.webhooks_delivered,
        webhooks_failed: done.webhooks_failed,
        request_id: ctx.request_id,
    })
}

/// Moves the served data to `target` with `state`'s clock (one advance at a time), then sends
/// `SYNC_UPDATES_AVAILABLE` to every Item with a webhook whose accounts the log changed.
async fn advance(
    state: &State,
    target: impl FnOnce(NaiveDate) -> Result<Target, ApiError>,
) -> Result<Done, ApiError> {
    let _one_at_a_time = state.advancing.lock().await;
    let (as_of, before) = state
        .pool
        .read(|conn| {
            let as_of =
                store::as_of(conn)?.ok_or_else(|| ApiError::internal("seed_runs is empty"))?;
            Ok((as_of, store::last_seq_anywhere(conn)?.unwrap_or(-1)))
        })
        .await?;
    let target = target(as_of)?;
    let pool = state.pool.clone();
    let clock = state.clock.clone();
    let outcome = tokio::task::spawn_blocking(move || clock.advance(pool.url(), target))
        .await
        .map_err(|_| ApiError::internal("the advance panicked; the database is as it was"))?;
    let outcome = outcome.map_err(|e| ApiError::internal(format!("advance: {e:#}")))?;
    let changed = state
        .pool
        .read(move |conn| Ok(store::users_changed_after(conn, before)?))
        .await?;
    let (delivered, failed) = notify(state, &changed).await;
    Ok(Done {
        outcome,
        items_changed: changed.len(),
        webhooks_delivered: delivered,
        webhooks_failed: failed,
    })
}

/// What an advance through the server did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Done {
    /// The clock's outcome.
    outcome: AdvanceOutcome,
    /// Items whose accounts got changes.
    items_changed: usize,
    /// Webhooks delivered.
    webhooks_delivered: usize,
    /// Webhooks that failed.
    webhooks_failed: usize,
}

/// Sends `SYNC_UPDATES_AVAILABLE` to every Item of `users` with a webhook, a few at a
/// time; returns how many were delivered and how many failed.
async fn notify(state: &State, users: &[String]) -> (usize, usize) {
    let targets: Vec<(String, String)> = {
        let links = state.links.lock().unwrap_or_else(|e| e.into_inner());
        users
            .iter()
            .filter_map(|user| state.items.by_user(user))
            .filter_map(|item| {
                let url = links.link(&item.item_id)?.webhook.clone()?;
                Some((url, item.item_id.clone()))
            })
            .collect()
    };
    let (mut delivered, mut failed) = (0, 0);
    // Bounded fan-out: a thousand listeners are not a thousand connections at once.
    for batch in targets.chunks(16) {
        let mut tasks = tokio::task::JoinSet::new();
        for (url, item_id) in batch {
            let (url, item_id) = (url.clone(), item_id.clone());
            tasks
                .spawn(async move { deliver(&url, &item_id, Webhook::SyncUpdatesAvailable).await });
        }
        while let Some(result) = tasks.join_next().await {
            if result.unwrap_or(false) {
                delivered += 1;
            } else {
                failed += 1;
            }
        }
    }
    (delivered, failed)
}
