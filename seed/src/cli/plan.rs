//! From flags to a plan: every default resolved and every guard applied before any work
//! starts, so a run that is refused has touched nothing.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;
use backend::DatabaseUrl;
use chrono::NaiveDate;

use super::flags::SeedArgs;
use crate::dataset::{Meta, Shard};
use crate::generate::GenConfig;
use crate::guard::{Destructive, refuse_remote};
use crate::json::JsonOut;
use crate::load::LoadMode;
use crate::pipeline::{Database, Outputs};
use crate::profile::{Profile, Targets};

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
        config: Box<GenConfig>,
        /// The file's `meta`.
        meta: Meta,
        /// The global indexes of the users to generate.
        users: Range<u64>,
        /// The shard, and the users of the whole run it is part of.
        shard: Option<(Shard, u64)>,
        /// The profile's targets, which `--stats` reports on.
        targets: Option<Box<Targets>>,
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
            Some(Database {
                url,
                mode,
                allow_unseeded: args.allow_unseeded,
            })
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
        let as_of = args.as_of.unwrap_or(today);
        let origin = args.origin.unwrap_or(as_of);
        if origin > as_of {
            anyhow::bail!(
                "--origin {origin} is after --as-of {as_of}: a timeline starts before it is seen"
            );
        }
        if (as_of - origin).num_days() >= crate::changes::MAX_DAYS {
            anyhow::bail!(
                "--as-of {as_of} is more than {} days after --origin {origin}",
                crate::changes::MAX_DAYS - 1
            );
        }
        let config = GenConfig::with_profile(
            args.seed,
            as_of,
            load_profile(args.config.as_deref(), &args.profile)?,
        )
        .with_origin(origin);
        // The report after the commit measures the data against these targets: a band that
        // cannot be measured is refused now, before anything is written.
        let targets = load_targets(args.config.as_deref(), &args.profile)?;
        if let Some(targets) = &targets {
            check_targets(targets, &config.profile).with_context(|| match &args.config {
                Some(config) => targets_path(config).display().to_string(),
                None => format!("the {} profile's targets", args.profile),
            })?;
        }
        let json = match args.no_json {
            true => None,
            false => Some(json_out(
                &args.out,
                database.as_ref().map(|d| &d.url),
                args.config.as_deref(),
            )?),
        };
        let mut meta = config.meta(args.num_users);
        let users = match args.shard {
            Some(shard) => {
                let users = shard.users(args.num_users);
                meta.num_users = users.end - users.start;
                meta.shard = Some(shard);
                meta.first_user = Some(users.start);
                users
            }
            None => 0..args.num_users,
        };
        Ok(SeedPlan {
            source: Source::Generate {
                config: Box::new(config),
                meta,
                users,
                shard: args.shard.map(|shard| (shard, args.num_users)),
                targets: targets.map(Box::new),
            },
            outputs: Outputs { json, database },
            threads: args.threads,
        })
    }
}

