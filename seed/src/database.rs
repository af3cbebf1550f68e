//! The seeder's side of a database: created if missing, migrated, or reset to an empty,
//! current schema.

use anyhow::Context;
use backend::{AnyConnection, DatabaseUrl};

/// Opens `url` for a load: creates a PostgreSQL database the server lacks, then applies
/// every pending migration.
pub fn open(url: &DatabaseUrl) -> anyhow::Result<AnyConnection> {
    url.create_if_missing()?;
    Ok(url.open()?)
}

/// Reverts every migration and applies them again: an empty, current schema.
pub fn reset(url: &DatabaseUrl) -> anyhow::Result<()> {
    url.create_if_missing()?;
    let mut conn = url.connect()?;
    backend::db::reset(&mut conn, url).context("reset the schema")?;
    Ok(())
}
