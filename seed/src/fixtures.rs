//! The CI fixture dataset: small and pinned, committed for the backend's integration tests.

use chrono::NaiveDate;

use crate::generate::GenConfig;

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
