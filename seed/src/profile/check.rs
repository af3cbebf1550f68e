//! Validation's shared context: where in the file a value sits (its dotted key and its line)
//! and the rules both profile kinds apply to their values, each written once.
//!
//! A section's validation takes a [`Check`] positioned at that section ([`Check::at`]) and
//! names its values by their field alone; the context adds the section's path, finds the line
//! from the value's span and words the error the same way for every kind of profile.

use std::fmt::Display;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::ProfileError;
use super::distribution::{LogNormal, Normal};
use super::location::line_of;

/// The largest amount any cents value of a profile may take: sums of thousands of them stay
/// far from overflowing an `i64`.
pub(super) const MAX_CENTS: i64 = 1_000_000_000_000;

/// Where validation is: the profile's text, where it came from, and the dotted path of the
/// section being checked.
#[derive(Clone)]
pub(super) struct Check<'a> {
    source: &'a str,
    origin: &'a str,
    path: String,
}

/// A log-normal distribution as a file writes it, in either profile's spelling:
/// `{ min, median, max, spread }` or, in the story's amounts, `{ min_cents, median_cents,
/// max_cents, spread }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLogNormal {
    #[serde(alias = "min_cents")]
    min: i64,
    #[serde(alias = "median_cents")]
    median: i64,
    #[serde(alias = "max_cents")]
    max: i64,
    spread: f64,
}

/// A normal distribution as a file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNormal {
    mean: f64,
    sd: f64,
    min: i64,
    max: i64,
}

