//! Shared helpers: pinned settings, in-memory datasets, running the binary, reading a database.

use std::path::Path;
use std::process::{Command, Output};

use std::sync::Arc;

use backend::{Account, Transaction, User};
use chrono::NaiveDate;
use seed::dataset::Dataset;
use seed::dataset::Meta;
use seed::generate::{GenConfig, generate_run, generate_user};
use seed::json::{EncodedRows, JsonOut, JsonWriter, encode_rows};
use seed::profile::{CalibratedProfile, Profile, StoryProfile};
use seed::tables::RowBatch;

use crate::pg_support::{read_rows, sqlite_url};

/// The as-of date pinned in tests, so results do not depend on the day they run.
pub(crate) const AS_OF: &str = "2025-06-01";

pub(crate) fn as_of() -> NaiveDate {
    NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap()
}

/// The built-in story profile, as its own type.
pub(crate) fn story_profile() -> Arc<StoryProfile> {
    match Profile::story() {
        Profile::Story(story) => story,
        other => panic!("the story profile is a story profile: {other:?}"),
    }
}

/// The built-in calibrated profile, as its own type.
pub(crate) fn calibrated_profile() -> Arc<CalibratedProfile> {
    match Profile::calibrated() {
        Profile::Calibrated(calibrated) => calibrated,
        other => panic!("the calibrated profile is a calibrated profile: {other:?}"),
    }
}

pub(crate) fn config(seed: u64) -> GenConfig {
    GenConfig::new(seed, as_of())
}

/// Generates `num_users` users in memory, as of `as_of`.
pub(crate) fn dataset_at(seed: u64, num_users: u64, as_of: NaiveDate) -> Dataset {
    dataset_on(seed, num_users, as_of, as_of)
}

/// Generates `num_users` users in memory, as of `as_of`, on timelines that start from
/// `origin`: what a database seeded as of `origin` and advanced to `as_of` shows.
pub(crate) fn dataset_on(
    seed: u64,
    num_users: u64,
    origin: NaiveDate,
    as_of: NaiveDate,
) -> Dataset {
    dataset_of(Profile::story(), seed, num_users, origin, as_of)
}

/// [`dataset_on`] with `profile`.
pub(crate) fn dataset_of(
    profile: Profile,
    seed: u64,
    num_users: u64,
    origin: NaiveDate,
    as_of: NaiveDate,
) -> Dataset {
    let config = GenConfig::with_profile(seed, as_of, profile).with_origin(origin);
    let meta = config.meta(num_users);
    let users = (0..num_users).map(|i| generate_user(&config, i));
    Dataset::from_batches(meta, std::iter::once(run_rows(&config)).chain(users))
}

/// The run's rows, which a run hands over before its users'.
pub(crate) fn run_rows(config: &GenConfig) -> RowBatch {
    RowBatch {
        run: generate_run(config),
        ..RowBatch::default()
    }
}

/// Generates `num_users` users in memory.
pub(crate) fn dataset(seed: u64, num_users: u64) -> Dataset {
    dataset_at(seed, num_users, as_of())
}

/// The bytes the streaming writer produces for a dataset.
pub(crate) fn write_json_bytes(meta: &Meta, seed: u64, num_users: u64, dir: &Path) -> Vec<u8> {
    write_config_json_bytes(&GenConfig::new(seed, meta.as_of), meta, num_users, dir)
}

/// The bytes the streaming writer produces for `num_users` users of `config`, one user at a
/// time on this thread (not through the pipeline).
pub(crate) fn write_config_json_bytes(
    config: &GenConfig,
    meta: &Meta,
    num_users: u64,
    dir: &Path,
) -> Vec<u8> {
    let path = dir.join("users.json");
    let mut writer = JsonWriter::create(&JsonOut::File(path.clone()), meta).unwrap();
    let mut encoded = EncodedRows::default();
    encode_rows(&run_rows(config), &mut encoded);
    writer.write(&encoded).unwrap();
    for index in 0..num_users {
        let rows = generate_user(config, index);
        let mut encoded = EncodedRows::default();
        encode_rows(&rows, &mut encoded);
        writer.write(&encoded).unwrap();
    }
    writer.finish().unwrap().swap_in().unwrap().keep();
    std::fs::read(&path).unwrap()
}

/// Runs the `seed` binary with `args` in `dir`, with no DATABASE_URL from the environment.
pub(crate) fn run_seed(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seed"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run the seed binary")
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every row of a SQLite database, through the backend's models, in a stable order.
pub(crate) fn read_sqlite(path: &Path) -> (Vec<User>, Vec<Account>, Vec<Transaction>) {
    let rows = read_rows(&sqlite_url(path));
    (rows.users, rows.accounts, rows.transactions)
}

/// A dataset's rows sorted by id, to compare with [`read_sqlite`].
pub(crate) fn sorted_rows(dataset: &Dataset) -> (Vec<User>, Vec<Account>, Vec<Transaction>) {
    let mut users = dataset.users.clone();
    let mut accounts = dataset.accounts.clone();
    let mut transactions = dataset.transactions.clone();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    transactions.sort_by(|a, b| a.id.cmp(&b.id));
    (users, accounts, transactions)
}
