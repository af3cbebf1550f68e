//! Pure generation: one user's timeline, with accounts, transactions and ground truth, from
//! (profile, seed, user index, origin), and the user's rows as of any date.
//!
//! A [`Generator`] draws a user's [`Timeline`]: the life of every transaction from the
//! timeline's start (the origin minus the window) forward, never looking at the as-of date,
//! which only decides what is visible. Each kind of profile has its generator ([`story`] for
//! a story profile, [`calibrated`] for a calibrated one), and [`GenConfig::with_profile`] is
//! the one place that picks it. Nothing here reads a clock, a file or a global RNG: every draw
//! and every id is keyed by (seed, user index, purpose, what it is for) ([`draws`]), so user
//! `i` is the same whatever the thread count, shard or `--num-users`, and the first N users of
//! any run are the users of an N-user run.
//!
//! What both generators share lives beside them: who a user is ([`identity`]), opening an
//! account ([`accounts`]), dealing personas ([`personas`]), drawing amounts ([`amounts`]),
//! settling and correcting transactions ([`settle`]), the timeline itself ([`timeline`]) and
//! turning a scheduled series into a recurring stream ([`recurring`]).

mod accounts;
mod amounts;
mod calibrated;
pub mod draws;
mod identity;
mod personas;
pub mod recurring;
mod settle;
mod story;
pub mod timeline;

use std::fmt;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::dataset::Meta;
use crate::persona::Persona;
use crate::profile::Profile;
use crate::tables::{RowBatch, RunRows, with_seeded_tables};
pub use personas::PersonaDeck;
pub use story::min_payment;
use timeline::{Day, Timeline};

/// A generator of users: one implementation per kind of profile.
pub trait Generator: Send + Sync + fmt::Debug {
    /// User `index`'s (0-based) timeline, drawn far enough to show each as-of day in `at`
    /// (days of the timeline), with the user's accounts as each of those days shows them.
    fn timeline<'g>(&'g self, config: &GenConfig, index: u64, at: &[Day]) -> Timeline<'g>;
}

/// What every generated value depends on besides the user index: the seed, the dates and
/// the profile, with the generator the profile's kind calls for.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// The `--seed`.
    pub seed: u64,
    /// The `--as-of` date; all dates fall before its midnight (UTC).
    pub as_of: NaiveDate,
    /// Where every user's timeline starts (`--origin`): the as-of date of the run that first
    /// seeded the data.
    pub origin: NaiveDate,
    /// The distributions (`--profile` or `--config`).
    pub profile: Profile,
    /// How personas are dealt to users.
    deck: PersonaDeck,
    /// The generator for the profile's kind.
    generator: Arc<dyn Generator>,
}

impl GenConfig {
    /// A configuration with the default profile.
    pub fn new(seed: u64, as_of: NaiveDate) -> Self {
        GenConfig::with_profile(seed, as_of, Profile::story())
    }

    /// A configuration drawing from `profile`, with the generator its kind calls for.
    pub fn with_profile(seed: u64, as_of: NaiveDate, profile: Profile) -> Self {
        let generator: Arc<dyn Generator> = match &profile {
            Profile::Story(story) => Arc::new(story::StoryGenerator::new(Arc::clone(story))),
            Profile::Calibrated(calibrated) => {
                Arc::new(calibrated::CalibratedGenerator::new(Arc::clone(calibrated)))
            }
        };
        GenConfig {
            seed,
            as_of,
            origin: as_of,
            deck: PersonaDeck::new(profile.common()),
            profile,
            generator,
        }
    }

    /// Midnight at the start of the as-of date.
    pub fn as_of_midnight(&self) -> NaiveDateTime {
        self.as_of.and_hms_opt(0, 0, 0).expect("midnight exists")
    }

    /// The `meta` of a whole run of `num_users` users with this configuration.
    pub fn meta(&self, num_users: u64) -> Meta {
        Meta::new(
            self.profile.name(),
            self.seed,
            self.as_of,
            self.origin,
            num_users,
        )
    }

    /// The persona of user `index`: a function of (seed, index) only.
    pub fn persona_of(&self, index: u64) -> Persona {
        self.deck.persona_of(self.seed, index)
    }

    /// This configuration with timelines that start from `origin` (the as-of date of the
    /// run that first seeded the data), which is at most the as-of date.
    pub fn with_origin(mut self, origin: NaiveDate) -> GenConfig {
        self.origin = origin;
        self
    }

    /// The first day of every user's timeline: the origin minus the window.
    pub fn start(&self) -> NaiveDate {
        self.origin - Duration::days(self.profile.common().window_days)
    }

    /// The day of the timeline that `date` is.
    pub fn day_of(&self, date: NaiveDate) -> Day {
        (date - self.start()).num_days()
    }

    /// User `index`'s timeline, drawn far enough to show each as-of day in `at`.
    pub fn timeline(&self, index: u64, at: &[Day]) -> Timeline<'_> {
        self.generator.timeline(self, index, at)
    }
}

/// User `index` (0-based) as of `config`'s as-of date: the rows of the window before it, each
/// table's rows in output order.
pub fn generate_user(config: &GenConfig, index: u64) -> RowBatch {
    let a = config.day_of(config.as_of);
    let window = config.profile.common().window_days;
    config.timeline(index, &[a]).snapshot(0, a, a - window)
}

macro_rules! generate_run {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($user_and_derived:tt)*) => {
        /// The run's rows, from the generator of each run table
        /// ([`TableKind::Run`](crate::tables::TableKind::Run)): a function of the run's seed,
        /// profile and dates alone, the same for every shard.
        pub fn generate_run(config: &GenConfig) -> RunRows {
            // With no run table declared, nothing reads `config`.
            let _ = config;
            RunRows { $($run: $generator(config),)* }
        }
    };
}
with_seeded_tables!(generate_run);
