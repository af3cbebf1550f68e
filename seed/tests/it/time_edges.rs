//! Advance at the edges: bad targets and databases it must refuse, Ctrl-C at each step, a
//! database another run is loading, and shards (a slice advanced alone, slices that stand at
//! different dates). Every refusal is one line, a non-zero exit, and the database and the
//! sync file exactly as they were.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::pg_support::{TempDir, TestDb, read_rows, seed, sqlite_url};
use crate::running::{Running, leftovers, snapshot};
use crate::support::{AS_OF, stderr};

const USERS: &str = "30";

/// A folder holding `app.db`, seeded as of [`AS_OF`] with [`USERS`] users, and `sync.json`,
/// a sync file from an earlier advance that a failed one must leave alone.
struct Seeded {
    dir: TempDir,
}

impl Seeded {
    fn new(tag: &str) -> Seeded {
        let seeded = Seeded {
            dir: TempDir::create(tag),
        };
        let db = seeded.db();
        assert_ok(&seed_args(&db, &[]));
        std::fs::write(seeded.path("sync.json"), b"[\"an earlier advance\"]\n").unwrap();
        seeded
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn db(&self) -> String {
        sqlite_url(&self.path("app.db"))
    }

    fn outputs(&self) -> Vec<PathBuf> {
        vec![self.path("app.db"), self.path("sync.json")]
    }

    fn folder(&self) -> PathBuf {
        self.dir.join("")
    }

    fn sqlite(&self) -> SqliteConnection {
        SqliteConnection::establish(&self.db()).unwrap()
    }

    /// `seed advance` on the database with `how`, writing its sync pages to `sync.json`.
    fn advance_args(&self, how: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = ["advance", "--database-url", "app.db", "--quiet"]
            .map(String::from)
            .to_vec();
        args.extend(["--sync-out".into(), "sync.json".into()]);
        args.extend(how.iter().map(|s| s.to_string()));
        args
    }

    fn advance(&self, how: &[&str]) -> std::process::Output {
        let args = self.advance_args(how);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::support::run_seed(&self.folder(), &args)
    }
}

/// The arguments of a seed run of [`USERS`] users as of [`AS_OF`] into `db`, with `extra`.
fn seed_args(db: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--num-users",
        USERS,
        "--as-of",
        AS_OF,
        "--no-json",
        "--quiet",
        "--database-url",
        db,
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn assert_ok(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = seed(&args, &[]);
    assert!(
        output.status.success(),
        "seed {args:?}: {}",
        stderr(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A refused advance: one `error:` line, no panic, a non-zero exit, and nothing changed.
fn assert_refused(
    output: &std::process::Output,
    before: &[Option<Vec<u8>>],
    seeded: &Seeded,
    what: &str,
) -> String {
    let err = stderr(output);
    assert!(!output.status.success(), "{what} succeeded");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert_eq!(snapshot(&seeded.outputs()), before, "{what} changed a file");
    assert_eq!(leftovers(&seeded.folder()), Vec::<String>::new(), "{what}");
    err
}

#[test]
fn bad_targets_are_refused_in_one_line() {
    let seeded = Seeded::new("advance_targets");
    let before = snapshot(&seeded.outputs());
    let far = "4460-01-01";
    for (how, expected) in [
        (vec!["--days", "0"], "0 is not in 1.."),
        (vec!["--days", "-3"], "-3 is not in 1.."),
        (vec!["--days", "x"], "invalid digit"),
        (
            vec![],
            "required arguments were not provided: <--days <N>|--to <DATE>>",
        ),
        (
            vec!["--days", "1", "--to", "2025-07-01"],
            "cannot be used with",
        ),
        (
            vec!["--to", "2025-05-31"],
            "the database stands at 2025-06-01: advance to a later date, not 2025-05-31",
        ),
        (
            vec!["--to", AS_OF],
            "the database stands at 2025-06-01: advance to a later date, not 2025-06-01",
        ),
        (vec!["--to", "2025-13-01"], "--to"),
        (
            vec!["--to", far],
            "days after the timelines' origin 2025-06-01",
        ),
        (vec!["--days", "1", "--shard", "3/2"], "--shard"),
        (
            vec!["--days", "1", "--config", "missing.toml"],
            "missing.toml",
        ),
    ] {
        let output = seeded.advance(&how);
        let err = assert_refused(&output, &before, &seeded, &format!("{how:?}"));
        assert!(err.contains(expected), "{how:?}: {err}");
    }
}

#[test]
fn databases_it_did_not_seed_are_refused_in_one_line() {
    let seeded = Seeded::new("advance_databases");
    let missing = crate::support::run_seed(
        &seeded.folder(),
        &["advance", "--database-url", "elsewhere.db", "--days", "1"],
    );
    let err = stderr(&missing);
    assert_eq!(missing.status.code(), Some(1), "{err}");
    assert!(
        err.contains("elsewhere.db does not exist: seed it first"),
        "{err}"
    );
    assert!(!seeded.path("elsewhere.db").exists());

    seeded
        .sqlite()
        .batch_execute("UPDATE seed_runs SET generator = 'spendsense-seed 99.0.0'")
        .unwrap();
    let before = snapshot(&seeded.outputs());
    let err = assert_refused(&seeded.advance(&["--days", "1"]), &before, &seeded, "newer");
    assert!(
        err.contains("the database was seeded by spendsense-seed 99.0.0 and this is"),
        "{err}"
    );

    seeded
        .sqlite()
        .batch_execute("DELETE FROM seed_runs")
        .unwrap();
    let before = snapshot(&seeded.outputs());
    let err = assert_refused(
        &seeded.advance(&["--days", "1"]),
        &before,
        &seeded,
        "unseeded",
    );
    assert!(
        err.contains("refusing to advance") && err.contains("no seed run recorded"),
        "{err}"
    );
}

/// Ctrl-C before the commit: exit 130, the database and the sync file as they were. Ctrl-C
/// once the commit has begun: the advance finishes and says so.
#[test]
fn ctrl_c_at_every_step_changes_nothing_or_finishes() {
    for point in ["advance", "publish"] {
        let seeded = Seeded::new("advance_ctrl_c");
        let before = snapshot(&seeded.outputs());
        let args = seeded.advance_args(&["--days", "3"]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut run = Running::start(&seeded.folder(), &args, &[("SEED_TEST_PAUSE", point)]);
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
        assert_eq!(snapshot(&seeded.outputs()), before, "at {point}");
        assert_eq!(leftovers(&seeded.folder()), Vec::<String>::new(), "{point}");
    }
    let seeded = Seeded::new("advance_ctrl_c_commit");
    let before = snapshot(&seeded.outputs());
    let args = seeded.advance_args(&["--days", "3"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut run = Running::start(&seeded.folder(), &args, &[("SEED_TEST_PAUSE", "commit")]);
    run.wait_for("paused at commit");
    run.interrupt();
    run.wait_for("interrupted while committing: the run finishes");
    run.resume();
    let (status, said) = run.finish();
    assert_eq!(status.code(), Some(0), "{said}");
    let after = snapshot(&seeded.outputs());
    assert_ne!(after[0], before[0], "the database did not advance");
    assert_ne!(after[1], before[1], "the sync file was not replaced");
    let pages: serde_json::Value = serde_json::from_slice(after[1].as_ref().unwrap()).unwrap();
    assert!(pages.as_array().is_some_and(|p| !p.is_empty()), "{pages}");
}

/// Another run loading the database: the advance waits a bounded time and says why, in one
/// line, and Ctrl-C ends the wait; the load then finishes as if nothing happened.
fn check_waits_for_a_load(folder: &Path, db: &str, snapshot_of: impl Fn() -> Vec<u8>) {
    let load = seed_args(db, &["--seed", "2"]);
    let load: Vec<&str> = load.iter().map(String::as_str).collect();
    let mut loading = Running::start(folder, &load, &[("SEED_TEST_PAUSE", "check")]);
    loading.wait_for("paused at check");
    let before = snapshot_of();
    let advance = ["advance", "--database-url", db, "--days", "1", "--quiet"];
    let started = std::time::Instant::now();
    let output = seed(&advance, &[]);
    let waited = started.elapsed();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("is locked by another connection: waiting up to 5 s"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("error: ") && lines[1].contains("waited 5 s for it"),
        "{err}"
    );
    assert!(waited >= std::time::Duration::from_secs(5), "{waited:?}");
    let mut waiting = Running::start(folder, &advance, &[]);
    waiting.wait_for("is locked by another connection: waiting up to 5 s");
    waiting.interrupt();
    let (status, said) = waiting.finish();
    assert_eq!(status.code(), Some(130), "{said}");
    assert!(
        said.contains("error: interrupted; nothing was changed"),
        "{said}"
    );
    assert!(
        snapshot_of() == before,
        "a refused advance changed the data"
    );
    loading.resume();
    let (status, said) = loading.finish();
    assert_eq!(status.code(), Some(0), "{said}");
}

#[test]
fn an_advance_waits_a_bounded_time_for_a_load() {
    let seeded = Seeded::new("advance_lock");
    check_waits_for_a_load(&seeded.folder(), &seeded.db(), || {
        std::fs::read(seeded.path("app.db")).unwrap()
    });
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn a_postgres_advance_waits_a_bounded_time_for_a_load() {
    let db = TestDb::create("advance_lock");
    let url = db.url();
    assert_ok(&seed_args(&url, &[]));
    let dir = TempDir::create("advance_lock");
    // The paused load holds its tables' locks, so nothing can read them until it ends; what
    // the refused advance left is checked by the load's own outcome.
    check_waits_for_a_load(&dir.join(""), &url, Vec::new);
    let direct = TestDb::create("advance_lock_direct");
    assert_ok(&seed_args(&direct.url(), &["--seed", "2"]));
    assert_eq!(read_rows(&url), read_rows(&direct.url()));
}

/// Slices advanced one at a time give what advancing the whole gives, whether the database
/// was seeded whole or in shards; slices that stand at different dates are refused together.
fn check_shards(whole: &str, sharded: &str) {
    assert_ok(&seed_args(whole, &[]));
    assert_ok(&[
        "reset-db".into(),
        "--database-url".into(),
        sharded.to_owned(),
    ]);
    for shard in ["2/2", "1/2"] {
        assert_ok(&seed_args(sharded, &["--shard", shard]));
    }
    assert_eq!(
        read_rows(whole).transactions,
        read_rows(sharded).transactions
    );
    let advance = |db: &str, how: &[&str]| {
        let mut args: Vec<String> = ["advance", "--quiet", "--database-url", db]
            .map(String::from)
            .to_vec();
        args.extend(how.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        seed(&args, &[])
    };
    let ok = |output: std::process::Output| {
        assert!(output.status.success(), "{}", stderr(&output));
    };
    ok(advance(whole, &["--days", "5"]));
    ok(advance(sharded, &["--days", "5", "--shard", "1/2"]));
    let apart = advance(sharded, &["--days", "1"]);
    let err = stderr(&apart);
    assert_eq!(apart.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("advance them apart with --shard"), "{err}");
    ok(advance(sharded, &["--to", "2025-06-06", "--shard", "2/2"]));
    assert_eq!(read_rows(whole), read_rows(sharded));
    ok(advance(whole, &["--days", "2"]));
    ok(advance(sharded, &["--days", "2"]));
    assert_eq!(read_rows(whole), read_rows(sharded));
}

#[test]
fn slices_advance_apart_to_what_the_whole_advances_to() {
    let dir = TempDir::create("advance_shards");
    check_shards(
        &sqlite_url(&dir.join("whole.db")),
        &sqlite_url(&dir.join("sharded.db")),
    );
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn postgres_slices_advance_apart_to_what_the_whole_advances_to() {
    let (whole, sharded) = (
        TestDb::create("advance_whole"),
        TestDb::create("advance_sharded"),
    );
    check_shards(&whole.url(), &sharded.url());
}

/// The keys SQLite does not enforce during an advance are kept all the same: an application's
/// row that references a pending transaction the advance would remove, or an account the
/// application deleted while the advance has rows for it, refuses the advance in one line
/// with nothing changed; a row referencing a transaction that stays does not.
#[test]
fn an_advance_keeps_the_keys_an_application_holds() {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let one = |conn: &mut SqliteConnection, sql: &str| -> String {
        diesel::sql_query(sql).get_result::<Id>(conn).unwrap().id
    };
    let seeded = Seeded::new("advance_keys");
    let mut conn = seeded.sqlite();
    let pending = one(
        &mut conn,
        "SELECT id FROM transactions WHERE pending ORDER BY id LIMIT 1",
    );
    let posted = one(
        &mut conn,
        "SELECT id FROM transactions WHERE NOT pending ORDER BY id LIMIT 1",
    );
    conn.batch_execute(&format!(
        "CREATE TABLE app_notes (id TEXT PRIMARY KEY, transaction_id TEXT REFERENCES \
         transactions (id)); INSERT INTO app_notes VALUES ('n1', '{pending}'), ('n2', '{posted}');"
    ))
    .unwrap();
    drop(conn);
    // Every story purchase settles within 15 business days: in 30 days each pending one
    // posts under a new id or drops, and either way leaves the table.
    let before = snapshot(&seeded.outputs());
    let err = assert_refused(&seeded.advance(&["--days", "30"]), &before, &seeded, "note");
    assert!(
        err.contains(&format!(
            "the advance would orphan 1 row of app_notes, which references transactions by \
             app_notes.transaction_id: app_notes n1 references transaction {pending}, which \
             the advance removes; nothing was changed"
        )),
        "{err}"
    );

    let mut conn = seeded.sqlite();
    conn.batch_execute("DELETE FROM app_notes WHERE id = 'n1'")
        .unwrap();
    let account = one(
        &mut conn,
        "SELECT account_id AS id FROM transactions WHERE id NOT IN \
         (SELECT transaction_id FROM app_notes) ORDER BY account_id LIMIT 1",
    );
    for table in ["transaction_changes", "transactions"] {
        conn.batch_execute(&format!(
            "DELETE FROM recurring_stream_transactions WHERE stream_id IN \
             (SELECT id FROM recurring_streams WHERE account_id = '{account}') OR \
             transaction_id IN (SELECT id FROM transactions WHERE account_id = '{account}'); \
             DELETE FROM recurring_streams WHERE account_id = '{account}'; \
             DELETE FROM {table} WHERE account_id = '{account}';"
        ))
        .unwrap();
    }
    conn.batch_execute(&format!("DELETE FROM accounts WHERE id = '{account}'"))
        .unwrap();
    drop(conn);
    let before = snapshot(&seeded.outputs());
    let err = assert_refused(
        &seeded.advance(&["--days", "30"]),
        &before,
        &seeded,
        "account",
    );
    assert!(
        err.contains(&format!(
            "the advance would write rows of account {account}, which the database no longer \
             holds (deleted by the application?); nothing was changed"
        )),
        "{err}"
    );

    // Without the application's deletion the same advance goes through, and the note on a
    // posted transaction stays as it was.
    let fresh = Seeded::new("advance_keys_kept");
    let mut conn = fresh.sqlite();
    conn.batch_execute(&format!(
        "CREATE TABLE app_notes (id TEXT PRIMARY KEY, transaction_id TEXT REFERENCES \
         transactions (id)); INSERT INTO app_notes VALUES ('n2', '{posted}');"
    ))
    .unwrap();
    drop(conn);
    let output = fresh.advance(&["--days", "30"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut conn = fresh.sqlite();
    assert_eq!(
        one(
            &mut conn,
            "SELECT n.transaction_id AS id FROM app_notes n JOIN transactions t \
             ON t.id = n.transaction_id"
        ),
        posted
    );
}
