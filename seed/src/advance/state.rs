//! Where a seeded database stands, read from its `seed_runs`: which generator, profile, seed
//! and timeline origin wrote it, and for each range of users, the date their rows show and
//! the first day of the window the load wrote for them.

use std::ops::Range;

use anyhow::Context;
use backend::schema::seed_runs;
use backend::{AnyConnection, SeedRun};
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::dataset::GENERATOR;

/// What the database's runs agree on, and where each range of users stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseState {
    /// The profile's name, as `meta.profile` recorded it.
    pub profile: String,
    /// The seed.
    pub seed: u64,
    /// Where every user's timeline starts.
    pub origin: NaiveDate,
    /// Every user range the runs cover, in order of the users.
    pub ranges: Vec<UsersAt>,
}

/// A range of users and where they stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersAt {
    /// Their indexes in the seed's sequence of users.
    pub users: Range<u64>,
    /// The as-of date their rows show.
    pub as_of: NaiveDate,
    /// The as-of date of the load that wrote them: its window's rows are the first in the
    /// database.
    pub loaded_as_of: NaiveDate,
}

impl DatabaseState {
    /// Reads the runs of the database `conn` is connected to (inside its transaction).
    pub fn read(conn: &mut AnyConnection) -> anyhow::Result<DatabaseState> {
        let runs: Vec<SeedRun> = seed_runs::table
            .select(SeedRun::as_select())
            .order((seed_runs::finished_at, seed_runs::id))
            .load(conn)
            .context("read seed_runs")?;
        DatabaseState::from_runs(&runs)
    }

    /// Where the database stands by `runs`, oldest first.
    pub fn from_runs(runs: &[SeedRun]) -> anyhow::Result<DatabaseState> {
        let Some(first) = runs.first() else {
            anyhow::bail!("no seed run recorded the database's rows: seed it first");
        };
        for run in runs {
            if run.generator != GENERATOR {
                anyhow::bail!(
                    "the database was seeded by {} and this is {GENERATOR}: seed it again with \
                     this version to advance it",
                    run.generator
                );
            }
            let same = run.profile == first.profile
                && run.seed == first.seed
                && run.origin == first.origin;
            if !same {
                anyhow::bail!(
                    "the database's seed runs disagree (profile {} seed {} origin {:?}, and \
                     profile {} seed {} origin {:?}): seed it again to advance it",
                    first.profile,
                    first.seed,
                    first.origin,
                    run.profile,
                    run.seed,
                    run.origin
                );
            }
        }
        let origin = first
            .origin
            .context("the database's first seed run records no origin: seed it again")?;
        let seed = first
            .seed
            .parse()
            .with_context(|| format!("seed_runs records the seed {:?}", first.seed))?;
        let mut ranges: Vec<UsersAt> = Vec::new();
        for run in runs {
            let (Some(from), Some(to)) = (run.users_from, run.users_to) else {
                anyhow::bail!(
                    "seed run {} records no range of users (it is older than ranges): seed the \
                     database again to advance it",
                    run.id
                );
            };
            let users = u64::try_from(from).unwrap_or(0)..u64::try_from(to).unwrap_or(0);
            if run.source.starts_with(ADVANCE_SOURCE) {
                advance_ranges(&mut ranges, users, run.as_of)?;
            } else {
                ranges.push(UsersAt {
                    users,
                    as_of: run.as_of,
                    loaded_as_of: run.as_of,
                });
            }
        }
        ranges.retain(|r| !r.users.is_empty());
        ranges.sort_by_key(|r| r.users.start);
        Ok(DatabaseState {
            profile: first.profile.clone(),
            seed,
            origin,
            ranges,
        })
    }

    /// The users the database holds, from the first to one past the last; fails if the
    /// ranges leave a gap or overlap.
    pub fn users(&self) -> anyhow::Result<Range<u64>> {
        let mut next = 0;
        for range in &self.ranges {
            if range.users.start != next {
                anyhow::bail!(
                    "the seed runs cover users {}..{} after users up to {next}: the database \
                     holds a part of a run (some shards but not the first ones?)",
                    range.users.start,
                    range.users.end
                );
            }
            next = range.users.end;
        }
        Ok(0..next)
    }