impl<'a> Check<'a> {
    /// The context of a whole file: `source`, named `origin` in errors.
    pub(super) fn new(source: &'a str, origin: &'a str) -> Check<'a> {
        Check {
            source,
            origin,
            path: String::new(),
        }
    }

    /// The context of `section` below this one: its values are named `path.section.field`.
    pub(super) fn at(&self, section: &str) -> Check<'a> {
        Check {
            source: self.source,
            origin: self.origin,
            path: self.key(section),
        }
    }

    /// The dotted key of `field` in this section.
    pub(super) fn key(&self, field: &str) -> String {
        match (self.path.is_empty(), field.is_empty()) {
            (true, _) => field.to_owned(),
            (false, true) => self.path.clone(),
            (false, false) => format!("{}.{field}", self.path),
        }
    }

    /// The error for the value at `span`, `field` of this section.
    pub(super) fn fail(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ProfileError {
        ProfileError {
            origin: self.origin.to_owned(),
            line: line_of(self.source, span.start),
            key: self.key(field),
            message: message.into(),
        }
    }

    /// A value within `[floor, ceiling]` (and finite, for a float).
    pub(super) fn within<T>(
        &self,
        value: &Spanned<T>,
        field: &str,
        floor: T,
        ceiling: T,
    ) -> Result<T, ProfileError>
    where
        T: PartialOrd + Display + Copy,
    {
        let v = *value.get_ref();
        // A NaN compares false with everything, so it fails here too.
        if !(v >= floor && v <= ceiling) {
            return Err(self.fail(
                value.span(),
                field,
                format!("must be {floor} to {ceiling}, got {v}"),
            ));
        }
        Ok(v)
    }

    /// A percentage, 0 to 100.
    pub(super) fn percent(&self, value: &Spanned<u32>, field: &str) -> Result<u32, ProfileError> {
        self.within(value, field, 0, 100)
    }

    /// An ordered range `[low, high]` within `[floor, ceiling]`.
    pub(super) fn range<T>(
        &self,
        value: &Spanned<[T; 2]>,
        field: &str,
        floor: T,
        ceiling: T,
    ) -> Result<(T, T), ProfileError>
    where
        T: PartialOrd + Display + Copy,
    {
        let [lo, hi] = *value.get_ref();
        if !(lo <= hi && lo >= floor && hi <= ceiling) {
            return Err(self.fail(
                value.span(),
                field,
                format!(
                    "expected [low, high] with {floor} <= low <= high <= {ceiling}, got [{lo}, {hi}]"
                ),
            ));
        }
        Ok((lo, hi))
    }

    /// A range of hours of the day, `[from, to)`, at least an hour long.
    pub(super) fn hours(
        &self,
        value: &Spanned<[u32; 2]>,
        field: &str,
    ) -> Result<(u32, u32), ProfileError> {
        let hours = self.range(value, field, 0, 24)?;
        if hours.0 == hours.1 {
            return Err(self.fail(value.span(), field, "must span at least one hour"));
        }
        Ok(hours)
    }

    /// The total of `weights`, which the generators draw from as a `u32`: a list whose sum
    /// does not fit is refused rather than wrapping, and so is one without a positive weight.
    pub(super) fn weights(
        &self,
        span: Range<usize>,
        field: &str,
        weights: impl IntoIterator<Item = u32>,
    ) -> Result<u32, ProfileError> {
        let total: u64 = weights.into_iter().map(u64::from).sum();
        match u32::try_from(total) {
            Ok(0) => Err(self.fail(span, field, "needs a positive weight")),
            Ok(total) => Ok(total),
            Err(_) => Err(self.fail(
                span,
                field,
                format!("weights sum to {total}, more than {}", u32::MAX),
            )),
        }
    }

    /// Shares that must sum to exactly 100 (summed without overflow, so no list can wrap
    /// around to 100).
    pub(super) fn hundred(
        &self,
        span: Range<usize>,
        field: &str,
        what: &str,
        shares: impl IntoIterator<Item = u32>,
    ) -> Result<(), ProfileError> {
        let total: u64 = shares.into_iter().map(u64::from).sum();
        if total != 100 {
            return Err(self.fail(span, field, format!("{what} must sum to 100, got {total}")));
        }
        Ok(())
    }

    /// A non-empty list of names, none of them blank.
    pub(super) fn names(
        &self,
        value: &Spanned<Vec<String>>,
        field: &str,
    ) -> Result<Vec<String>, ProfileError> {
        let list = value.get_ref();
        if list.is_empty() || list.iter().any(|n| n.trim().is_empty()) {
            return Err(self.fail(
                value.span(),
                field,
                "needs at least one name, none of them empty",
            ));
        }
        Ok(list.clone())
    }

    /// A log-normal distribution whose bounds lie within `[floor, ceiling]`, with a spread of
    /// at most `max_spread`.
    pub(super) fn log_normal(
        &self,
        value: &Spanned<RawLogNormal>,
        field: &str,
        (floor, ceiling): (i64, i64),
        max_spread: f64,
    ) -> Result<LogNormal, ProfileError> {
        let d = value.get_ref();
        let ordered = floor <= d.min && d.min <= d.median && d.median <= d.max && d.max <= ceiling;
        if !(ordered && d.spread >= 0.0 && d.spread <= max_spread) {
            return Err(self.fail(
                value.span(),
                field,
                format!(
                    "expected {floor} <= min <= median <= max <= {ceiling} and 0 <= spread <= \
                     {max_spread}, got min {}, median {}, max {}, spread {}",
                    d.min, d.median, d.max, d.spread
                ),
            ));
        }
        Ok(LogNormal {
            min: d.min,
            // A median of zero would make every draw zero; the least it draws from is one.
            median: d.median.max(1),
            max: d.max,
            spread: d.spread,
        })
    }

    /// A normal distribution whose mean lies within its bounds, and they within
    /// `[floor, ceiling]`.
    pub(super) fn normal(
        &self,
        value: &Spanned<RawNormal>,
        field: &str,
        (floor, ceiling): (i64, i64),
    ) -> Result<Normal, ProfileError> {
        let d = value.get_ref();
        let ok = d.mean.is_finite()
            && d.sd.is_finite()
            && d.sd >= 0.0
            && floor <= d.min
            && d.min <= d.max
            && d.max <= ceiling
            && (d.min as f64..=d.max as f64).contains(&d.mean);
        if !ok {
            return Err(self.fail(
                value.span(),
                field,
                format!("expected {floor} <= min <= mean <= max <= {ceiling} and sd >= 0"),
            ));
        }
        Ok(Normal {
            mean: d.mean,
            sd: d.sd,
            min: d.min,
            max: d.max,
        })
    }
}
