//! The clock: `POST /seed/advance` moves the served data forward with the seeder's advance,
//! then tells every Item with a webhook whose accounts got changes (`SYNC_UPDATES_AVAILABLE`).
//!
//! The advance itself is the seed crate's; this module knows it only through [`Clock`], so
//! the server holds whichever clock it was built with. "Got changes" is read from the change
//! log, not from what the clock reports: the Items whose accounts have rows after the log's
//! last sequence number before the advance.

use backend::DatabaseUrl;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::endpoints::Ctx;
use crate::error::{ApiError, ErrorKind};
use crate::store;
use crate::webhook::{Webhook, deliver};

/// How far to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvanceTarget {
    /// This many days past the data's as-of date.
    Days(u32),
    /// To this as-of date.
    To(NaiveDate),
}

/// What an advance did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvanceOutcome {
    /// The as-of date before.
    pub from: NaiveDate,
    /// The as-of date after.
    pub to: NaiveDate,
}

/// Why the clock did not move.
#[derive(Debug)]
pub enum AdvanceError {
    /// This build has no advance to run.
    Unavailable,
    /// The advance refused or failed; the database is as it was.
    Failed(anyhow::Error),
}

/// Moves a database's data forward in time, in one transaction, all or nothing.
pub trait Clock: Send + Sync {
    /// Advances the data of `db` to `target`.
    fn advance(
        &self,
        db: &DatabaseUrl,
        target: AdvanceTarget,
    ) -> Result<AdvanceOutcome, AdvanceError>;
}

/// The clock of a build without the seeder's advance: it refuses to move, saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAdvance;

impl Clock for NoAdvance {
    fn advance(&self, _: &DatabaseUrl, _: AdvanceTarget) -> Result<AdvanceOutcome, AdvanceError> {
        Err(AdvanceError::Unavailable)
    }
}

/// The longest single move, in days.
pub const MAX_DAYS: i64 = 3660;

/// `/seed/advance`'s request: exactly one of `days` and `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceRequest {
    days: Option<i64>,
    to: Option<NaiveDate>,
}

/// `/seed/advance`'s answer.
#[derive(Debug, Serialize)]
pub struct Advanced {
    as_of_before: NaiveDate,
    as_of: NaiveDate,
    items_changed: usize,
    webhooks_delivered: usize,
    webhooks_failed: usize,
    request_id: String,
}

/// Checks the request against the data's as-of date `as_of`.
fn target(req: &AdvanceRequest, as_of: NaiveDate) -> Result<AdvanceTarget, ApiError> {
    match (req.days, req.to) {
        (Some(days), None) if (1..=MAX_DAYS).contains(&days) => {
            Ok(AdvanceTarget::Days(days as u32))
        }
        (Some(days), None) => Err(ApiError::invalid_field(
            "days",
            format!("{days} is out of range: 1 to {MAX_DAYS}"),
        )),
        (None, Some(to)) if to > as_of && (to - as_of).num_days() <= MAX_DAYS => {
            Ok(AdvanceTarget::To(to))
        }
        (None, Some(to)) => Err(ApiError::invalid_field(
            "to",
            format!(
                "{to} must be after the data's as-of date {as_of} and at most {MAX_DAYS} days past it"
            ),
        )),
        (None, None) => Err(ApiError::new(
            ErrorKind::MissingFields,
            "the following required fields are missing: days or to",
        )),
        (Some(_), Some(_)) => Err(ApiError::invalid_field("to", "give days or to, not both")),
    }
}

/// `POST /seed/advance`: one advance at a time, then the webhooks.
pub async fn advance(ctx: Ctx, req: AdvanceRequest) -> Result<Advanced, ApiError> {
    let state = ctx.state.clone();
    let _one_at_a_time = state.advancing.lock().await;
    let (as_of, before) = state
        .pool
        .read(|conn| {
            let as_of =
                store::as_of(conn)?.ok_or_else(|| ApiError::internal("seed_runs is empty"))?;
            Ok((as_of, store::last_seq_anywhere(conn)?.unwrap_or(-1)))
        })
        .await?;
    let target = target(&req, as_of)?;
    let worker = state.clone();
    let outcome =
        tokio::task::spawn_blocking(move || worker.clock.advance(worker.pool.url(), target))
            .await
            .map_err(|_| ApiError::internal("the advance panicked; the database is as it was"))?;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(AdvanceError::Unavailable) => {
            return Err(ApiError::new(
                ErrorKind::ClockUnavailable,
                "this build cannot advance the data: the seeder's advance (`seed advance`) is not wired in yet",
            ));
        }
        Err(AdvanceError::Failed(e)) => return Err(ApiError::internal(format!("advance: {e:#}"))),
    };
    let changed = state
        .pool
        .read(move |conn| Ok(store::users_changed_after(conn, before)?))
        .await?;
    let (delivered, failed) = notify(&ctx, &changed).await;
    Ok(Advanced {
        as_of_before: outcome.from,
        as_of: outcome.to,
        items_changed: changed.len(),
        webhooks_delivered: delivered,
        webhooks_failed: failed,
        request_id: ctx.request_id,
    })
}

/// Sends `SYNC_UPDATES_AVAILABLE` to every Item of `users` with a webhook, a few at a
/// time; returns how many were delivered and how many failed.
async fn notify(ctx: &Ctx, users: &[String]) -> (usize, usize) {
    let targets: Vec<(String, String)> = users
        .iter()
        .filter_map(|user| ctx.state.items.by_user(user))
        .filter_map(|item| {
            let url = ctx.link(item)?.webhook?;
            Some((url, item.item_id.clone()))
        })
        .collect();
    let (mut delivered, mut failed) = (0, 0);
    // Bounded fan-out: a thousand listeners are not a thousand connections at once.
    for batch in targets.chunks(16) {
        let mut tasks = tokio::task::JoinSet::new();
        for (url, item_id) in batch.iter().cloned() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_checked_against_the_data() {
        let as_of = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let req = |days, to| AdvanceRequest { days, to };
        assert_eq!(
            target(&req(Some(7), None), as_of).unwrap(),
            AdvanceTarget::Days(7)
        );
        for bad in [0, -1, MAX_DAYS + 1] {
            assert_eq!(
                target(&req(Some(bad), None), as_of).unwrap_err().kind,
                ErrorKind::InvalidField
            );
        }
        let later = NaiveDate::from_ymd_opt(2025, 6, 8).unwrap();
        assert_eq!(
            target(&req(None, Some(later)), as_of).unwrap(),
            AdvanceTarget::To(later)
        );
        assert_eq!(
            target(&req(None, Some(as_of)), as_of).unwrap_err().kind,
            ErrorKind::InvalidField
        );
        assert_eq!(
            target(&req(None, None), as_of).unwrap_err().kind,
            ErrorKind::MissingFields
        );
        assert_eq!(
            target(&req(Some(1), Some(later)), as_of).unwrap_err().kind,
            ErrorKind::InvalidField
        );
    }
}