/// Checks `--out PATH` before anything is written: `-` is standard output, which must be
/// open; otherwise the folder must exist, and the path must not be a folder, the database
/// being loaded or one of its journal files (`-wal`, `-shm`, `-journal`, which SQLite
/// deletes), the profile being read or its targets, or anything but a regular file (a device
/// such as /dev/null, a FIFO, a socket), since the run replaces it. A symbolic link is
/// followed: its target is replaced.
pub fn json_out(
    out: &Path,
    database: Option<&DatabaseUrl>,
    config: Option<&Path>,
) -> anyhow::Result<JsonOut> {
    if out.as_os_str() == "-" {
        if stdout_discards() {
            anyhow::bail!(
                "--out -: standard output is closed or /dev/null, so the JSON would go nowhere; \
                 pass --no-json to write none"
            );
        }
        return Ok(JsonOut::Stdout);
    }
    let shown = out.display();
    let path = match std::fs::metadata(out) {
        Ok(meta) if meta.is_dir() => anyhow::bail!("--out {shown} is a folder, not a file"),
        Ok(meta) if !meta.is_file() => anyhow::bail!(
            "--out {shown} is not a regular file (a device, FIFO or socket); refusing to \
             replace it"
        ),
        Ok(_) => std::fs::canonicalize(out).with_context(|| format!("resolve --out {shown}"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(out).is_ok() {
                anyhow::bail!("--out {shown} is a symbolic link to nothing");
            }
            let dir = match out.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            if !dir.is_dir() {
                anyhow::bail!(
                    "cannot write {shown}: directory {} does not exist",
                    dir.display()
                );
            }
            out.to_path_buf()
        }
        Err(e) => return Err(e).with_context(|| format!("--out {shown}")),
    };
    let same = |other: &Path| same_file(&path, other);
    if let Some(DatabaseUrl::Sqlite { path: db }) = database {
        if same(db) {
            anyhow::bail!("--out {shown} is the database being loaded; refusing to overwrite it");
        }
        if sqlite_journals(db).iter().any(|journal| same(journal)) {
            anyhow::bail!(
                "--out {shown} is a journal file of the database being loaded, which SQLite \
                 deletes; refusing to write the JSON there"
            );
        }
    }
    if let Some(config) = config {
        if same(config) {
            anyhow::bail!("--out {shown} is the profile being read; refusing to overwrite it");
        }
        if same(&targets_path(config)) {
            anyhow::bail!(
                "--out {shown} is the targets file of the profile being read; refusing to \
                 overwrite it"
            );
        }
    }
    Ok(JsonOut::File(path))
}

/// Whether standard output discards what is written to it: closed (`>&-`, which Rust's
/// runtime reopens on /dev/null before `main`) or /dev/null itself. The run would commit and
/// say it wrote the JSON while the JSON went nowhere.
fn stdout_discards() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let stdout = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|file| file.metadata());
    match (stdout, std::fs::metadata("/dev/null")) {
        (Err(_), _) => true,
        (Ok(out), Ok(null)) => {
            std::os::unix::fs::FileTypeExt::is_char_device(&out.file_type())
                && out.rdev() == null.rdev()
        }
        (Ok(_), Err(_)) => false,
    }
}

/// The files SQLite keeps beside the database at `db` while it writes (and deletes after):
/// named after the path as given and, for a symbolic link, after the file it points to,
/// which is the name SQLite uses.
fn sqlite_journals(db: &Path) -> Vec<PathBuf> {
    let mut bases = vec![db.to_path_buf()];
    if let Ok(target) = std::fs::read_link(db) {
        bases.push(db.parent().unwrap_or(Path::new("")).join(target));
    }
    let mut journals = Vec::new();
    for base in bases {
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = base.as_os_str().to_owned();
            name.push(suffix);
            journals.push(PathBuf::from(name));
        }
    }
    journals
}

/// Whether `a` and `b` name the same file, existing or not: both resolved as far as they
/// exist.
fn same_file(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let dir = match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
        })
    };
    matches!((resolve(a), resolve(b)), (Some(a), Some(b)) if a == b)
}

/// The profile file at `path`, else the built-in profile called `name`.
pub fn load_profile(path: Option<&Path>, name: &str) -> anyhow::Result<Profile> {
    match path {
        Some(path) => Profile::load(path),
        None => Profile::builtin(name),
    }
}

/// Where the targets of the profile file at `config` are: `NAME.targets.toml` beside
/// `NAME.toml`.
fn targets_path(config: &Path) -> PathBuf {
    config.with_extension("targets.toml")
}

/// Refuses targets that a run's report could not measure (a band naming an unknown measure),
/// so that a run never fails after its commit for want of a measure.
pub fn check_targets(targets: &Targets, profile: &Profile) -> anyhow::Result<()> {
    crate::stats::evaluate(&crate::stats::Stats::default(), profile, targets).map(drop)
}

/// The targets of a profile: those shipped with a built-in profile, or for a profile file
/// `NAME.toml` the file `NAME.targets.toml` beside it, if there is one.
pub fn load_targets(path: Option<&Path>, name: &str) -> anyhow::Result<Option<Targets>> {
    let Some(path) = path else {
        return Ok(Targets::builtin(name));
    };
    let beside = targets_path(path);
    match std::fs::read_to_string(&beside) {
        Ok(source) => Ok(Some(Targets::parse(
            &source,
            &beside.display().to_string(),
        )?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", beside.display())),
    }
}
