//! End to end through the `seed` binary: JSON and SQLite agree, reruns replace, and bad input
//! is refused in one line without touching existing data.

use std::path::{Path, PathBuf};

use seed::dataset::Dataset;

use crate::support::{AS_OF, read_sqlite, run_seed, sorted_rows, stderr, stdout};

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn seed(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["--as-of", AS_OF];
        for (flag, default) in [("--out", "users.json"), ("--database-url", "db.sqlite")] {
            if !extra.contains(&flag) {
                args.extend([flag, default]);
            }
        }
        args.extend_from_slice(extra);
        run_seed(self.dir.path(), &args)
    }

    fn json(&self) -> Dataset {
        serde_json::from_slice(&std::fs::read(self.path("users.json")).unwrap()).unwrap()
    }
}

fn snapshot(paths: &[&Path]) -> Vec<Option<Vec<u8>>> {
    paths.iter().map(|p| std::fs::read(p).ok()).collect()
}

#[test]
fn seeding_writes_json_and_loads_the_same_rows_into_sqlite() {
    let ws = Workspace::new();
    let output = ws.seed(&["--num-users", "20"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let data = ws.json();
    let out = stdout(&output);
    let counts = format!(
        "{} users, {} accounts, {} transactions",
        20,
        data.accounts.len(),
        data.transactions.len()
    );
    assert!(out.contains(&format!("Generated {counts}")), "{out}");
    assert!(out.contains(&format!("Loaded {counts}")), "{out}");
    assert_eq!(data.users.len(), 20);
    assert_eq!(read_sqlite(&ws.path("db.sqlite")), sorted_rows(&data));

    // A second run gives the same bytes and leaves one copy of the data.
    let first = std::fs::read(ws.path("users.json")).unwrap();
    let output = ws.seed(&["--num-users", "20"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read(ws.path("users.json")).unwrap(), first);
    assert_eq!(read_sqlite(&ws.path("db.sqlite")), sorted_rows(&data));
    // Neither a section's temp file nor the replaced file's backup is left beside it.
    let left: Vec<String> = std::fs::read_dir(ws.path("."))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".users.json."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn no_db_writes_only_json_and_from_loads_it() {
    let ws = Workspace::new();
    let output = ws.seed(&["--num-users", "8", "--no-db"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!ws.path("db.sqlite").exists());
    let data = ws.json();
    let output = run_seed(
        ws.dir.path(),
        &["--from", "users.json", "--database-url", "db.sqlite"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Loaded 8 users"),
        "{}",
        stdout(&output)
    );
    assert_eq!(read_sqlite(&ws.path("db.sqlite")), sorted_rows(&data));
}

#[test]
fn reset_db_leaves_an_empty_current_schema() {
    let ws = Workspace::new();
    assert!(ws.seed(&["--num-users", "3"]).status.success());
    let output = run_seed(ws.dir.path(), &["reset-db", "--database-url", "db.sqlite"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (users, accounts, transactions) = read_sqlite(&ws.path("db.sqlite"));
    assert!(users.is_empty() && accounts.is_empty() && transactions.is_empty());
}

/// Runs each bad invocation against an existing dataset and database and checks that it
/// fails in one line and changes neither file.
fn assert_refused(ws: &Workspace, cases: &[(&[&str], &str)]) {
    let files = [ws.path("users.json"), ws.path("db.sqlite")];
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let before = snapshot(&paths);
    assert!(before.iter().all(Option::is_some));
    for (args, expected) in cases {
        let output = ws.seed(args);
        let err = stderr(&output);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert_eq!(err.lines().count(), 1, "{args:?} printed {err:?}");
        assert!(
            err.contains(expected),
            "{args:?}: {err:?} lacks {expected:?}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(snapshot(&paths), before, "{args:?} changed existing data");
        let leftovers: Vec<_> = std::fs::read_dir(ws.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".tmp-") || name.ends_with("-journal"))
            .collect();
        assert!(leftovers.is_empty(), "{args:?} left {leftovers:?}");
    }
}

#[test]
fn bad_arguments_are_refused_in_one_line() {
    let ws = Workspace::new();
    assert!(ws.seed(&["--num-users", "4"]).status.success());
    assert_refused(
        &ws,
        &[
            (&["--num-users", "0"], "--num-users"),
            (&["--num-users", "-3"], "--num-users"),
            (&["--num-users", "many"], "--num-users"),
            (&["--seed", "-1"], "--seed"),
            (&["--seed", "1.5"], "--seed"),
            (&["--seed", "18446744073709551616"], "--seed"),
            (&["--as-of", "2025-02-30"], "--as-of"),
            (&["--as-of", "2025-13-01"], "--as-of"),
            (&["--as-of", "yesterday"], "--as-of"),
            (&["--database-url", "missing-dir/db.sqlite"], "missing-dir"),
            (&["--database-url", "."], "cannot open"),
            (
                &["--database-url", "mysql://root@localhost/x"],
                "invalid database url",
            ),
            (
                &["--out", "missing-dir/users.json", "--num-users", "2"],
                "missing-dir",
            ),
        ],
    );
}

#[test]
fn a_database_file_that_is_not_sqlite_is_refused() {
    let ws = Workspace::new();
    assert!(ws.seed(&["--num-users", "2"]).status.success());
    std::fs::write(
        ws.path("not-a-db"),
        "just text, not a database, long enough to be read as a header...",
    )
    .unwrap();
    let before = std::fs::read(ws.path("not-a-db")).unwrap();
    let output = run_seed(
        ws.dir.path(),
        &[
            "--as-of",
            AS_OF,
            "--num-users",
            "2",
            "--out",
            "users.json",
            "--database-url",
            "not-a-db",
        ],
    );
    assert!(!output.status.success());
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not a database"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(ws.path("not-a-db")).unwrap(), before);
}

#[test]
fn broken_files_given_to_from_change_nothing() {
    let ws = Workspace::new();
    assert!(ws.seed(&["--num-users", "6"]).status.success());
    let text = std::fs::read_to_string(ws.path("users.json")).unwrap();
    let data = ws.json();

    std::fs::write(ws.path("truncated.json"), &text[..text.len() / 2]).unwrap();
    std::fs::write(
        ws.path("malformed.json"),
        text.replacen("\"pending\": false", "\"pending\": 3", 1),
    )
    .unwrap();
    let reference = |field: &str, id: &str| format!("\"{field}\": \"{id}\"");
    let orphan = text.replacen(
        &reference("account_id", &data.transactions[7].account_id),
        &reference("account_id", "00000000-0000-4000-8000-000000000000"),
        1,
    );
    std::fs::write(ws.path("orphan-transaction.json"), orphan).unwrap();
    let orphan = text.replacen(
        &reference("user_id", &data.accounts[1].user_id),
        &reference("user_id", "00000000-0000-4000-8000-000000000001"),
        1,
    );
    std::fs::write(ws.path("orphan-account.json"), orphan).unwrap();
    let duplicate = text.replacen(&data.transactions[3].id, &data.transactions[4].id, 1);
    std::fs::write(ws.path("duplicate.json"), duplicate).unwrap();
    // An account's key is filled after the other rows (from a TEMP copy), its duplicate
    // caught there.
    let duplicate = text.replacen(&data.accounts[1].id, &data.accounts[0].id, 1);
    std::fs::write(ws.path("duplicate-account.json"), duplicate).unwrap();

    let from = |file: &'static str| -> [&'static str; 2] { ["--from", file] };
    let cases: Vec<([&str; 2], &str)> = vec![
        (from("truncated.json"), "EOF while parsing"),
        (from("malformed.json"), "transactions element"),
        (
            from("orphan-transaction.json"),
            "references missing account 00000000-0000-4000-8000-000000000000",
        ),
        (
            from("orphan-account.json"),
            "references missing user 00000000-0000-4000-8000-000000000001",
        ),
        (
            from("duplicate.json"),
            "UNIQUE constraint failed: transactions.id",
        ),
        (
            from("duplicate-account.json"),
            "UNIQUE constraint failed: accounts.id",
        ),
        (
            from("does-not-exist.json"),
            "cannot open does-not-exist.json",
        ),
    ];
    for (args, expected) in &cases {
        let output = run_seed(
            ws.dir.path(),
            &[args[0], args[1], "--database-url", "db.sqlite"],
        );
        let err = stderr(&output);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: {err:?} lacks {expected:?}"
        );
        // The loaded dataset is still there, whole.
        assert_eq!(
            read_sqlite(&ws.path("db.sqlite")),
            sorted_rows(&data),
            "{args:?}"
        );
    }
    // And the truncated file's error says where it broke.
    let output = run_seed(
        ws.dir.path(),
        &["--from", "truncated.json", "--database-url", "db.sqlite"],
    );
    assert!(stderr(&output).contains(" at line "), "{}", stderr(&output));
}

#[test]
fn temp_files_of_killed_runs_are_removed_and_live_ones_kept() {
    let ws = Workspace::new();
    // No process can have a pid above Linux's maximum (2^22), so this one is dead.
    let stale = ws.path(".users.json.transactions.tmp-4194305");
    let live = ws.path(&format!(
        ".users.json.transactions.tmp-{}",
        std::process::id()
    ));
    let unrelated = ws.path(".other.json.transactions.tmp-4194305");
    for path in [&stale, &live, &unrelated] {
        std::fs::write(path, "partial").unwrap();
    }
    let output = ws.seed(&["--num-users", "2", "--no-db"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stale.exists(), "a dead run's temp file is left");
    assert!(live.exists(), "a live run's temp file was removed");
    assert!(unrelated.exists(), "another file's temp file was removed");
}

#[test]
fn the_file_is_the_same_for_one_thread_and_many() {
    let ws = Workspace::new();
    let run = |threads: &str, out: &str| {
        let output = ws.seed(&[
            "--num-users",
            "300",
            "--no-db",
            "--threads",
            threads,
            "--out",
            out,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read(ws.path(out)).unwrap()
    };
    let one = run("1", "one.json");
    let many = run("4", "many.json");
    assert!(
        one == many,
        "--threads 1 and --threads 4 wrote different bytes"
    );
}

#[test]
fn sqlite_ceiling_fills_a_new_file_and_leaves_the_loaded_one_as_it_was() {
    let ws = Workspace::new();
    let output = ws.seed(&["--num-users", "30", "--no-json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Every table the load filled, the change log included: what each fill copies.
    let loaded: u64 = stdout(&output)
        .lines()
        .find_map(|line| line.strip_prefix("Loaded "))
        .expect("a Loaded line")
        .split(',')
        .filter_map(|part| part.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    let db = ws.path("db.sqlite");
    let before = read_sqlite(&db);

    let url = db.to_str().unwrap();
    let output = run_seed(ws.dir.path(), &["sqlite-ceiling", "--database-url", url]);
    assert!(output.status.success(), "{}", stderr(&output));
    let fills: Vec<Vec<String>> = stdout(&output)
        .lines()
        .filter_map(|line| line.strip_prefix("fill\t"))
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect();
    assert_eq!(fills.len(), 3, "{fills:?}");
    for fill in &fills {
        assert_eq!(fill[2].parse::<u64>().unwrap(), loaded, "{fill:?}");
        let (whole, insert): (f64, f64) = (fill[1].parse().unwrap(), fill[3].parse().unwrap());
        assert!(insert > 0.0 && insert <= whole, "{fill:?}");
    }
    // The fills went into a file of their own, removed after; the loaded file keeps its rows.
    assert!(!ws.path("db.sqlite.fill").exists());
    assert!(!ws.path("db.sqlite.fill-journal").exists());
    assert_eq!(read_sqlite(&db), before);
}
