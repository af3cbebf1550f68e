//! `seed advance`: moves a seeded database forward in time, in one transaction, all or
//! nothing.
//!
//! Every user's timeline is a function of (seed, profile, user index, origin), so the rows a
//! database should hold as of any date are known: an advance regenerates each user's timeline
//! up to the new date, takes the difference between the rows as of the database's date and as
//! of the new one ([`diff`]: transactions that appear, pending ones that post or drop, posted
//! ones corrected, balances and statements, recurring streams and their links), applies it
//! where the rows are still as the seeder left them ([`write`]), logs every change day by day
//! in `transaction_changes`, and records itself in `seed_runs`. Which users, and from which
//! date, comes from `seed_runs` ([`state`]). [`sync`] reads the log back as Plaid's
//! `/transactions/sync` pages, for `seed changes` and `--sync-out`; [`read`] reads a database
//! back as its date shows it, for `seed stats --database-url`.

pub mod diff;
mod keys;
pub mod read;
pub mod state;
pub mod sync;
mod write;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use backend::db::MIGRATIONS;
use backend::schema::seed_runs;
use backend::{AnyConnection, DatabaseUrl, SeedRun, TransactionChange};
use chrono::NaiveDate;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use rayon::prelude::*;

use crate::changes::{ChangeStamp, MAX_DAYS};
use crate::dataset::{GENERATOR, Shard};
use crate::generate::GenConfig;
use crate::generate::timeline::Day;
use crate::guard::{Destructive, UserDigest};
use crate::interrupt;
use crate::json::{JsonOut, PreparedJson};
use crate::profile::Profile;
use crate::progress::{Phase, Progress};
use crate::tables::TABLES;
use diff::UserAdvance;
use state::{ADVANCE_SOURCE, DatabaseState};
pub use write::Applied;

/// SQLite's page cache during an advance, in KiB.
const SQLITE_CACHE_KIB: i64 = 65_536;

/// Users an advance generates and writes at a time, at most: a chunk's rows are held in
/// memory and in the temporary tables, so memory stays bounded whatever the number of users.
const CHUNK_USERS: u64 = 512;

/// Days of timeline a chunk generates, at most, in all its users: a user's life is drawn
/// from the first day the database holds to the target, so a long advance takes fewer users
/// at a time and memory stays bounded however far it goes. A day's advance of a freshly
/// seeded database (181 days a user) takes [`CHUNK_USERS`].
const CHUNK_USER_DAYS: u64 = 100_000;

/// How far to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// This many days after the database's date.
    Days(u32),
    /// To this date.
    Date(NaiveDate),
}

/// What an advance is asked to do.
#[derive(Debug, Clone)]
pub struct AdvanceOptions {
    /// The seeded database.
    pub url: DatabaseUrl,
    /// How far.
    pub target: Target,
    /// Only the K-th of N equal slices of the database's users.
    pub shard: Option<Shard>,
    /// The profile file the database was seeded from, if not a built-in one.
    pub config: Option<PathBuf>,
    /// Where to write the advance's changes as `/transactions/sync` pages.
    pub sync_out: Option<JsonOut>,
    /// Advance a database whose users no seed run recorded.
    pub allow_unseeded: bool,
}

