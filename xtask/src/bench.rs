//! `cargo xtask bench`: runs the release binary at several sizes, each phase alone and all
//! together, next to SQLite's own fastest fill of the same schema, and writes the table into
//! BENCHMARKS.md between its `bench:begin` and `bench:end` markers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::flags;
use crate::runs::{
    ADVANCE_1_POSTGRES, ADVANCE_1_SQLITE, ADVANCE_30_POSTGRES, ADVANCE_30_SQLITE, CLIENT_PREFIX,
    FILL_PREFIX, FROM_JSON, GENERATE_JSON, GENERATE_JSON_SQLITE, GENERATE_POSTGRES,
    GENERATE_SQLITE, PSQL_KEYS_IN_PLACE, PSQL_KEYS_REBUILT, Run, machine, medians, remove_db,
    write_report,
};

/// Every run pins the date, so runs at any time generate the same rows.
const AS_OF: &str = "2025-06-01";

impl flags::Bench {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        if self.plaid {
            return crate::bench_plaid::run(&self, sh);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        cmd!(sh, "{cargo} build --release --package seed --bin seed").run()?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from);
        let seed = sh.current_dir().join(target.join("release").join("seed"));
        let dir = sh.current_dir().join("target").join("bench");
        sh.create_dir(&dir)?;
        let json = dir.join("users.json");
        let db = dir.join("bench.db");
        let client = crate::sqlite_client::build(sh, &dir)?;

        let paths = Paths {
            seed: &seed,
            json: json.to_str().context("bench path is UTF-8")?,
            db: &db,
            client: &client,
            dir: &dir,
        };
        let mut runs = Vec::new();
        for &size in &self.sizes {
            let rounds = (0..self.repeat)
                .map(|_| self.round(sh, &paths, size))
                .collect::<anyhow::Result<Vec<_>>>()?;
            runs.extend(medians(rounds)?);
            eprintln!("bench: {size} users done");
        }
        sh.remove_path(&db)?;
        sh.remove_path(&json)?;
        let mut report = render(sh, &runs, &self.profile, self.targets_only, self.repeat)?;
        report.push_str(&crate::targets::render(&runs));
        write_report(sh, &self.out, &report, &self.profile)?;
        println!("{report}");
        println!("Wrote {}", self.out.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// Where a round's files are.
struct Paths<'a> {
    seed: &'a Path,
    json: &'a str,
    db: &'a Path,
    client: &'a Path,
    dir: &'a Path,
}

impl flags::Bench {
    /// One round at `size` users: each phase alone and together, the advances, SQLite's own
    /// fills and the C client, and with a PostgreSQL URL the load and `psql \copy` beside it.
    fn round(&self, sh: &Shell, paths: &Paths<'_>, size: u64) -> anyhow::Result<Vec<Run>> {
        let Paths {
            seed,
            json,
            db,
            client,
            dir,
        } = *paths;
        let n = size.to_string();
        let base = [
            "--num-users",
            n.as_str(),
            "--as-of",
            AS_OF,
            "--profile",
            self.profile.as_str(),
            "--quiet",
        ];
        let db_s = db.to_str().context("bench path is UTF-8")?;
        let mut runs = Vec::new();
        for (what, args) in &phases(&base, json, db_s) {
            remove_db(sh, db)?;
            runs.push(measure(sh, seed, size, what, args)?);
            if *what == GENERATE_SQLITE {
                let steps = &ADVANCES_SQLITE[..advance_steps(self.targets_only)];
                runs.extend(advances(sh, seed, size, db_s, steps)?);
            }
        }
        runs.extend(ceiling(sh, seed, size, db, self.targets_only)?);
        runs.extend(client_ceiling(sh, seed, client, size, db)?);
        if let Some(url) = &self.postgres_url {
            runs.extend(postgres_runs(
                sh,
                seed,
                size,
                &base,
                url,
                dir,
                self.targets_only,
            )?);
        }
        Ok(runs)
    }
}

/// Each phase alone and together, every database load into a fresh file: the seed
/// arguments `base`, with the JSON at `json` and the database at `db`. The JSON written
/// first is the one the last run reads.
fn phases<'a>(base: &[&'a str], json: &'a str, db: &'a str) -> [(&'static str, Vec<&'a str>); 4] {
    [
        (GENERATE_JSON, [base, &["--no-db", "--out", json]].concat()),
        (
            GENERATE_SQLITE,
            [base, &["--no-json", "--database-url", db]].concat(),
        ),
        (
            GENERATE_JSON_SQLITE,
            [base, &["--out", json, "--database-url", db]].concat(),
        ),
        (
            FROM_JSON,
            vec!["--from", json, "--database-url", db, "--quiet"],
        ),
    ]
}

/// How many of the advances to run after each seed: the day a target reads, and with every
/// run, the thirty days after it.
fn advance_steps(targets_only: bool) -> usize {
    if targets_only { 1 } else { 2 }
}

