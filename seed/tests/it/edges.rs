//! The promises at the edges, on SQLite and without a server: Ctrl-C at every step, a run that
//! fails changes nothing, dangerous --out values, values beyond what the generator
//! represents, an application's rows the load would orphan, --from refusing what a seeded
//! database never holds, bounded lock waits, and the seed_runs guard.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use crate::running::{Running, leftovers, snapshot};
use crate::support::{AS_OF, run_seed, stderr, stdout};

/// A folder holding `users.json` and `db.sqlite` from a first run (seed 1, 30 users).
pub(crate) struct Seeded {
    pub(crate) dir: tempfile::TempDir,
}

impl Seeded {
    pub(crate) fn new() -> Seeded {
        let seeded = Seeded {
            dir: tempfile::tempdir().unwrap(),
        };
        let output = seeded.seed(&["--seed", "1", "--num-users", "30"]);
        assert!(output.status.success(), "{}", stderr(&output));
        seeded
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The two outputs of a run, to compare before and after.
    pub(crate) fn outputs(&self) -> [PathBuf; 2] {
        [self.path("users.json"), self.path("db.sqlite")]
    }

    /// Runs seed with `extra`, --as-of pinned and the two outputs here unless `extra` names
    /// them.
    pub(crate) fn seed(&self, extra: &[&str]) -> std::process::Output {
        run_seed(self.dir.path(), &self.args(extra))
    }

    pub(crate) fn args<'a>(&self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["--as-of", AS_OF];
        for (flag, default) in [("--out", "users.json"), ("--database-url", "db.sqlite")] {
            if !extra.contains(&flag) {
                args.extend([flag, default]);
            }
        }
        args.extend_from_slice(extra);
        args
    }

    pub(crate) fn sqlite(&self) -> SqliteConnection {
        SqliteConnection::establish(self.path("db.sqlite").to_str().unwrap()).unwrap()
    }