/// What an advance did.
#[derive(Debug, Clone)]
pub struct AdvanceReport {
    /// The date the users stood at.
    pub from: NaiveDate,
    /// The date they stand at now.
    pub to: NaiveDate,
    /// The users advanced.
    pub users: Range<u64>,
    /// Rows written and skipped.
    pub applied: Applied,
    /// The changes logged have sequence numbers after this…
    pub since: i64,
    /// …up to this.
    pub until: i64,
    /// Pages written to `--sync-out`, if asked.
    pub pages: Option<u64>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Advances the database `options.url` names, as [the module](self) says.
pub fn advance(options: &AdvanceOptions, progress: &Progress) -> anyhow::Result<AdvanceReport> {
    let started = Instant::now();
    let url = &options.url;
    if let Some(JsonOut::File(path)) = &options.sync_out {
        crate::json::remove_stale_temp_files_of(path);
    }
    let mut session = Session::open(url)?;
    let result = (|| {
        let prepared = session.run(options, progress)?;
        publish(&mut session, prepared, started)
    })();
    if result.is_err() {
        session.rollback();
    }
    // A statement Ctrl-C cancelled on the server fails as the interrupt it was.
    result
        .map_err(crate::database::explain)
        .with_context(|| format!("advance {url}"))
}

/// An open connection whose transaction holds the write lock.
struct Session {
    conn: AnyConnection,
    url: DatabaseUrl,
    /// Cancels a PostgreSQL statement at Ctrl-C while the session lives.
    _cancel: Option<crate::database::postgres::Cancel>,
}

/// An advance written, waiting for its commit.
struct Prepared {
    report: AdvanceReport,
    sync_out: Option<PreparedJson>,
}

impl Session {
    /// Opens `url`, which must hold a seeded database, and begins a transaction that holds
    /// its write lock, waiting at most [`LOCK_WAIT`](crate::guard::LOCK_WAIT) for it.
    fn open(url: &DatabaseUrl) -> anyhow::Result<Session> {
        match url {
            DatabaseUrl::Sqlite { path } => {
                if !path.exists() {
                    anyhow::bail!("{url} does not exist: seed it first");
                }
                let mut conn = crate::database::sqlite::connect(url)?;
                // Foreign keys are checked by the advance itself (keys.rs): enforced by SQLite,
                // they would make every statement journal each page it touches. The pragma
                // only works outside a transaction. In WAL mode (every file a seed leaves),
                // synchronous=NORMAL syncs at checkpoints rather than at every commit and
                // cannot corrupt the file; a power cut may lose the last advance, which is
                // then run again. The pages an advance touches (index leaves all over the
                // transactions' keys) stay in the cache instead of spilling to the log again
                // and again. The staging tables go to a temporary file.
                let synchronous = match crate::database::sqlite::is_wal(&mut conn, url)? {
                    true => "NORMAL",
                    false => "FULL",
                };
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = OFF; PRAGMA synchronous = {synchronous}; \
                     PRAGMA cache_size = -{SQLITE_CACHE_KIB}; PRAGMA temp_store = FILE"
                ))
                .context("configure the connection")?;
                crate::database::sqlite::sqlite_begin(&mut conn, url)?;
                Ok(Session {
                    conn: AnyConnection::Sqlite(conn),
                    url: url.clone(),
                    _cancel: None,
                })
            }
            DatabaseUrl::Postgres { .. } => {
                let (mut conn, cancel) = crate::database::postgres::connect(url)?;
                AnsiTransactionManager::begin_transaction(&mut conn).context("begin")?;
                let mut tables: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
                tables.push("seed_runs".to_owned());
                // Readers (an application, a Plaid stand-in serving the data) go on reading;
                // only other writers wait.
                crate::database::postgres::lock_tables(&mut conn, url, &tables, "EXCLUSIVE")?;
                // The schema check reads diesel's migrations table: a migration under way
                // (which holds it exclusively) is waited for as any other lock, a bounded time.
                let migrations = ["__diesel_schema_migrations".to_owned()];
                crate::database::postgres::lock_tables(
                    &mut conn,
                    url,
                    &migrations,
                    "ACCESS SHARE",
                )?;
                Ok(Session {
                    conn: AnyConnection::Postgresql(conn),
                    url: url.clone(),
                    _cancel: Some(cancel),
                })
            }
        }
    }

    /// Checks the database and the target, writes the advance and prepares its files.
    fn run(&mut self, options: &AdvanceOptions, progress: &Progress) -> anyhow::Result<Prepared> {
        self.check_schema()?;
        self.guard_unseeded(options.allow_unseeded)?;
        let state = DatabaseState::read(&mut self.conn)?;
        let all = state.users()?;
        let users = match options.shard {
            Some(shard) => shard.users(all.end),
            None => all,
        };
        let from = same_date(&state, &users)?;
        let to = match options.target {
            Target::Days(days) => from + chrono::Duration::days(i64::from(days)),
            Target::Date(date) => date,
        };
        check_target(&state, from, to)?;
        let profile = profile(&state, options.config.as_deref())?;
        let config = GenConfig::with_profile(state.seed, to, profile).with_origin(state.origin);
        let since = sync::last_seq(&mut self.conn)?;
        let shard = options.shard.map_or(0, |s| s.index() - 1);
        let writer = write::Writer::new(&mut self.conn)?;
        let mut log = Log::new(shard, to, config.profile.common().window_days);
        progress.phase(Phase::Insert);
        let chunks = chunks(&config, &state.covering(&users), from, to);
        let applied = std::thread::scope(|scope| -> anyhow::Result<Applied> {
            // Generation runs a chunk ahead of the writer, on the thread pool.
            let (sender, receiver) = std::sync::mpsc::sync_channel(1);
            let config = &config;
            scope.spawn(move || {
                for (users, span) in chunks {
                    if sender.send(generate(config, users, span)).is_err() {
                        break;
                    }
                }
            });
            let mut applied = Applied::default();
            for advances in receiver {
                interrupt::check()?;
                let changes = log.stamp(&advances)?;
                applied.add(writer.apply(&mut self.conn, &advances, &changes)?);
                progress.add_generated(advances.len() as u64, changes.len() as u64);
                crate::pause::at("advance");
            }
            Ok(applied)
        })?;
        writer.finish(&mut self.conn)?;
        let until = sync::last_seq(&mut self.conn)?;
        self.record(&state, &users, from, to, options.shard, &applied)?;
        let (sync_out, pages) = match &options.sync_out {
            Some(out) => {
                let mut pages = 0;
                let prepared = PreparedJson::write(out, |file| {
                    pages = sync::write_pages(&mut self.conn, since, sync::MAX_COUNT, file)?;
                    Ok(())
                })?;
                (Some(prepared), Some(pages))
            }
            None => (None, None),
        };
        Ok(Prepared {
            report: AdvanceReport {
                from,
                to,
                users,
                applied,
                since,
                until,
                pages,
                elapsed: Duration::ZERO,
            },
            sync_out,
        })
    }

    /// Refuses a database whose schema this seeder would have to migrate: it was seeded by
    /// an older one.
    fn check_schema(&mut self) -> anyhow::Result<()> {
        let pending = match &mut self.conn {
            AnyConnection::Sqlite(conn) => conn.has_pending_migration(MIGRATIONS),
            AnyConnection::Postgresql(conn) => conn.has_pending_migration(MIGRATIONS),
        }
        .map_err(|e| anyhow::Error::from_boxed(e).context("read the applied migrations"))?;
        if pending {
            anyhow::bail!(
                "{}'s schema is older than {GENERATOR}'s: seed it again to advance it",
                self.url
            );
        }
        Ok(())
    }

    fn guard_unseeded(&mut self, allow_unseeded: bool) -> anyhow::Result<()> {
        match &mut self.conn {
            AnyConnection::Sqlite(conn) => {
                crate::database::sqlite::guard_unseeded(conn, Destructive::Advance, allow_unseeded)
            }
            AnyConnection::Postgresql(conn) => crate::database::postgres::guard_unseeded(
                conn,
                Destructive::Advance,
                allow_unseeded,
            ),
        }
    }

    /// Records the advance in `seed_runs`: the users it moved and the date they stand at.
    fn record(
        &mut self,
        state: &DatabaseState,
        users: &Range<u64>,
        from: NaiveDate,
        to: NaiveDate,
        shard: Option<Shard>,
        applied: &Applied,
    ) -> anyhow::Result<()> {
        let now = chrono::Utc::now().naive_utc();
        let run = SeedRun {
            id: format!("{}-{}", now.format("%Y%m%dT%H%M%S%.9f"), std::process::id()),
            generator: GENERATOR.to_owned(),
            profile: state.profile.clone(),
            seed: state.seed.to_string(),
            as_of: to,
            origin: Some(state.origin),
            shard: shard.map(|s| s.to_string()),
            source: format!("{ADVANCE_SOURCE} from {from}"),
            row_counts: format!(
                "{{\"transactions_inserted\":{},\"transactions_deleted\":{},\
                 \"transactions_updated\":{},\"accounts\":{},\"recurring_streams\":{},\
                 \"recurring_stream_transactions\":{},\"transaction_changes\":{},\
                 \"skipped\":{}}}",
                applied.inserted,
                applied.deleted,
                applied.updated,
                applied.accounts,
                applied.streams,
                applied.links,
                applied.logged,
                applied.skipped
            ),
            finished_at: now,
            // An advance writes no users: the unseeded guard counts those of the loads.
            user_count: Some(0),
            user_ids_digest: Some(UserDigest::default().to_hex()),
            users_from: Some(users.start as i64),
            users_to: Some(users.end as i64),
        };
        diesel::insert_into(seed_runs::table)
            .values(&run)
            .execute(&mut self.conn)
            .context("record the advance in seed_runs")?;
        Ok(())
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        match &mut self.conn {
            AnyConnection::Sqlite(conn) => AnsiTransactionManager::commit_transaction(conn),
            AnyConnection::Postgresql(conn) => AnsiTransactionManager::commit_transaction(conn),
        }
        .map_err(|e| crate::database::explain(e.into()).context("commit"))
    }

    fn rollback(&mut self) {
        let _ = match &mut self.conn {
            AnyConnection::Sqlite(conn) => AnsiTransactionManager::rollback_transaction(conn),
            AnyConnection::Postgresql(conn) => AnsiTransactionManager::rollback_transaction(conn),
        };
    }
}