/// The PostgreSQL runs at `size` users: the seed into the database `url` (reset first) with
/// `base`'s arguments, its advances, and `psql \copy` of the same rows beside them; each
/// after a checkpoint, so that none is timed writing out what the one before left, and a
/// checkpoint after the last, so that the runs after them are not either.
fn postgres_runs(
    sh: &Shell,
    seed: &Path,
    size: u64,
    base: &[&str],
    url: &str,
    dir: &Path,
    targets_only: bool,
) -> anyhow::Result<Vec<Run>> {
    cmd!(sh, "{seed} reset-db --allow-unseeded --database-url {url}")
        .quiet()
        .ignore_stdout()
        .run()?;
    crate::pg_baseline::checkpoint(sh, url)?;
    let mut runs = vec![measure(
        sh,
        seed,
        size,
        GENERATE_POSTGRES,
        &[base, &["--no-json", "--database-url", url]].concat(),
    )?];
    for step in &ADVANCES_POSTGRES[..advance_steps(targets_only)] {
        crate::pg_baseline::checkpoint(sh, url)?;
        runs.extend(advances(sh, seed, size, url, std::slice::from_ref(step))?);
    }
    let times =
        crate::pg_baseline::psql_copy_baseline(sh, seed, url, &dir.join("csv"), targets_only)?;
    let baselines = [
        (PSQL_KEYS_IN_PLACE, times.with_keys),
        (PSQL_KEYS_REBUILT, Some(times.keys_rebuilt)),
    ];
    for (what, wall) in baselines
        .into_iter()
        .filter_map(|(what, wall)| Some((what, wall?)))
    {
        runs.push(Run {
            size,
            what: what.into(),
            wall,
            rows: times.rows,
            peak_rss_mib: None,
            note: "same rows, same schema, one transaction".into(),
            insert: None,
            spread: None,
        });
    }
    sh.remove_path(dir.join("csv"))?;
    // What the last load left in the server's buffers is written now, not during the next
    // round's first runs, which do not checkpoint before them.
    crate::pg_baseline::checkpoint(sh, url)?;
    Ok(runs)
}

/// Runs the seed binary once, timing it from the outside and reading its summary. Peak RSS
/// is what `/usr/bin/time` measures from outside, where it is installed; else the binary's
/// own VmHWM.
fn measure(sh: &Shell, seed: &Path, size: u64, what: &str, args: &[&str]) -> anyhow::Result<Run> {
    let time = Path::new("/usr/bin/time");
    let rss_file = seed.with_file_name("bench-peak-rss");
    crate::runs::sync_disk(sh);
    let started = Instant::now();
    let stdout = if time.exists() {
        cmd!(sh, "{time} -f %M -o {rss_file} {seed} {args...}").read()
    } else {
        cmd!(sh, "{seed} {args...}").read()
    }
    .with_context(|| format!("run {what} at {size} users"))?;
    let wall = started.elapsed();
    let outside_rss_mib = time
        .exists()
        .then(|| sh.read_file(&rss_file).ok())
        .flatten()
        .and_then(|out| out.lines().last()?.trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0);
    // A load's line names every table it filled, the change log it derives included; a run
    // without a database names the rows it generated or read; an advance, the changes it
    // logged.
    let rows = stdout
        .lines()
        .find_map(|line| {
            line.strip_prefix("Loaded ")
                .or_else(|| line.strip_prefix("Logged "))
        })
        .or_else(|| {
            stdout.lines().find_map(|line| {
                line.strip_prefix("Generated ")
                    .or_else(|| line.strip_prefix("Read "))
            })
        })
        .map(count_rows)
        .with_context(|| format!("no row counts in the output of {what}"))?;
    let peak_rss_mib = outside_rss_mib.or_else(|| {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix("peak RSS"))
            .and_then(|rest| rest.trim().trim_end_matches("MiB").trim().parse().ok())
    });
    let phases: Vec<String> = stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let secs = words.next()?;
            (["insert", "index", "check"].contains(&name) && words.next() == Some("s"))
                .then(|| format!("{name} {secs} s"))
        })
        .collect();
    // A load's insert phase: from its start until its last row was in.
    let insert = stdout.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next()? == "insert")
            .then(|| words.next()?.parse::<f64>().ok())
            .flatten()
    });
    Ok(Run {
        size,
        what: what.to_owned(),
        wall,
        rows,
        peak_rss_mib,
        note: phases.join(", "),
        insert: insert.map(Duration::from_secs_f64),
        spread: None,
    })
}

/// The advances measured on each backend: a day, then thirty more.
const ADVANCES_SQLITE: [(&str, &str); 2] = [(ADVANCE_1_SQLITE, "1"), (ADVANCE_30_SQLITE, "30")];
const ADVANCES_POSTGRES: [(&str, &str); 2] =
    [(ADVANCE_1_POSTGRES, "1"), (ADVANCE_30_POSTGRES, "30")];

/// `seed advance` of the database at `url`, just seeded, by each step in turn; a run's rows
/// are the changes it logged.
fn advances(
    sh: &Shell,
    seed: &Path,
    size: u64,
    url: &str,
    steps: &[(&str, &str)],
) -> anyhow::Result<Vec<Run>> {
    steps
        .iter()
        .map(|&(what, days)| {
            let args = ["advance", "--days", days, "--database-url", url, "--quiet"];
            measure(sh, seed, size, what, &args)
        })
        .collect()
}

