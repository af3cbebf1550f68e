//! The clock: what moves the served data forward (the seeder's advance, behind [`Clock`], so
//! the server holds whichever clock it was built with) and the checks of a request to move it.
//! `POST /seed/advance` and its webhooks are in `endpoints/advance.rs`.

use backend::DatabaseUrl;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::error::{ApiError, ErrorKind};

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
    /// Days to move.
    pub days: Option<i64>,
    /// The date to move to.
    pub to: Option<NaiveDate>,
}

/// Checks the request against the data's as-of date `as_of`.
pub fn target(req: &AdvanceRequest, as_of: NaiveDate) -> Result<AdvanceTarget, ApiError> {
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