/// The sync pages' file takes its place, then the transaction commits (past the point of no
/// return); a failure before the commit puts the old file back and rolls back.
fn publish(
    session: &mut Session,
    prepared: Prepared,
    started: Instant,
) -> anyhow::Result<AdvanceReport> {
    crate::pause::at("publish");
    interrupt::check()?;
    let swapped = prepared.sync_out.map(PreparedJson::swap_in).transpose()?;
    let restore = |error: anyhow::Error, swapped: Option<crate::json::SwappedJson>| match swapped {
        Some(swapped) => match swapped.restore() {
            Ok(()) => error,
            Err(restore) => error.context(format!("{restore:#}")),
        },
        None => error,
    };
    if let Err(e) = interrupt::begin_commit() {
        return Err(restore(e.into(), swapped));
    }
    crate::pause::at("commit");
    if let Err(e) = session.commit() {
        return Err(restore(e, swapped));
    }
    if let Some(swapped) = swapped {
        swapped.keep();
    }
    Ok(AdvanceReport {
        elapsed: started.elapsed(),
        ..prepared.report
    })
}

/// The date `users` stand at; fails if they stand at different dates.
fn same_date(state: &DatabaseState, users: &Range<u64>) -> anyhow::Result<NaiveDate> {
    let ranges = state.covering(users);
    let Some(first) = ranges.first() else {
        anyhow::bail!("the database holds no users to advance");
    };
    if let Some(other) = ranges.iter().find(|r| r.as_of != first.as_of) {
        anyhow::bail!(
            "users {}..{} stand at {} and users {}..{} at {}: advance them apart with --shard",
            first.users.start,
            first.users.end,
            first.as_of,
            other.users.start,
            other.users.end,
            other.as_of
        );
    }
    Ok(first.as_of)
}

