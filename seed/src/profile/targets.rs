//! A profile's targets: the published figures its data is meant to land near, each with the
//! band it must land in and its source, shipped as data next to the profile
//! (`seed/profiles/NAME.targets.toml`). `stats` measures a dataset against them.

use serde::Deserialize;

use super::ProfileError;
use super::location::{line_of, toml_error};

/// The calibrated profile's targets, as shipped in `seed/profiles/calibrated.targets.toml`.
pub const CALIBRATED_TARGETS: &str = include_str!("../../profiles/calibrated.targets.toml");

/// One published figure and the band the data must land in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// What is measured, as `stats` names it (`utilization.median`, `spending.food`, …).
    pub measure: String,
    /// How the report names it.
    pub label: String,
    /// The unit of the measure and the figures: `%`, `$`, `x` (a ratio) or `n` (a count).
    pub unit: String,
    /// The published figure, when there is one.
    pub target: Option<f64>,
    /// The lowest value within the band.
    pub low: f64,
    /// The highest value within the band.
    pub high: f64,
    /// Where the figure comes from.
    pub source: String,
}

impl Band {
    /// Whether `value` lies within the band (bounds included).
    pub fn holds(&self, value: f64) -> bool {
        (self.low..=self.high).contains(&value)
    }
}

/// The bands of one profile, and the fewest users they are meant to hold for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Below this many users a band may miss by chance.
    pub min_users: u64,
    /// The bands, in report order.
    #[serde(rename = "band")]
    pub bands: Vec<Band>,
}

impl Targets {
    /// Parses a targets file; `origin` names it in errors.
    pub fn parse(source: &str, origin: &str) -> Result<Targets, ProfileError> {
        let targets: Targets =
            toml::from_str(source).map_err(|e| toml_error(source, origin, &e))?;
        for band in &targets.bands {
            let fail = |message: String| ProfileError {
                origin: origin.to_owned(),
                line: line_of(source, source.find(&band.measure).unwrap_or(0)),
                key: format!("band[{}]", band.measure),
                message,
            };
            let finite = band.low.is_finite() && band.high.is_finite();
            if !finite || band.low > band.high {
                return Err(fail(format!(
                    "expected finite low <= high, got {} and {}",
                    band.low, band.high
                )));
            }
            if !["%", "$", "x", "n"].contains(&band.unit.as_str()) {
                return Err(fail(format!("unit `{}` is none of %, $, x, n", band.unit)));
            }
        }
        Ok(targets)
    }

    /// The targets shipped with the built-in profile `name`, if it has any.
    pub fn builtin(name: &str) -> Option<Targets> {
        match name {
            "calibrated" => Some(
                Targets::parse(CALIBRATED_TARGETS, "calibrated.targets.toml")
                    .expect("the calibrated targets are valid"),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calibrated_targets_parse() {
        let targets = Targets::builtin("calibrated").expect("shipped");
        assert!(targets.min_users >= 1_000);
        assert!(targets.bands.len() >= 20);
        for band in &targets.bands {
            if let Some(target) = band.target {
                assert!(band.holds(target), "{} holds its own target", band.label);
            }
        }
    }

    #[test]
    fn a_bad_band_is_one_line_naming_it() {
        let source = "min_users = 1000\n[[band]]\nmeasure = \"apr.mean\"\nlabel = \"APR\"\n\
                      unit = \"%\"\nlow = 25.0\nhigh = 21.0\nsource = \"G.19\"\n";
        let err = Targets::parse(source, "t.toml").expect_err("low above high");
        assert_eq!(err.line, 3);
        assert!(err.to_string().contains("band[apr.mean]"), "{err}");
        assert!(!err.to_string().contains('\n'));
        let err = Targets::parse("min_users = \"many\"", "t.toml").expect_err("not a number");
        assert_eq!(err.key, "min_users");
    }
}
