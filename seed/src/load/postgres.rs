//! PostgreSQL loading.

use diesel::pg::PgConnection;

use super::{Batches, LoadMode, LoadReport};
use crate::progress::Progress;

pub(super) fn load(
    _conn: &mut PgConnection,
    _batches: Batches,
    _mode: LoadMode,
    _progress: &Progress,
) -> anyhow::Result<LoadReport> {
    anyhow::bail!("loading into PostgreSQL is not available yet")
}