    /// The ranges of `users` with where they stand, split where their dates differ.
    pub fn covering(&self, users: &Range<u64>) -> Vec<UsersAt> {
        self.ranges
            .iter()
            .filter_map(|r| {
                let start = r.users.start.max(users.start);
                let end = r.users.end.min(users.end);
                (start < end).then(|| UsersAt {
                    users: start..end,
                    ..r.clone()
                })
            })
            .collect()
    }
}

/// What an advance's `seed_runs.source` starts with: `advance from YYYY-MM-DD`.
pub const ADVANCE_SOURCE: &str = "advance";

/// Marks `users` as now standing at `as_of`, splitting the ranges they fall in.
fn advance_ranges(
    ranges: &mut Vec<UsersAt>,
    users: Range<u64>,
    as_of: NaiveDate,
) -> anyhow::Result<()> {
    let mut split = Vec::with_capacity(ranges.len() + 2);
    let mut covered = 0;
    for r in ranges.drain(..) {
        let start = r.users.start.max(users.start);
        let end = r.users.end.min(users.end);
        if start >= end {
            split.push(r);
            continue;
        }
        covered += end - start;
        split.push(UsersAt {
            users: r.users.start..start,
            ..r.clone()
        });
        split.push(UsersAt {
            users: start..end,
            as_of,
            ..r.clone()
        });
        split.push(UsersAt {
            users: end..r.users.end,
            ..r
        });
    }
    split.retain(|r| !r.users.is_empty());
    *ranges = split;
    if covered != users.end - users.start {
        anyhow::bail!(
            "an advance of users {}..{} covers users no load wrote: seed_runs is inconsistent",
            users.start,
            users.end
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, day).unwrap()
    }

    fn run(source: &str, as_of: u32, users: Range<i64>) -> SeedRun {
        SeedRun {
            id: format!("{source}-{as_of}-{}", users.start),
            generator: GENERATOR.to_owned(),
            profile: "story".into(),
            seed: "42".into(),
            as_of: date(as_of),
            origin: Some(date(1)),
            shard: None,
            source: source.into(),
            row_counts: "{}".into(),
            finished_at: date(as_of).and_hms_opt(0, 0, 0).unwrap(),
            user_count: None,
            user_ids_digest: None,
            users_from: Some(users.start),
            users_to: Some(users.end),
        }
    }

    #[test]
    fn advances_split_the_ranges_they_move() {
        let runs = [
            run("generated", 1, 0..10),
            run("generated", 1, 10..20),
            run("advance from 2026-01-01", 5, 5..15),
        ];
        let state = DatabaseState::from_runs(&runs).unwrap();
        let at: Vec<(Range<u64>, u32)> = state
            .ranges
            .iter()
            .map(|r| (r.users.clone(), r.as_of.day()))
            .collect();
        assert_eq!(at, [(0..5, 1), (5..10, 5), (10..15, 5), (15..20, 1)]);
        assert_eq!(state.users().unwrap(), 0..20);
        assert_eq!(state.covering(&(8..12)).len(), 2);
        assert!(state.ranges.iter().all(|r| r.loaded_as_of == date(1)));
    }

    #[test]
    fn another_generator_or_a_gap_is_refused() {
        let mut old = run("generated", 1, 0..10);
        old.generator = "spendsense-seed 0.1.0".into();
        let err = DatabaseState::from_runs(&[old]).unwrap_err().to_string();
        assert!(err.contains("spendsense-seed 0.1.0"), "{err}");
        let state = DatabaseState::from_runs(&[run("generated", 1, 10..20)]).unwrap();
        assert!(state.users().is_err());
        assert!(DatabaseState::from_runs(&[]).is_err());
    }

    use chrono::Datelike;
}
