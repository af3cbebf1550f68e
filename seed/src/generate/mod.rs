//! Pure generation: one user, with accounts, transactions and ground truth, from (profile,
//! seed, user index, as-of).
//!
//! A [`Generator`] turns a user index into that user's rows; each kind of profile has its
//! generator ([`story`] for a story profile, [`calibrated`] for a calibrated one),
//! and [`GenConfig::with_profile`] is the one place that picks it. Nothing here reads a
//! clock, a file or a global RNG: every draw comes from a generator keyed by (seed, user
//! index, purpose) ([`draws`]), so user `i` is the same whatever the thread count, shard or
//! `--num-users`, and the first N users of any run are the users of an N-user run.
//!
//! What both generators share lives beside them: who a user is ([`identity`]), opening an
//! account ([`accounts`]), dealing personas ([`personas`]), drawing amounts ([`amounts`]) and
//! turning a scheduled series into a recurring stream ([`recurring`]).

mod accounts;
mod amounts;
mod calibrated;
pub mod draws;
mod identity;
mod personas;
pub mod recurring;
mod story;

use std::fmt;
use std::sync::Arc;

use backend::{Account, PersonaLabel, Transaction, User};
use chrono::{NaiveDate, NaiveDateTime};

use crate::dataset::Meta;
use crate::persona::Persona;
use crate::profile::Profile;
use crate::tables::RowBatch;
pub use personas::PersonaDeck;
pub use story::min_payment;

/// A generator of users: one implementation per kind of profile.
pub trait Generator: Send + Sync + fmt::Debug {
    /// User `index` (0-based) with all of their accounts, transactions and ground truth, each
    /// table's rows in output order, as of `config`'s as-of date.
    fn generate_user(&self, config: &GenConfig, index: u64) -> RowBatch;
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
}

/// Generates user `index` (0-based) with the generator `config` calls for.
pub fn generate_user(config: &GenConfig, index: u64) -> RowBatch {
    config.generator.generate_user(config, index)
}

/// One user's rows: the user, the accounts, their transactions, the persona label, and the
/// streams (with their links) that `streams` holds.
fn user_rows(
    user: User,
    accounts: Vec<Account>,
    transactions: Vec<Transaction>,
    persona: Persona,
    streams: RowBatch,
) -> RowBatch {
    let persona_label = PersonaLabel {
        user_id: user.id.clone(),
        persona: persona.name().to_owned(),
    };
    RowBatch {
        users: vec![user],
        accounts,
        transactions,
        persona_labels: vec![persona_label],
        recurring_streams: streams.recurring_streams,
        recurring_stream_transactions: streams.recurring_stream_transactions,
        // The loader derives the change log from the transactions.
        transaction_changes: Vec::new(),
    }
}
