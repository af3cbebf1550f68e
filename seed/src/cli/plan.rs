//! From flags to a plan: every default resolved and every guard applied before any work
//! starts, so a run that is refused has touched nothing.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use backend::DatabaseUrl;
use chrono::NaiveDate;

use super::flags::SeedArgs;
use crate::dataset::{Meta, Shard};
use crate::generate::GenConfig;
use crate::load::{Destructive, LoadMode, refuse_remote};
use crate::pipeline::Outputs;
use crate::profile::Profile;

/// What a `seed` run will do.
#[derive(Debug)]
pub struct SeedPlan {
    /// Where the rows come from.
    pub source: Source,
    /// Where they go.
    pub outputs: Outputs,
    /// Generation threads, if fixed.
    pub threads: Option<u16>,
}

/// Where a run's rows come from.
#[derive(Debug)]
pub enum Source {
    /// Generated users.
    Generate {
        /// Seed, as-of and profile.
        config: GenConfig,
        /// The file's `meta`.
        meta: Meta,
        /// The global indexes of the users to generate.
        users: Range<u64>,
        /// The shard, and the users of the whole run it is part of.
        shard: Option<(Shard, u64)>,
    },
    /// An existing `users.json`.
    File(PathBuf),
}

impl SeedPlan {
    /// Resolves `args`: `today` is the default `--as-of` (the only clock reading of a run).
    pub fn resolve(args: SeedArgs, today: NaiveDate) -> anyhow::Result<SeedPlan> {
        let database = if args.no_db {
            None
        } else {
            let url = DatabaseUrl::from_arg_or_env(args.database_url.as_deref())?;
            // A shard adds its own users and deletes nothing, so it needs no --allow-remote.
            let mode = match args.shard {
                Some(_) => LoadMode::Append,
                None => LoadMode::Replace,
            };
            if mode == LoadMode::Replace {
                refuse_remote(&url, Destructive::Replace, args.allow_remote)?;
            }
            Some((url, mode))
        };
        if let Some(path) = args.from {
            return Ok(SeedPlan {
                source: Source::File(path),
                outputs: Outputs {
                    json: None,
                    database,
                },
                threads: args.threads,
            });
        }
        let config = GenConfig::with_profile(
            args.seed,
            args.as_of.unwrap_or(today),
            load_profile(args.config.as_deref(), &args.profile)?,
        );
        let mut meta = config.meta(args.num_users);
        let users = match args.shard {
            Some(shard) => {
                let users = shard.users(args.num_users);
                meta.num_users = users.end - users.start;
                meta.shard = Some(shard);
                users
            }
            None => 0..args.num_users,
        };
        Ok(SeedPlan {
            source: Source::Generate {
                config,
                meta,
                users,
                shard: args.shard.map(|shard| (shard, args.num_users)),
            },
            outputs: Outputs {
                json: (!args.no_json).then_some(args.out),
                database,
            },
            threads: args.threads,
        })
    }
}

/// The profile file at `path`, else the built-in profile called `name`.
pub fn load_profile(path: Option<&Path>, name: &str) -> anyhow::Result<Arc<Profile>> {
    match path {
        Some(path) => Ok(Arc::new(Profile::load(path)?)),
        None => Profile::builtin(name),
    }
}
