//! The CI fixture dataset: small and pinned, committed for the backend's integration tests.

use std::path::{Path, PathBuf};

use anyhow::Context;
use backend::DatabaseUrl;
use chrono::NaiveDate;

use crate::dataset::Meta;
use crate::generate::GenConfig;
use crate::guard::{Destructive, refuse_remote};
use crate::json::JsonOut;
use crate::pipeline::{self, Database, Outputs, RunReport};
use crate::progress::Progress;

/// Users in the fixture dataset.
pub const NUM_USERS: u64 = 5;

/// The fixture dataset's seed.
pub const SEED: u64 = 7;

/// Where `cargo xtask fixtures` writes the JSON, relative to the workspace root. The file is
/// committed; a test fails when it no longer matches the generator.
pub const JSON_PATH: &str = "backend/tests/fixtures/users.json";

/// Where `cargo xtask fixtures` builds a fresh SQLite database, relative to the workspace root.
pub const DATABASE_PATH: &str = "target/fixtures/spendsense.db";

/// The generator settings of the fixture dataset.
pub fn config() -> GenConfig {
    GenConfig::new(
        SEED,
        NaiveDate::from_ymd_opt(2025, 1, 1).expect("a real date"),
    )
}

/// The fixtures' `meta`.
pub fn meta() -> Meta {
    config().meta(NUM_USERS)
}

/// Writes the fixture dataset to [`JSON_PATH`] and loads it into a freshly reset database:
/// `database_url`, or a new SQLite file at [`DATABASE_PATH`]. Fixtures start from a reset
/// schema, which must not reach a remote server without `allow_remote`.
pub fn write(
    database_url: Option<&str>,
    allow_remote: bool,
    allow_unseeded: bool,
) -> anyhow::Result<(RunReport, DatabaseUrl)> {
    let url = match database_url {
        Some(url) => {
            let url = DatabaseUrl::parse(url)?;
            refuse_remote(&url, Destructive::Reset, allow_remote)?;
            url
        }
        None => {
            let path = PathBuf::from(DATABASE_PATH);
            remove_database_file(&path)?;
            DatabaseUrl::Sqlite { path }
        }
    };
    crate::database::reset(&url, allow_unseeded)?;
    let outputs = Outputs {
        json: Some(JsonOut::File(PathBuf::from(JSON_PATH))),
        database: Some(Database::replace(url.clone())),
    };
    let report = pipeline::generate(
        &config(),
        &meta(),
        0..NUM_USERS,
        &outputs,
        &Progress::default(),
    )?;
    Ok((report, url))
}

/// Removes the fixture database file so the fixtures start from an empty one.
fn remove_database_file(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().expect("the fixture path has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("remove {}", path.display()))
        }
        _ => Ok(()),
    }
}