/// Refuses a target that is not after `from`, or beyond what the change log numbers.
fn check_target(state: &DatabaseState, from: NaiveDate, to: NaiveDate) -> anyhow::Result<()> {
    if to <= from {
        anyhow::bail!("the database stands at {from}: advance to a later date, not {to}");
    }
    if (to - state.origin).num_days() >= MAX_DAYS {
        anyhow::bail!(
            "{to} is more than {} days after the timelines' origin {}",
            MAX_DAYS - 1,
            state.origin
        );
    }
    Ok(())
}

/// The profile the database was seeded from: a built-in one by the name its runs recorded,
/// or the file `config`, whose name must be that name.
fn profile(state: &DatabaseState, config: Option<&std::path::Path>) -> anyhow::Result<Profile> {
    match config {
        Some(path) => {
            let profile = Profile::load(path)?;
            if profile.name() != state.profile {
                anyhow::bail!(
                    "the database was seeded from the profile {:?}, not {}",
                    state.profile,
                    path.display()
                );
            }
            Ok(profile)
        }
        None => Profile::builtin(&state.profile).map_err(|_| {
            anyhow::anyhow!(
                "the database was seeded from the profile file {}: pass --config PATH",
                state.profile
            )
        }),
    }
}

/// Where an advance runs on each user's timeline.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// The first day of the database's rows (the first day of the load's window).
    first: Day,
    /// The as-of days before and after.
    before: Day,
    after: Day,
}

