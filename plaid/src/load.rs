//! The load generator (placeholder).

use clap::Args;

/// Flags of `plaid load`.
#[derive(Debug, Args)]
pub struct LoadArgs {}

/// Runs the load.
pub fn run(_args: LoadArgs, _database_url: Option<&str>) -> anyhow::Result<()> {
    Ok(())
}