    pub(crate) fn count(&self, table: &str) -> i64 {
        count(&mut self.sqlite(), table)
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(crate) fn count(conn: &mut SqliteConnection, table: &str) -> i64 {
    let count: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result(conn)
        .unwrap();
    count.n
}

/// Checks that a failed run said one line, did not panic, and changed nothing.
pub(crate) fn assert_failed_cleanly(
    output: &std::process::Output,
    before: &[Option<Vec<u8>>],
    seeded: &Seeded,
    what: &str,
) {
    let err = stderr(output);
    assert!(!output.status.success(), "{what} succeeded");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert_eq!(
        snapshot(&seeded.outputs()),
        before,
        "{what} changed the JSON or the database"
    );
    assert_eq!(leftovers(seeded.dir.path()), Vec::<String>::new(), "{what}");
}

/// Ctrl-C at every step before the commit point: the run rolls back, exits 130, and the
/// JSON file and the database stay byte for byte as they were.
#[test]
fn ctrl_c_before_the_commit_rolls_back_at_every_step() {
    for point in ["generate", "insert", "index", "check", "publish", "swapped"] {
        let seeded = Seeded::new();
        let before = snapshot(&seeded.outputs());
        let args = seeded.args(&["--seed", "2", "--num-users", "40"]);
        let mut run = Running::start(seeded.dir.path(), &args, &[("SEED_TEST_PAUSE", point)]);
        run.wait_for(&format!("paused at {point}"));
        run.interrupt();
        run.wait_for("interrupted: rolling back");
        run.resume();
        let (status, said) = run.finish();
        assert_eq!(status.code(), Some(130), "at {point}: {said}");
        assert!(
            said.contains("error: interrupted; nothing was changed"),
            "at {point}: {said}"
        );
        assert_eq!(
            snapshot(&seeded.outputs()),
            before,
            "an interrupt at {point} changed the JSON or the database"
        );
        assert_eq!(
            leftovers(seeded.dir.path()),
            Vec::<String>::new(),
            "{point}"
        );
    }
}

/// Ctrl-C once the commit has begun: the run finishes, both outputs hold the new data, it
/// says so, and it exits 0 because everything it set out to do was done.
#[test]
fn ctrl_c_during_the_commit_finishes_the_run_and_says_so() {
    let seeded = Seeded::new();
    let before = snapshot(&seeded.outputs());
    let args = seeded.args(&["--seed", "2", "--num-users", "40"]);
    let mut run = Running::start(seeded.dir.path(), &args, &[("SEED_TEST_PAUSE", "commit")]);
    run.wait_for("paused at commit");
    run.interrupt();
    run.wait_for("interrupted while committing: the run finishes");
    run.resume();
    let (status, said) = run.finish();
    assert_eq!(status.code(), Some(0), "{said}");
    let after = snapshot(&seeded.outputs());
    assert_ne!(after[0], before[0], "the JSON was not replaced");
    assert_eq!(seeded.count("users"), 40);
    let json: seed::dataset::Dataset = serde_json::from_slice(after[0].as_ref().unwrap()).unwrap();
    assert_eq!(json.users.len(), 40);
    assert_eq!(json.meta.seed, 2);
}

/// A --out that cannot or must not be written is refused before anything is written.
#[test]
fn dangerous_out_paths_are_refused_and_change_nothing() {
    let seeded = Seeded::new();
    std::fs::create_dir(seeded.path("a-folder")).unwrap();
    std::os::unix::fs::symlink(seeded.path("nowhere"), seeded.path("dangling")).unwrap();
    let before = snapshot(&seeded.outputs());
    let cases: [(&[&str], &str); 5] = [
        (&["--out", "a-folder"], "is a folder"),
        (&["--out", "db.sqlite"], "is the database being loaded"),
        (&["--out", "./db.sqlite"], "is the database being loaded"),
        (&["--out", "/dev/null"], "is not a regular file"),
        (&["--out", "dangling"], "symbolic link to nothing"),
    ];
    for (args, expected) in cases {
        let mut args = args.to_vec();
        args.extend(["--seed", "3", "--num-users", "5"]);
        let output = seeded.seed(&args);
        assert_failed_cleanly(&output, &before, &seeded, &format!("{args:?}"));
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(
        std::os::unix::fs::FileTypeExt::is_char_device(&null.file_type()),
        "/dev/null is no longer a device"
    );
}

#[test]
fn out_dash_writes_the_json_to_standard_output() {
    let seeded = Seeded::new();
    let to_file = seeded.seed(&["--seed", "4", "--num-users", "12", "--no-db"]);
    assert!(to_file.status.success(), "{}", stderr(&to_file));
    let file = std::fs::read(seeded.path("users.json")).unwrap();
    let output = seeded.seed(&["--seed", "4", "--num-users", "12", "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout == file, "stdout differs from the file");
    assert!(
        stderr(&output).contains("Wrote standard output"),
        "{}",
        stderr(&output)
    );
    assert_eq!(seeded.count("users"), 12, "the database was loaded too");
}

#[test]
fn out_through_a_symbolic_link_replaces_the_target_and_keeps_the_link() {
    let seeded = Seeded::new();
    std::os::unix::fs::symlink("users.json", seeded.path("link.json")).unwrap();
    let output = seeded.seed(&["--seed", "5", "--num-users", "7", "--out", "link.json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let link = std::fs::symlink_metadata(seeded.path("link.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let data: seed::dataset::Dataset =
        serde_json::from_slice(&std::fs::read(seeded.path("users.json")).unwrap()).unwrap();
    assert_eq!(data.users.len(), 7);
}

/// Values outside what the generator represents get one line and exit 2, never a panic.
#[test]
fn arguments_beyond_what_the_generator_represents_are_refused() {
    let seeded = Seeded::new();
    let before = snapshot(&seeded.outputs());
    for args in [
        ["--as-of=-262143-01-01", "--num-users=2"],
        ["--as-of=-262143-12-31", "--num-users=2"],
        ["--as-of=+262142-12-31", "--num-users=2"],
        ["--as-of=0001-01-01", "--num-users=2"],
        ["--as-of=9999-12-31", "--num-users=2"],
        ["--threads=65535", "--num-users=2"],
        ["--threads=0", "--num-users=2"],
    ] {
        let output = seeded.seed(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_failed_cleanly(&output, &before, &seeded, &format!("{args:?}"));
    }
}

/// An application's table referencing users: a replacing load that would leave its rows
/// without their users is refused, and one that keeps them (the same users) goes through.
#[test]
fn a_replacing_load_refuses_to_orphan_an_applications_rows() {
    let seeded = Seeded::new();
    let mut conn = seeded.sqlite();
    conn.batch_execute(
        "CREATE TABLE insights (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL \
         REFERENCES users (id), note TEXT NOT NULL); \
         INSERT INTO insights (user_id, note) SELECT id, 'spends on coffee' FROM users LIMIT 10;",
    )
    .unwrap();
    drop(conn);
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "9", "--num-users", "30"]);
    assert_failed_cleanly(&output, &before, &seeded, "a load orphaning insights");
    let err = stderr(&output);
    assert!(
        err.contains(
            "the load would orphan 10 rows of insights, which reference users by insights.user_id"
        ),
        "{err}"
    );
    // The same seed and as-of give the same users: nothing is orphaned.
    let output = seeded.seed(&["--seed", "1", "--num-users", "30"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(seeded.count("insights"), 10);
}

/// `--from` refuses, naming the record, what a seeded database never holds.
#[test]
fn from_refuses_what_a_seeded_database_never_holds() {
    let seeded = Seeded::new();
    let text = std::fs::read_to_string(seeded.path("users.json")).unwrap();
    let data: seed::dataset::Dataset = serde_json::from_str(&text).unwrap();
    let user = &data.users[3];
    let gmail = text.replacen(&user.email, "someone@gmail.com", 1);
    std::fs::write(seeded.path("gmail.json"), gmail).unwrap();
    let label = &data.persona_labels[2];
    let record = |persona: &str| {
        format!(
            "\"user_id\": \"{}\",\n      \"persona\": \"{persona}\"",
            label.user_id
        )
    };
    assert!(text.contains(&record(&label.persona)));
    let unknown = text.replacen(&record(&label.persona), &record("big_spender"), 1);
    std::fs::write(seeded.path("persona.json"), unknown).unwrap();
    let before = snapshot(&seeded.outputs());
    for (file, expected) in [
        (
            "gmail.json",
            format!(
                "user {}: email \"someone@gmail.com\" is not on a reserved",
                user.id
            ),
        ),
        (
            "persona.json",
            format!(
                "persona label of user {}: unknown persona \"big_spender\"",
                label.user_id
            ),
        ),
    ] {
        let output = run_seed(
            seeded.dir.path(),
            &["--from", file, "--database-url", "db.sqlite"],
        );
        assert_failed_cleanly(&output, &before, &seeded, file);
        assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
    }
}

/// A writer holding the database: the load waits a bounded time and says why; Ctrl-C ends
/// the wait.
#[test]
fn a_held_lock_makes_the_load_wait_a_bounded_time_and_ctrl_c_ends_the_wait() {
    let seeded = Seeded::new();
    let mut app = seeded.sqlite();
    app.batch_execute("BEGIN IMMEDIATE; UPDATE users SET consent = consent;")
        .unwrap();
    let before = snapshot(&seeded.outputs());
    let started = std::time::Instant::now();
    let output = seeded.seed(&["--seed", "6", "--num-users", "5", "--quiet"]);
    let waited = started.elapsed();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    // It says it waits, then why it stopped: the error is one line.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("is locked by another connection: waiting up to 5 s"),
        "{err}"
    );
    assert!(
        lines[1].starts_with(
            "error: load into SQLite database db.sqlite: locked by another connection (an \
             open transaction or another load): waited 5 s for it; nothing was changed"
        ),
        "{err}"
    );
    assert!(
        waited >= std::time::Duration::from_secs(5),
        "gave up after {waited:?}"
    );
    assert_eq!(snapshot(&seeded.outputs()), before);
    let args = seeded.args(&["--seed", "6", "--num-users", "5"]);
    let mut run = Running::start(seeded.dir.path(), &args, &[]);
    run.wait_for("is locked by another connection: waiting up to 5 s");
    run.interrupt();
    let (status, said) = run.finish();
    assert_eq!(status.code(), Some(130), "{said}");
    assert!(
        said.contains("error: interrupted; nothing was changed"),
        "{said}"
    );
    app.batch_execute("ROLLBACK").unwrap();
    drop(app);
    assert_eq!(snapshot(&seeded.outputs()), before);
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

pub(crate) fn journal_mode(conn: &mut SqliteConnection) -> String {
    diesel::sql_query("PRAGMA journal_mode")
        .get_result::<JournalMode>(conn)
        .unwrap()
        .journal_mode
}

/// A load into a file it creates leaves it in WAL mode (it fills it under the rollback
/// journal, which nothing could be reading), so the next load finds it ready for readers;
/// `SEED_SQLITE_JOURNAL=rollback` keeps the rollback journal.
#[test]
fn a_new_file_is_left_ready_for_readers() {
    let seeded = Seeded::new();
    assert_eq!(journal_mode(&mut seeded.sqlite()), "wal");
    let output = seeded.seed(&["--seed", "2", "--num-users", "10"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(journal_mode(&mut seeded.sqlite()), "wal");
    assert_eq!(seeded.count("users"), 10);

    let rollback = seeded.path("rollback.sqlite");
    let output = seed_with_env(
        &[
            "--num-users",
            "5",
            "--as-of",
            AS_OF,
            "--no-json",
            "--database-url",
            rollback.to_str().unwrap(),
        ],
        &[("SEED_SQLITE_JOURNAL", "rollback")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let mut conn = SqliteConnection::establish(rollback.to_str().unwrap()).unwrap();
    assert_eq!(journal_mode(&mut conn), "delete");
}

/// With write-ahead logging (the default for a file that exists), the application's readers
/// go on reading the old data during a load and see the new data after it.
#[test]
fn readers_keep_reading_the_old_data_during_a_load() {
    let seeded = Seeded::new();
    let args = seeded.args(&["--seed", "7", "--num-users", "45"]);
    let mut run = Running::start(seeded.dir.path(), &args, &[("SEED_TEST_PAUSE", "check")]);
    run.wait_for("paused at check");
    let mut app = seeded.sqlite();
    assert_eq!(
        count(&mut app, "users"),
        30,
        "the reader sees the old users"
    );
    run.resume();
    let (status, said) = run.finish();
    assert!(status.success(), "{said}");
    assert_eq!(
        count(&mut app, "users"),
        45,
        "the reader sees the new users"
    );
}

#[derive(QueryableByName)]
struct Run {
    #[diesel(sql_type = Text)]
    generator: String,
    #[diesel(sql_type = Text)]
    profile: String,
    #[diesel(sql_type = Text)]
    seed: String,
    #[diesel(sql_type = Text)]
    as_of: String,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    row_counts: String,
}

fn runs(conn: &mut SqliteConnection) -> Vec<Run> {
    diesel::sql_query(
        "SELECT generator, profile, seed, CAST(as_of AS TEXT) AS as_of, source, row_counts \
         FROM seed_runs ORDER BY finished_at",
    )
    .load(conn)
    .unwrap()
}

/// Every load records itself; a replacing load and reset-db refuse users that no run
/// recorded, naming how many, unless --allow-unseeded.
#[test]
fn seed_runs_record_every_load_and_guard_unrecorded_users() {
    let seeded = Seeded::new();
    let recorded = runs(&mut seeded.sqlite());
    assert_eq!(recorded.len(), 1);
    let run = &recorded[0];
    assert_eq!(
        (run.seed.as_str(), run.as_of.as_str(), run.profile.as_str()),
        ("1", AS_OF, "story")
    );
    assert_eq!(run.generator, seed::dataset::GENERATOR);
    assert_eq!(run.source, "generated");
    assert!(
        run.row_counts.starts_with("{\"users\":30,\"accounts\":"),
        "{}",
        run.row_counts
    );

    // An application's users, with no run on record.
    seeded
        .sqlite()
        .batch_execute("DELETE FROM seed_runs")
        .unwrap();
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "a load over unrecorded users");
    assert!(
        stderr(&output).contains("users holds 30 rows that no seed run recorded"),
        "{}",
        stderr(&output)
    );
    let reset = run_seed(
        seeded.dir.path(),
        &["reset-db", "--database-url", "db.sqlite"],
    );
    assert_failed_cleanly(&reset, &before, &seeded, "reset-db over unrecorded users");
    assert!(
        stderr(&reset).contains("pass --allow-unseeded"),
        "{}",
        stderr(&reset)
    );

    let output = seeded.seed(&["--seed", "2", "--num-users", "5", "--allow-unseeded"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        runs(&mut seeded.sqlite()).len(),
        1,
        "a replacing load leaves its own run"
    );
    let reset = run_seed(
        seeded.dir.path(),
        &["reset-db", "--database-url", "db.sqlite"],
    );
    assert!(reset.status.success(), "{}", stderr(&reset));
}

/// Shards record one run each; loading a file records its path.
#[test]
fn shards_and_files_are_recorded_too() {
    let seeded = Seeded::new();
    let reset = run_seed(
        seeded.dir.path(),
        &["reset-db", "--database-url", "db.sqlite"],
    );
    assert!(reset.status.success(), "{}", stderr(&reset));
    for shard in ["1/2", "2/2"] {
        let output = seeded.seed(&["--num-users", "10", "--shard", shard, "--no-json"]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    assert_eq!(runs(&mut seeded.sqlite()).len(), 2);
    let output = run_seed(
        seeded.dir.path(),
        &["--from", "users.json", "--database-url", "db.sqlite"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let recorded = runs(&mut seeded.sqlite());
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].source, "users.json");
}

/// Shards started together on a database that does not exist yet all succeed: creating it
/// and migrating it is safe to race.
#[test]
fn shards_started_together_on_a_new_sqlite_file_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (1..=4)
        .map(|k| {
            let shard = format!("{k}/4");
            std::process::Command::new(env!("CARGO_BIN_EXE_seed"))
                .args([
                    "--as-of",
                    AS_OF,
                    "--num-users",
                    "40",
                    "--no-json",
                    "--quiet",
                    "--database-url",
                    "new.db",
                    "--shard",
                    &shard,
                ])
                .current_dir(dir.path())
                .env_remove("DATABASE_URL")
                .output()
                .expect("run seed")
        })
        .collect();
    for (k, output) in children.iter().enumerate() {
        assert!(
            output.status.success(),
            "shard {}: {}",
            k + 1,
            stderr(output)
        );
    }
    let mut conn =
        SqliteConnection::establish(dir.path().join("new.db").to_str().unwrap()).unwrap();
    assert_eq!(count(&mut conn, "users"), 40);
    assert_eq!(count(&mut conn, "seed_runs"), 4);
}

/// A failed first load leaves no new database file behind.
#[test]
fn a_failed_load_into_a_new_file_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\"meta\": 1}").unwrap();
    let output = run_seed(
        dir.path(),
        &["--from", "bad.json", "--database-url", "fresh.db"],
    );
    assert!(!output.status.success());
    assert!(!dir.path().join("fresh.db").exists(), "{}", stdout(&output));
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// A database seeded before seed_runs existed (it holds persona labels) is recorded by the
/// migration, so the guard lets a replacing load through.
#[test]
fn databases_seeded_before_seed_runs_are_recorded_by_the_migration() {
    use diesel_migrations::MigrationHarness;
    let seeded = Seeded::new();
    let mut conn = seeded.sqlite();
    // Back to before 2026-11-25-000005_seed_runs (and 000006, which builds on it).
    conn.revert_last_migration(backend::db::MIGRATIONS).unwrap();
    conn.revert_last_migration(backend::db::MIGRATIONS).unwrap();
    assert_eq!(count(&mut conn, "persona_labels"), 30);
    assert_eq!(count(&mut conn, "users"), 30);
    drop(conn);
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(seeded.count("users"), 5);
}

/// Runs seed with the PostgreSQL environment variables cleared and `envs` set.
fn seed_with_env(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_seed"));
    command.args(args).env_remove("DATABASE_URL");
    for var in [
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGSERVICE",
        "PGSERVICEFILE",
        "PGSYSCONFDIR",
    ] {
        command.env_remove(var);
    }
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run seed")
}

/// Every way around the remote guard that libpq allows is refused, before connecting, naming
/// the host and where it came from; reset-db the same.
#[test]
fn the_remote_guard_decides_on_the_hosts_libpq_will_use() {
    let dir = tempfile::tempdir().unwrap();
    let services = dir.path().join("pg_service.conf");
    std::fs::write(&services, "[prod]\nhost=10.0.0.5\nport=15432\ndbname=app\n").unwrap();
    let services = services.to_str().unwrap();
    // (URL, environment, where the refusal says the remote host came from)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "postgres://postgres@localhost:15432/db?hostaddr=10.0.0.5",
            vec![],
            "(hostaddr from the URL)",
        ),
        (
            "postgres:///db",
            vec![("PGHOST", "db.example.com")],
            "(host from PGHOST)",
        ),
        (
            "postgres://postgres@localhost:15432/db",
            vec![("PGHOSTADDR", "10.0.0.5")],
            "(hostaddr from PGHOSTADDR)",
        ),
        (
            "postgres://postgres@/db?host=/nonexistent,10.0.0.5&port=15432",
            vec![],
            "10.0.0.5:15432: host from the URL",
        ),
        (
            "postgres://postgres@/db?%68ost=10.0.0.5",
            vec![],
            "(host from the URL)",
        ),
        (
            "postgres://postgres@10.0.0.5:15432,x@localhost/db",
            vec![],
            "10.0.0.5:15432",
        ),
        (
            "postgres:///db?service=prod",
            vec![("PGSERVICEFILE", services)],
            "host from service \"prod\"",
        ),
        (
            "postgres:///db",
            vec![("PGSERVICE", "prod"), ("PGSERVICEFILE", services)],
            "host from service \"prod\"",
        ),
    ];
    for (url, envs, origin) in &cases {
        for args in [
            vec!["--num-users", "1", "--no-json", "--database-url", url],
            vec!["reset-db", "--database-url", url],
        ] {
            let output = seed_with_env(&args, envs);
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{url} {envs:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{url}: {err}");
            assert!(
                err.contains("the host is not local; pass --allow-remote"),
                "{url} {envs:?}: {err}"
            );
            assert!(
                err.contains(origin),
                "{url} {envs:?}: {err} lacks {origin:?}"
            );
        }
    }
}

/// A small file system of its own, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a tmpfs needs root");
        SmallDisk { dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// A full disk under the database: the load says so, and the database keeps its data.
#[test]
#[ignore = "mounts a small tmpfs, which needs root; .ci/run runs it with the other ignored tests"]
fn a_full_disk_says_disk_full_and_keeps_the_data() {
    let disk = SmallDisk::mount("2m");
    let dir = disk.dir.path();
    let first = run_seed(
        dir,
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "10",
            "--no-json",
            "--database-url",
            "db.sqlite",
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let before = std::fs::read(dir.join("db.sqlite")).unwrap();
    for journal in ["wal", "rollback"] {
        let output = crate::pg_support::seed(
            &[
                "--as-of",
                AS_OF,
                "--seed",
                "2",
                "--num-users",
                "2000",
                "--no-json",
                "--quiet",
                "--database-url",
                dir.join("db.sqlite").to_str().unwrap(),
            ],
            &[("SEED_SQLITE_JOURNAL", journal)],
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{journal}: {err}");
        assert_eq!(err.lines().count(), 1, "{journal}: {err}");
        assert!(err.contains("disk full"), "{journal}: {err}");
        let mut conn =
            SqliteConnection::establish(dir.join("db.sqlite").to_str().unwrap()).unwrap();
        assert_eq!(count(&mut conn, "users"), 10, "{journal}");
        drop(conn);
        if journal == "wal" {
            // The file was already in WAL mode: not a byte of it changed. (Switching to the
            // rollback journal next rewrites the header's journal-mode bytes, so from there
            // on only the rows are compared.)
            assert!(
                std::fs::read(dir.join("db.sqlite")).unwrap() == before,
                "the database file changed"
            );
        }
    }
}
