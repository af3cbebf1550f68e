//! The promises at the edges, round two, on SQLite and without a server: an application's
//! foreign keys in any spelling and of any arity, an application's users in a seeded
//! database, targets checked before the first write, --out paths that would lose the JSON,
//! a dangling symbolic link as the database, a refused load that must not touch the file's
//! bytes, hostile numbers, a dead standard error, and lock waits on every statement.

use std::process::{Command, Stdio};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

use crate::edges::{Seeded, assert_failed_cleanly, count};
use crate::running::{Running, leftovers, snapshot};
use crate::support::{AS_OF, run_seed, stderr};

/// An application's table referencing seeded rows by a foreign key spelled `reference`,
/// holding 3 rows that reference existing parents (`select` picks their keys).
struct AppKey {
    table: &'static str,
    create: &'static str,
    fill: &'static str,
}

const APP_KEYS: &[AppKey] = &[
    AppKey {
        table: "app_upper",
        create: "CREATE TABLE app_upper (id INTEGER PRIMARY KEY, u TEXT REFERENCES USERS(ID))",
        fill: "INSERT INTO app_upper (u) SELECT id FROM users ORDER BY id LIMIT 3",
    },
    AppKey {
        table: "app_mixed",
        create: "CREATE TABLE app_mixed (id INTEGER PRIMARY KEY, u TEXT REFERENCES Users(id))",
        fill: "INSERT INTO app_mixed (u) SELECT id FROM users ORDER BY id LIMIT 3",
    },
    AppKey {
        table: "app_bare",
        create: "CREATE TABLE app_bare (id INTEGER PRIMARY KEY, u TEXT REFERENCES USERS)",
        fill: "INSERT INTO app_bare (u) SELECT id FROM users ORDER BY id LIMIT 3",
    },
    AppKey {
        table: "app_transactions",
        create: "CREATE TABLE app_transactions (id INTEGER PRIMARY KEY, \
                 t TEXT REFERENCES Transactions(id))",
        fill: "INSERT INTO app_transactions (t) SELECT id FROM transactions ORDER BY id LIMIT 3",
    },
    AppKey {
        table: "app_pair",
        create: "CREATE TABLE app_pair (s TEXT, t TEXT, note TEXT, FOREIGN KEY (s, t) \
                 REFERENCES recurring_stream_transactions (stream_id, transaction_id))",
        fill: "INSERT INTO app_pair (s, t, note) SELECT stream_id, transaction_id, 'x' \
               FROM recurring_stream_transactions ORDER BY 1, 2 LIMIT 3",
    },
];

/// Every shape of an application's foreign key into a seeded table (any case, no column
/// named, several columns) is checked: a replacing load that would orphan its rows is
/// refused and changes nothing, one that keeps their parents goes through.
#[test]
fn sqlite_checks_application_keys_of_every_spelling_and_arity() {
    for key in APP_KEYS {
        let seeded = Seeded::new();
        let mut conn = seeded.sqlite();
        conn.batch_execute(&format!("{}; {};", key.create, key.fill))
            .unwrap();
        assert_eq!(count(&mut conn, key.table), 3, "{}", key.table);
        drop(conn);
        let before = snapshot(&seeded.outputs());
        let output = seeded.seed(&["--seed", "9", "--num-users", "30"]);
        assert_failed_cleanly(&output, &before, &seeded, key.table);
        let err = stderr(&output);
        assert!(
            err.contains(&format!("the load would orphan 3 rows of {}", key.table)),
            "{}: {err}",
            key.table
        );
        // The same seed gives the same parents: the rows keep them.
        let output = seeded.seed(&["--seed", "1", "--num-users", "30"]);
        assert!(
            output.status.success(),
            "{}: {}",
            key.table,
            stderr(&output)
        );
        assert_eq!(seeded.count(key.table), 3, "{}", key.table);
    }
}

fn add_app_users(seeded: &Seeded, n: usize) {
    let values: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "('app-user-{i}', 'App User {i}', 'app{i}@example.org', 1, '2025-01-01 00:00:00')"
            )
        })
        .collect();
    seeded
        .sqlite()
        .batch_execute(&format!(
            "INSERT INTO users (id, name, email, consent, created_at) VALUES {}",
            values.join(", ")
        ))
        .unwrap();
}

