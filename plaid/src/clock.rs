//! The clock: what moves the served data forward (the seeder's own advance, `seed advance`,
//! on the served database) and the checks of a request to move it. `POST /seed/advance` and
//! its webhooks are in `endpoints/advance.rs`.

use std::path::PathBuf;

use backend::DatabaseUrl;
use chrono::NaiveDate;
use seed::advance::{AdvanceOptions, Target};
use seed::progress::Progress;
use serde::Deserialize;

use crate::error::{ApiError, ErrorKind};

/// What an advance did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvanceOutcome {
    /// The as-of date before.
    pub from: NaiveDate,
    /// The as-of date after.
    pub to: NaiveDate,
}

/// Moves a database's data forward in time with the seeder's advance: in one transaction, all
/// or nothing, logged in `transaction_changes` for `/transactions/sync`.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// The profile file the data was seeded from, when it was not a built-in profile.
    pub profile_file: Option<PathBuf>,
}

impl Clock {
    /// Advances the data of `db` to `target`; an error leaves the database as it was.
    pub fn advance(&self, db: &DatabaseUrl, target: Target) -> anyhow::Result<AdvanceOutcome> {
        let options = AdvanceOptions {
            url: db.clone(),
            target,
            shard: None,
            config: self.profile_file.clone(),
            sync_out: None,
            allow_unseeded: false,
        };
        let report = seed::advance::advance(&options, &Progress::default())?;
        Ok(AdvanceOutcome {
            from: report.from,
            to: report.to,
        })
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
pub fn target(req: &AdvanceRequest, as_of: NaiveDate) -> Result<Target, ApiError> {
    match (req.days, req.to) {
        (Some(days), None) if (1..=MAX_DAYS).contains(&days) => Ok(Target::Days(days as u32)),
        (Some(days), None) => Err(ApiError::invalid_field(
            "days",
            format!("{days} is out of range: 1 to {MAX_DAYS}"),
        )),
        (None, Some(to)) if to > as_of && (to - as_of).num_days() <= MAX_DAYS => {
            Ok(Target::Date(to))
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
        assert_eq!(target(&req(Some(7), None), as_of).unwrap(), Target::Days(7));
        for bad in [0, -1, MAX_DAYS + 1] {
            assert_eq!(
                target(&req(Some(bad), None), as_of).unwrap_err().kind,
                ErrorKind::InvalidField
            );
        }
        let later = NaiveDate::from_ymd_opt(2025, 6, 8).unwrap();
        assert_eq!(
            target(&req(None, Some(later)), as_of).unwrap(),
            Target::Date(later)
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
