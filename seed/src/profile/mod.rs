//! Profiles: the numbers a generator draws from, read from a TOML file, one type per
//! generator.
//!
//! The built-in profiles are compiled in and picked by name (`--profile`): `story`
//! (`seed/profiles/story.toml`, the default) follows the product's original specification and
//! is a [`StoryProfile`]; `calibrated` (`seed/profiles/calibrated.toml`) makes data whose money
//! adds up, calibrated to published US figures, and is a [`CalibratedProfile`]. `--config PATH`
//! reads another file instead; a file saying `generator = "calibrated"` has the calibrated
//! shape, any other the story's. Each kind holds only what its generator reads; what both
//! hold ([`Common`]) is declared and validated once. Validation checks every value once, up
//! front, section by section ([`check`]), so generation never meets a bad weight; a bad file
//! fails with one line naming the file, the line and the key.

pub mod calibrated;
mod check;
mod common;
mod distribution;
mod location;
pub mod story;
mod targets;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

pub use calibrated::{CalibratedProfile, StatementTerms};
use check::Check;
pub use common::{Authorization, Common, Corrections, Pending};
pub use distribution::{LogNormal, Normal};
pub use story::StoryProfile;
pub use targets::{Band, CALIBRATED_TARGETS, Targets};

/// The `story` profile's text, as shipped in `seed/profiles/story.toml`: the default.
pub const STORY_PROFILE: &str = include_str!("../../profiles/story.toml");

/// The `calibrated` profile's text, as shipped in `seed/profiles/calibrated.toml`.
pub const CALIBRATED_PROFILE: &str = include_str!("../../profiles/calibrated.toml");

/// The built-in profiles, by name; the first is the default.
pub const BUILTIN_PROFILES: [&str; 2] = ["story", "calibrated"];

/// The name of the profile used when none is named.
pub const DEFAULT_PROFILE: &str = BUILTIN_PROFILES[0];

/// A validated profile: one kind per generator.
#[derive(Debug, Clone, PartialEq)]
pub enum Profile {
    /// The story profile's shape, drawn from by the story generator.
    Story(Arc<StoryProfile>),
    /// The calibrated profile's shape, drawn from by the calibrated generator.
    Calibrated(Arc<CalibratedProfile>),
}

/// What decides a profile file's shape: its `generator` key, if any.
#[derive(Deserialize)]
struct Head {
    generator: Option<toml::Spanned<String>>,
}

/// A profile file that cannot be used: one line with the file, the line and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: line {line}: {key}: {message}")]
pub struct ProfileError {
    /// Where the profile came from (a path, or "story profile").
    pub origin: String,
    /// 1-based line of the offending value.
    pub line: usize,
    /// Dotted key of the offending value, such as `categories.weight`.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl Profile {
    /// The built-in `story` profile, the default.
    pub fn story() -> Profile {
        static STORY: OnceLock<Profile> = OnceLock::new();
        STORY
            .get_or_init(|| {
                Profile::parse(STORY_PROFILE, "story", "story profile")
                    .expect("the story profile is valid")
            })
            .clone()
    }

    /// The built-in `calibrated` profile.
    pub fn calibrated() -> Profile {
        static CALIBRATED: OnceLock<Profile> = OnceLock::new();
        CALIBRATED
            .get_or_init(|| {
                Profile::parse(CALIBRATED_PROFILE, "calibrated", "calibrated profile")
                    .expect("the calibrated profile is valid")
            })
            .clone()
    }

    /// The built-in profile called `name`; fails naming the ones there are.
    pub fn builtin(name: &str) -> anyhow::Result<Profile> {
        match name {
            "story" => Ok(Profile::story()),
            "calibrated" => Ok(Profile::calibrated()),
            _ => anyhow::bail!(
                "no built-in profile is called {name:?}; there are {}",
                BUILTIN_PROFILES.join(", ")
            ),
        }
    }

    /// Reads and validates the profile at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Profile> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read profile {}: {e}", path.display()))?;
        // The file's name, not its path: the same file gives the same bytes wherever it is.
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Profile::parse(&source, &name, &path.display().to_string())?)
    }

    /// Parses and validates profile text called `name`; `origin` names it in errors. The
    /// `generator` key picks the shape: none for the story's, `"calibrated"` for the calibrated one.
    pub fn parse(source: &str, name: &str, origin: &str) -> Result<Profile, ProfileError> {
        let toml_error = |e: toml::de::Error| location::toml_error(source, origin, &e);
        let check = Check::new(source, origin);
        let head: Head = toml::from_str(source).map_err(toml_error)?;
        match head.generator.as_ref().map(|g| g.get_ref().as_str()) {
            None => {
                let raw: story::RawStory = toml::from_str(source).map_err(toml_error)?;
                Ok(Profile::Story(Arc::new(raw.validate(&check, name)?)))
            }
            Some("calibrated") => {
                let raw: calibrated::RawCalibrated = toml::from_str(source).map_err(toml_error)?;
                Ok(Profile::Calibrated(Arc::new(raw.validate(&check, name)?)))
            }
            Some(other) => Err(check.fail(
                head.generator.as_ref().expect("present").span(),
                "generator",
                format!(
                    "`{other}` is not a generator; the one there is is \"calibrated\" (leave the key out for the story's)"
                ),
            )),
        }
    }

    /// What every kind of profile has: name, window, sign-up span, persona shares.
    pub fn common(&self) -> &Common {
        match self {
            Profile::Story(story) => &story.common,
            Profile::Calibrated(calibrated) => &calibrated.common,
        }
    }

    /// What `meta.profile` calls it.
    pub fn name(&self) -> &str {
        &self.common().name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_name_key_and_line() {
        let source = STORY_PROFILE.replace("drop_percent = 1.0", "drop_percent = \"one\"");
        let line = source
            .lines()
            .position(|l| l.starts_with("drop_percent"))
            .unwrap()
            + 1;
        let err = Profile::parse(&source, "p.toml", "p.toml").unwrap_err();
        assert_eq!(
            (err.line, err.key.as_str()),
            (line, "pending.drop_percent"),
            "{err}"
        );
    }

    #[test]
    fn inline_table_errors_name_the_inner_key() {
        let source = STORY_PROFILE.replacen("median_cents = 6_400", "median_cents = \"x\"", 1);
        let err = Profile::parse(&source, "p.toml", "p.toml").unwrap_err();
        assert_eq!(err.key, "categories.groups.amount.median_cents", "{err}");
    }

    #[test]
    fn the_built_in_profiles_have_their_kinds() {
        assert!(matches!(Profile::story(), Profile::Story(_)));
        assert!(matches!(Profile::calibrated(), Profile::Calibrated(_)));
        assert_eq!(Profile::builtin(DEFAULT_PROFILE).unwrap(), Profile::story());
        for name in BUILTIN_PROFILES {
            assert_eq!(Profile::builtin(name).unwrap().name(), name);
        }
    }
}