/// An application's users in a seeded database: a replacing load and reset-db refuse,
/// naming how many users no seed run recorded, whatever `seed_runs` holds besides; a shard
/// that appends does not make them the seeder's.
#[test]
fn application_users_in_a_seeded_database_are_never_deleted() {
    let seeded = Seeded::new();
    add_app_users(&seeded, 30);
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "a load over app users");
    assert!(
        stderr(&output).contains(
            "users holds 60 rows, 30 more than the 30 that seed runs recorded: 30 users that \
             no seed run recorded"
        ),
        "{}",
        stderr(&output)
    );
    let reset = run_seed(
        seeded.dir.path(),
        &["reset-db", "--database-url", "db.sqlite"],
    );
    assert_failed_cleanly(&reset, &before, &seeded, "reset-db over app users");
    assert!(
        stderr(&reset).contains("30 more than the 30"),
        "{}",
        stderr(&reset)
    );

    // A bogus seed_runs row disarms nothing: one in the old shape records no users, and one
    // that claims the app's users has the wrong digest.
    seeded
        .sqlite()
        .batch_execute(
            "INSERT INTO seed_runs (id, generator, profile, seed, as_of, source, row_counts, \
             finished_at) VALUES ('bogus', 'x', 'x', 'x', '2025-01-01', 'x', '{}', \
             '2025-01-01 00:00:00'); \
             INSERT INTO seed_runs (id, generator, profile, seed, as_of, source, row_counts, \
             finished_at, user_count, user_ids_digest) VALUES ('claims', 'x', 'x', 'x', \
             '2025-01-01', 'x', '{}', '2025-01-01 00:00:00', 30, '0123456789abcdef');",
        )
        .unwrap();
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "a load over bogus runs");
    assert!(
        stderr(&output).contains("users holds 60 rows that are not the 60 that seed runs recorded"),
        "{}",
        stderr(&output)
    );

    // After reset-db, two app users: a shard appends beside them, and the next replacing
    // load still refuses, naming the two.
    let reset = run_seed(
        seeded.dir.path(),
        &[
            "reset-db",
            "--database-url",
            "db.sqlite",
            "--allow-unseeded",
        ],
    );
    assert!(reset.status.success(), "{}", stderr(&reset));
    add_app_users(&seeded, 2);
    let output = seeded.seed(&["--num-users", "10", "--shard", "1/2", "--no-json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "a load after a shard");
    assert!(
        stderr(&output).contains("users holds 7 rows, 2 more than the 5"),
        "{}",
        stderr(&output)
    );
    assert_eq!(seeded.count("users"), 7);
    let output = seeded.seed(&["--seed", "2", "--num-users", "5", "--allow-unseeded"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(seeded.count("users"), 5);
}

/// With seed_runs dropped, the refusal says so rather than that it is empty.
#[test]
fn a_missing_seed_runs_table_is_named_as_missing() {
    let seeded = Seeded::new();
    seeded
        .sqlite()
        .batch_execute("DROP TABLE seed_runs")
        .unwrap();
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "a load without seed_runs");
    assert!(
        stderr(&output).contains(
            "users holds 30 rows that no seed run recorded (there is no seed_runs table)"
        ),
        "{}",
        stderr(&output)
    );
}

/// A database seeded by a seeder from before runs recorded their users keeps working: the
/// migration records the users it holds by number, so a replacing load goes through, while
/// users added after it are refused by number.
#[test]
fn runs_recorded_before_user_digests_vouch_for_a_number_of_users() {
    let seeded = Seeded::new();
    let mut conn = seeded.sqlite();
    // Back to the older schema with the older seeder's row, then forward again, as
    // `diesel migration run` or the next load would do it.
    conn.revert_last_migration(backend::db::MIGRATIONS).unwrap();
    conn.run_pending_migrations(backend::db::MIGRATIONS)
        .unwrap();
    drop(conn);
    add_app_users(&seeded, 3);
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "app users after the migration");
    assert!(
        stderr(&output).contains("users holds 33 rows, 3 more than the 30"),
        "{}",
        stderr(&output)
    );
    seeded
        .sqlite()
        .batch_execute("DELETE FROM users WHERE id LIKE 'app-user-%'")
        .unwrap();
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The load recorded itself in full: from now on its users decide.
    add_app_users(&seeded, 1);
    let output = seeded.seed(&["--seed", "2", "--num-users", "5"]);
    assert!(
        stderr(&output).contains("users holds 6 rows, 1 more than the 5"),
        "{}",
        stderr(&output)
    );
}

/// A file of `seed/profiles/`, as shipped.
fn shipped(name: &str) -> String {
    std::fs::read_to_string(format!("{}/profiles/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Writes `calibrated.toml` as `NAME.toml` in `dir`, and `targets` beside it as
/// `NAME.targets.toml`.
fn profile_with_targets(dir: &std::path::Path, name: &str, targets: &str) {
    std::fs::write(dir.join(format!("{name}.toml")), shipped("calibrated.toml")).unwrap();
    std::fs::write(dir.join(format!("{name}.targets.toml")), targets).unwrap();
}

/// Targets that name an unknown measure are refused before anything is written: the run
/// used to commit and replace the JSON, then fail in its report.
#[test]
fn targets_are_checked_before_the_first_write() {
    let seeded = Seeded::new();
    let shipped_targets = shipped("calibrated.targets.toml");
    let targets = shipped_targets.replacen("\"apr.mean\"", "\"apr.bogus\"", 1);
    assert_ne!(targets, shipped_targets);
    profile_with_targets(seeded.dir.path(), "typo", &targets);
    let before = snapshot(&seeded.outputs());
    let output = seeded.seed(&["--config", "typo.toml", "--num-users", "5"]);
    assert_failed_cleanly(&output, &before, &seeded, "a targets typo");
    let err = stderr(&output);
    assert!(err.contains("typo.targets.toml"), "{err}");
    assert!(err.contains("unknown measure `apr.bogus`"), "{err}");
}

/// --out paths that would lose the JSON: a journal file of the database being loaded (SQLite
/// deletes it), the profile's targets, and a closed standard output.
#[test]
fn out_paths_that_would_lose_the_json_are_refused() {
    let seeded = Seeded::new();
    profile_with_targets(
        seeded.dir.path(),
        "mine",
        &shipped("calibrated.targets.toml"),
    );
    std::os::unix::fs::symlink("db.sqlite", seeded.path("link.sqlite")).unwrap();
    let before = snapshot(&seeded.outputs());
    let targets_before = std::fs::read(seeded.path("mine.targets.toml")).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--out", "db.sqlite-wal"],
            "is a journal file of the database",
        ),
        (
            &["--out", "db.sqlite-shm"],
            "is a journal file of the database",
        ),
        (
            &["--out", "./db.sqlite-journal"],
            "is a journal file of the database",
        ),
        (
            &["--out", "db.sqlite-wal", "--database-url", "link.sqlite"],
            "is a journal file of the database",
        ),
        (
            &["--out", "mine.targets.toml", "--config", "mine.toml"],
            "is the targets file of the profile",
        ),
    ];
    for (args, expected) in cases {
        let mut args = args.to_vec();
        args.extend(["--num-users", "5"]);
        let output = seeded.seed(&args);
        assert_failed_cleanly(&output, &before, &seeded, &format!("{args:?}"));
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(
        std::fs::read(seeded.path("mine.targets.toml")).unwrap(),
        targets_before
    );
    // Standard output closed: the run would commit and say it wrote the JSON.
    let output = Command::new("sh")
        .args(["-c", "exec \"$0\" \"$@\" >&-"])
        .arg(env!("CARGO_BIN_EXE_seed"))
        .args(seeded.args(&["--out", "-", "--num-users", "5"]))
        .current_dir(seeded.dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_failed_cleanly(&output, &before, &seeded, "--out - with stdout closed");
    assert!(
        stderr(&output).contains("standard output is closed or /dev/null"),
        "{}",
        stderr(&output)
    );
}

/// A symbolic link to a file that does not exist yet, as the database: a failed load removes
/// the file it created through the link, and leaves the link alone.
#[test]
fn a_failed_load_through_a_dangling_link_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real/new.db", dir.path().join("d.db")).unwrap();
    std::fs::write(dir.path().join("bad.json"), "{\"meta\": 1}").unwrap();
    let output = run_seed(
        dir.path(),
        &["--from", "bad.json", "--database-url", "d.db"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let link = std::fs::symlink_metadata(dir.path().join("d.db")).expect("the link is kept");
    assert!(link.file_type().is_symlink());
    assert!(
        !dir.path().join("real/new.db").exists(),
        "the new file stayed"
    );
    assert_eq!(leftovers(&dir.path().join("real")), Vec::<String>::new());
    // A load that succeeds fills the file behind the link.
    let output = run_seed(
        dir.path(),
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "3",
            "--no-json",
            "--database-url",
            "d.db",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        std::fs::symlink_metadata(dir.path().join("d.db"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(dir.path().join("real/new.db").is_file());
}

/// A file in the rollback journal's mode (as diesel_cli or another tool leaves it): a load
/// that is refused, or that fails, leaves it byte for byte; one that commits leaves it in
/// WAL mode.
#[test]
fn a_refused_or_failed_load_leaves_the_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let output = crate::pg_support::seed(
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "10",
            "--no-json",
            "--database-url",
            db.to_str().unwrap(),
        ],
        &[("SEED_SQLITE_JOURNAL", "rollback")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // Users that no seed run recorded: a replacing load refuses them.
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    conn.batch_execute("DELETE FROM seed_runs").unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let refused = run_seed(
        dir.path(),
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "5",
            "--no-json",
            "--database-url",
            "app.db",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        std::fs::read(&db).unwrap() == before,
        "a refused load changed the file"
    );
    std::fs::write(dir.path().join("bad.json"), "{\"meta\": 1}").unwrap();
    let failed = run_seed(
        dir.path(),
        &[
            "--from",
            "bad.json",
            "--database-url",
            "app.db",
            "--allow-unseeded",
        ],
    );
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(
        std::fs::read(&db).unwrap() == before,
        "a failed load changed the file"
    );
    let loaded = run_seed(
        dir.path(),
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "5",
            "--no-json",
            "--database-url",
            "app.db",
            "--allow-unseeded",
        ],
    );
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    assert_eq!(crate::edges::journal_mode(&mut conn), "wal");
}

/// An application holding the file's exclusive lock (a rollback-journal file): even the first
/// read of the file waits a bounded time, says so, and ends at Ctrl-C.
#[test]
fn every_sqlite_wait_is_bounded_and_ends_at_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let output = crate::pg_support::seed(
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "5",
            "--no-json",
            "--database-url",
            db.to_str().unwrap(),
        ],
        &[("SEED_SQLITE_JOURNAL", "rollback")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // Read before the lock is taken: closing any descriptor of the file in this process
    // would release the application's POSIX locks.
    let before = std::fs::read(&db).unwrap();
    let mut app = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    app.batch_execute("BEGIN EXCLUSIVE").unwrap();
    for command in [
        vec![
            "--as-of",
            AS_OF,
            "--num-users",
            "5",
            "--no-json",
            "--database-url",
            "app.db",
        ],
        vec!["reset-db", "--database-url", "app.db"],
    ] {
        let started = std::time::Instant::now();
        let output = run_seed(dir.path(), &command);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{command:?}: {err}");
        assert!(
            err.contains("is locked by another connection: waiting up to 5 s"),
            "{err}"
        );
        assert!(
            err.contains("waited 5 s for it; nothing was changed"),
            "{err}"
        );
        assert!(started.elapsed() >= std::time::Duration::from_secs(5));
        let mut run = Running::start(dir.path(), &command, &[]);
        run.wait_for("is locked by another connection: waiting up to 5 s");
        run.interrupt();
        let (status, said) = run.finish();
        assert_eq!(status.code(), Some(130), "{command:?}: {said}");
    }
    app.batch_execute("ROLLBACK").unwrap();
    drop(app);
    assert!(std::fs::read(&db).unwrap() == before);
}

/// Numbers at the edges of what files and profiles can hold never panic: stats over amounts
/// and balances of ±i64::MAX, a story profile whose amounts no sum could hold (refused, one
/// line), and a profile at every bound it allows.
#[test]
fn hostile_numbers_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_seed(
        dir.path(),
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "10",
            "--no-db",
            "--out",
            "base.json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let base = std::fs::read_to_string(dir.path().join("base.json")).unwrap();
    for extreme in [i64::MAX, i64::MIN] {
        for field in ["amount", "balance"] {
            // Every `"field": N` line (the file has one field per line) gets the extreme.
            let key = format!("\"{field}\": ");
            let hostile: Vec<String> = base
                .lines()
                .map(|line| match line.find(&key) {
                    Some(at) => {
                        let comma = if line.ends_with(',') { "," } else { "" };
                        format!("{}{extreme}{comma}", &line[..at + key.len()])
                    }
                    None => line.to_owned(),
                })
                .collect();
            assert!(hostile.iter().any(|l| l.contains(&extreme.to_string())));
            std::fs::write(dir.path().join("hostile.json"), hostile.join("\n")).unwrap();
            let output = run_seed(dir.path(), &["stats", "hostile.json"]);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{field} = {extreme}: {}",
                stderr(&output)
            );
        }
    }

    let story = shipped("story.toml");
    let story = story.as_str();
    let groceries =
        "amount = { min_cents = 1_200, median_cents = 6_400, max_cents = 25_000, spread = 0.55 }";
    assert!(story.contains(groceries), "the story profile changed");
    let huge = story.replacen(
        groceries,
        "amount = { min_cents = 1_200, median_cents = 9223372036854775807, \
         max_cents = 9223372036854775807, spread = 0.55 }",
        1,
    );
    std::fs::write(dir.path().join("huge.toml"), huge).unwrap();
    let output = run_seed(
        dir.path(),
        &[
            "--config",
            "huge.toml",
            "--as-of",
            AS_OF,
            "--num-users",
            "3",
            "--no-db",
            "--out",
            "h.json",
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("huge.toml: line"), "{err}");
    assert!(err.contains("<= 1000000000000"), "{err}");
    assert!(!dir.path().join("h.json").exists());

    // Every bound at once: the largest amounts, balances and limits, and a minimum payment
    // of the whole balance.
    let max = 1_000_000_000_000i64;
    let mut bounds = story.to_owned();
    for (key, value) in [
        ("checking_cents", format!("[{max}, {max}]")),
        ("savings_cents", format!("[{max}, {max}]")),
        ("credit_limit_cents", format!("[{max}, {max}]")),
    ] {
        let start = bounds.find(&format!("{key} = [")).unwrap();
        let end = start + bounds[start..].find(']').unwrap() + 1;
        bounds.replace_range(start..end, &format!("{key} = {value}"));
    }
    bounds = bounds.replacen("min_payment_percent = 2", "min_payment_percent = 100", 1);
    bounds = bounds.replace(groceries, "amount = { min_cents = 1_000_000_000_000, median_cents = 1_000_000_000_000, max_cents = 1_000_000_000_000, spread = 0.55 }");
    std::fs::write(dir.path().join("bounds.toml"), bounds).unwrap();
    let output = run_seed(
        dir.path(),
        &[
            "--config",
            "bounds.toml",
            "--as-of",
            AS_OF,
            "--num-users",
            "20",
            "--no-db",
            "--out",
            "b.json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run_seed(dir.path(), &["stats", "b.json", "--config", "bounds.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// A dead standard error (its reader gone, as with `2>&1 | true`) loses the error line but
/// keeps the exit code: never a panic's 101.
#[test]
fn a_dead_standard_error_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    for (args, code) in [
        (vec!["--num-users", "0"], 2),
        (vec!["--from", "missing.json", "--database-url", "x.db"], 1),
        (vec!["stats", "missing.json"], 1),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = Command::new(env!("CARGO_BIN_EXE_seed"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}