/// The chunks of users to advance, in order, each with its span on the timelines.
fn chunks(
    config: &GenConfig,
    ranges: &[state::UsersAt],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(Range<u64>, Span)> {
    let window = config.profile.common().window_days;
    let mut chunks = Vec::new();
    for range in ranges {
        let span = Span {
            first: config.day_of(range.loaded_as_of) - window,
            before: config.day_of(from),
            after: config.day_of(to),
        };
        let days = u64::try_from(span.after - span.first).unwrap_or(1).max(1);
        let size = (CHUNK_USER_DAYS / days).clamp(1, CHUNK_USERS);
        let mut start = range.users.start;
        while start < range.users.end {
            let end = (start + size).min(range.users.end);
            chunks.push((start..end, span));
            start = end;
        }
    }
    chunks
}

/// The advances of `users`, generated in parallel, in order.
fn generate(config: &GenConfig, users: Range<u64>, span: Span) -> Vec<UserAdvance> {
    users
        .into_par_iter()
        .map(|index| {
            let timeline = config.timeline(index, &[span.before, span.after]);
            UserAdvance::of(&timeline, span.first, span.before, span.after)
        })
        .collect()
}

/// The change log's numbering: per day of the timeline, the next ordinal, handed out in the
/// order of the users, so an advance of seven days numbers its changes as seven advances of
/// one day do.
struct Log {
    shard: u64,
    as_of: NaiveDate,
    /// The timeline day of the origin: as-of days are counted from it in the log.
    origin_day: Day,
    stamps: BTreeMap<Day, ChangeStamp>,
}

impl Log {
    fn new(shard: u64, as_of: NaiveDate, window: Day) -> Log {
        Log {
            shard,
            as_of,
            origin_day: window,
            stamps: BTreeMap::new(),
        }
    }

    /// The log rows of `users`' changes, numbered.
    fn stamp(&mut self, users: &[UserAdvance]) -> anyhow::Result<Vec<TransactionChange>> {
        let mut rows = Vec::new();
        for change in users.iter().flat_map(|u| &u.log) {
            let stamp = match self.stamps.entry(change.day) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert(ChangeStamp::new(
                    change.day - self.origin_day,
                    self.shard,
                    self.as_of,
                )?),
            };
            rows.push(stamp.stamp(&change.id, &change.account_id, change.change)?);
        }
        Ok(rows)
    }
}