/// Rows of "N users, M accounts, …": the seed binary names every table it wrote or loaded.
fn count_rows(line: &str) -> u64 {
    line.split(',')
        .filter_map(|part| part.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// SQLite's own fills of the same schema into a new file, from staging tables inside the
/// loaded database, which stay behind for [`client_ceiling`].
fn ceiling(
    sh: &Shell,
    seed: &Path,
    size: u64,
    db: &Path,
    fastest_only: bool,
) -> anyhow::Result<Vec<Run>> {
    let fastest = fastest_only.then_some("--fastest-only");
    // The last load's file goes to disk first, as before every run `measure` times; the
    // ceiling itself syncs the staging copies it makes before it times a fill.
    crate::runs::sync_disk(sh);
    let out = cmd!(
        sh,
        "{seed} sqlite-ceiling --keep-staging {fastest...} --database-url {db}"
    )
    .read()?;
    out.lines()
        .filter_map(|line| line.strip_prefix("fill\t"))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, secs, rows, insert] = fields[..] else {
                anyhow::bail!("unexpected ceiling line {line:?}")
            };
            let secs: f64 = secs.parse()?;
            let rows: u64 = rows.parse()?;
            let insert: f64 = insert.parse()?;
            Ok(Run {
                size,
                what: format!("{FILL_PREFIX}{name}"),
                wall: Duration::from_secs_f64(secs),
                rows,
                peak_rss_mib: None,
                note: format!(
                    "staging table → tables of a new file, no Rust code; rows in after {insert:.2} s"
                ),
                insert: Some(Duration::from_secs_f64(insert)),
                spread: None,
            })
        })
        .collect()
}

/// The C client binding the staging tables' rows into the tables of a new file, at each of
/// [`ROWS_PER_STATEMENT`](crate::sqlite_client::ROWS_PER_STATEMENT): the insert span only.
fn client_ceiling(
    sh: &Shell,
    seed: &Path,
    client: &Path,
    size: u64,
    db: &Path,
) -> anyhow::Result<Vec<Run>> {
    let tables = cmd!(sh, "{seed} tables")
        .read()
        .context("list the tables")?;
    let tables: Vec<String> = tables.lines().map(str::to_owned).collect();
    crate::sqlite_client::ROWS_PER_STATEMENT
        .iter()
        .map(|&per| {
            crate::runs::sync_disk(sh);
            let (insert, rows) = crate::sqlite_client::measure(sh, client, db, &tables, per)?;
            Ok(Run {
                size,
                what: format!("{CLIENT_PREFIX}{per} row(s) per INSERT"),
                wall: insert,
                rows,
                peak_rss_mib: None,
                note:
                    "C API, values bound from memory into a new file; insert span only, rolled back"
                        .into(),
                insert: Some(insert),
                spread: None,
            })
        })
        .collect()
}

fn render(
    sh: &Shell,
    runs: &[Run],
    profile: &str,
    targets_only: bool,
    repeat: u32,
) -> anyhow::Result<String> {
    let date = cmd!(sh, "date -u +%Y-%m-%d").read().unwrap_or_default();
    let commit = cmd!(sh, "git rev-parse --short HEAD")
        .read()
        .unwrap_or_default();
    let dirty = !cmd!(sh, "git status --porcelain")
        .read()
        .unwrap_or_default()
        .trim()
        .is_empty();
    let mut out = String::new();
    writeln!(
        out,
        "Measured {date} by `cargo xtask bench` at commit {commit}{} on: {}.",
        if dirty { " (with local changes)" } else { "" },
        machine(sh)
    )?;
    writeln!(
        out,
        "Every run uses `--profile {profile}`, `--as-of {AS_OF}`, seed 42, a fresh database file, \
         and the release build.{}",
        if targets_only {
            " Only the runs the targets read (`--targets-only`): no fill with keys kept, no \
             thirty-day advance, no `psql \\copy` with keys in place."
        } else {
            ""
        }
    )?;
    if repeat > 1 {
        writeln!(
            out,
            "Each line is the median by wall time of {repeat} rounds, each round every run once \
             in turn, with the fastest and the slowest round in brackets; its peak RSS is the \
             highest any of its rounds reached."
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "| users | what | wall time | rows | rows/s | peak RSS | phases |"
    )?;
    writeln!(out, "|---:|---|---:|---:|---:|---:|---|")?;
    for run in runs {
        let secs = run.wall.as_secs_f64();
        let rss = run
            .peak_rss_mib
            .map_or_else(|| "–".to_owned(), |m| format!("{m:.0} MiB"));
        let spread = run.spread.map_or_else(String::new, |(fastest, slowest)| {
            format!(
                " ({:.2}-{:.2})",
                fastest.as_secs_f64(),
                slowest.as_secs_f64()
            )
        });
        writeln!(
            out,
            "| {} | {} | {secs:.2} s{spread} | {} | {:.0}k | {rss} | {} |",
            run.size,
            run.what,
            run.rows,
            run.rows as f64 / secs / 1000.0,
            run.note
        )?;
    }
    Ok(out)
}
