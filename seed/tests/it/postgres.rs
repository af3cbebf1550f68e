//! PostgreSQL loading, sharding, the remote guard and connection failures, end to end
//! through the `seed` binary. Tests that need a server are ignored unless asked for.

use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use seed::dataset::Dataset;

use crate::pg_support::{Rows, TempDir, TestDb, read_rows, seed, seed_ok, sqlite_url};

const AS_OF: &str = "2026-11-25";

/// Generates `users` users (seed 7) into `url`, writing the JSON to `json` when given.
fn generate_into(url: &str, users: &str, json: Option<&str>, envs: &[(&str, &str)]) {
    let mut args = vec![
        "--num-users",
        users,
        "--seed",
        "7",
        "--as-of",
        AS_OF,
        "--database-url",
        url,
    ];
    match json {
        Some(path) => args.extend(["--out", path]),
        None => args.push("--no-json"),
    }
    seed_ok(&args, envs);
}

/// The rows a JSON file holds, every table ordered by its key like [`read_rows`].
fn rows_of_file(path: &std::path::Path) -> Rows {
    let dataset: Dataset = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut rows = dataset.rows();
    rows.users.sort_by(|a, b| a.id.cmp(&b.id));
    rows.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    rows.transactions.sort_by(|a, b| a.id.cmp(&b.id));
    rows.recurring_streams.sort_by(|a, b| a.id.cmp(&b.id));
    rows.recurring_stream_transactions
        .sort_by(|a, b| (&a.stream_id, &a.transaction_id).cmp(&(&b.stream_id, &b.transaction_id)));
    Rows {
        users: rows.users,
        accounts: rows.accounts,
        transactions: rows.transactions,
        recurring_streams: rows.recurring_streams,
        recurring_stream_transactions: rows.recurring_stream_transactions,
    }
}

/// Every key, constraint and index of the seeded tables, as the catalog prints them.
fn keys(url: &str) -> Vec<String> {
    let conn = &mut PgConnection::establish(url).unwrap();
    diesel::select(sql::<diesel::sql_types::Array<Text>>(
        "ARRAY(SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
               FROM pg_constraint WHERE conrelid IN ('users'::regclass, 'accounts'::regclass, \
               'transactions'::regclass) \
               UNION ALL SELECT indexdef FROM pg_indexes \
               WHERE tablename IN ('users', 'accounts', 'transactions') ORDER BY 1)",
    ))
    .get_result(conn)
    .unwrap()
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn sqlite_and_postgres_read_back_the_same_rows() {
    let dir = TempDir::create("same");
    let json = dir.join("users.json");
    let sqlite = sqlite_url(&dir.join("seed.db"));
    generate_into(&sqlite, "25", Some(json.to_str().unwrap()), &[]);
    let pg = TestDb::create("same");
    seed_ok(
        &[
            "--from",
            json.to_str().unwrap(),
            "--database-url",
            &pg.url(),
        ],
        &[],
    );

    let from_sqlite = read_rows(&sqlite);
    assert_eq!(from_sqlite.users.len(), 25);
    assert!(
        from_sqlite.accounts.iter().any(|a| a.apr.is_some()),
        "some credit cards, to compare floats"
    );
    assert!(
        from_sqlite.recurring_stream_transactions.len() > from_sqlite.recurring_streams.len(),
        "recurring streams with their transactions"
    );
    assert_eq!(read_rows(&pg.url()), from_sqlite);
    assert_eq!(from_sqlite, rows_of_file(&json));
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn copy_and_insert_paths_load_the_same_rows_and_keys() {
    let migrated = TestDb::create("keys");
    seed_ok(&["reset-db", "--database-url", &migrated.url()], &[]);
    let copied = TestDb::create("copy");
    let inserted = TestDb::create("insert");
    // The calibrated profile fills the card statement columns the story profile leaves
    // NULL: between them, every column is sent both as a value and as NULL.
    for profile in ["calibrated", "story"] {
        for (db, method) in [(&copied, "copy"), (&inserted, "insert")] {
            seed_ok(
                &[
                    "--num-users",
                    "20",
                    "--seed",
                    "7",
                    "--as-of",
                    AS_OF,
                    "--profile",
                    profile,
                    "--no-json",
                    "--database-url",
                    &db.url(),
                ],
                &[("SEED_PG_LOAD", method)],
            );
        }
        let rows = read_rows(&copied.url());
        assert_eq!(rows.users.len(), 20);
        if profile == "calibrated" {
            assert!(
                rows.accounts
                    .iter()
                    .any(|a| a.last_payment_date.is_some() && a.is_overdue.is_some()),
                "card statements, to compare dates and flags"
            );
        }
        assert!(
            rows.transactions
                .iter()
                .any(|t| t.pending_transaction_id.is_none())
                && rows
                    .transactions
                    .iter()
                    .any(|t| t.category_detailed.is_some()),
            "nullable text both ways"
        );
        assert_eq!(read_rows(&inserted.url()), rows, "{profile}");
    }
    // Every key and index the migrations create is back after either load.
    let expected = keys(&migrated.url());
    assert_eq!(expected.len(), 10, "{expected:#?}");
    assert_eq!(keys(&copied.url()), expected);
    assert_eq!(keys(&inserted.url()), expected);

    let bad = seed(
        &[
            "--num-users",
            "1",
            "--no-json",
            "--database-url",
            &copied.url(),
        ],
        &[("SEED_PG_LOAD", "rows")],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("SEED_PG_LOAD"));
}

/// Seeds `sharded` with `shards` of `users` users after a reset, in the order given, and
/// compares with one run of them all into `single`, whose rows it returns.
fn assert_shard_union_equals_single_run(
    single: &str,
    sharded: &str,
    users: &str,
    shards: &[&str],
) -> Rows {
    generate_into(single, users, None, &[]);
    seed_ok(&["reset-db", "--database-url", sharded], &[]);
    for shard in shards {
        seed_ok(
            &[
                "--num-users",
                users,
                "--seed",
                "7",
                "--as-of",
                AS_OF,
                "--no-json",
                "--shard",
                shard,
                "--database-url",
                sharded,
            ],
            &[],
        );
    }
    let expected = read_rows(single);
    assert_eq!(expected.users.len().to_string(), users);
    assert_eq!(read_rows(sharded), expected);
    expected
}

/// Three shards of 30 users, out of order on purpose: shards are independent.
const SHARDS: &[&str] = &["2/3", "3/3", "1/3"];

#[test]
fn sqlite_shard_union_equals_a_single_run() {
    let dir = TempDir::create("shards");
    assert_shard_union_equals_single_run(
        &sqlite_url(&dir.join("single.db")),
        &sqlite_url(&dir.join("sharded.db")),
        "30",
        SHARDS,
    );
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn postgres_shard_union_equals_a_single_run() {
    let single = TestDb::create("single");
    let sharded = TestDb::create("sharded");
    assert_shard_union_equals_single_run(&single.url(), &sharded.url(), "30", SHARDS);
    assert_eq!(keys(&sharded.url()), keys(&single.url()));

    // Loading a shard twice breaks the keys: refused, and nothing changes.
    let before = read_rows(&sharded.url());
    let again = seed(
        &[
            "--num-users",
            "30",
            "--seed",
            "7",
            "--as-of",
            AS_OF,
            "--no-json",
            "--shard",
            "2/3",
            "--database-url",
            &sharded.url(),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(read_rows(&sharded.url()), before);
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn large_appending_loads_send_their_rows_in_several_statements() {
    // A story user's rows are about 26 KB of COPY tuples, so each shard of 1,200 users
    // (about 31 MB) sends its buffers at least once before its last rows: with every key in
    // place, each statement must come parents first, and no row may be sent twice or left
    // behind.
    let single = TestDb::create("big_single");
    let sharded = TestDb::create("big_sharded");
    let rows = assert_shard_union_equals_single_run(
        &single.url(),
        &sharded.url(),
        "2400",
        &["2/2", "1/2"],
    );
    assert!(rows.transactions.len() > 150_000);
}

#[test]
fn shard_json_holds_only_its_users() {
    let dir = TempDir::create("shardjson");
    let whole = dir.join("whole.json");
    seed_ok(
        &[
            "--num-users",
            "10",
            "--seed",
            "7",
            "--as-of",
            AS_OF,
            "--no-db",
            "--out",
            whole.to_str().unwrap(),
        ],
        &[],
    );
    let whole: Dataset = serde_json::from_slice(&std::fs::read(&whole).unwrap()).unwrap();
    let mut users = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let path = dir.join("shard.json");
        let out = path.to_str().unwrap();
        seed_ok(
            &[
                "--num-users",
                "10",
                "--seed",
                "7",
                "--as-of",
                AS_OF,
                "--no-db",
                "--shard",
                shard,
                "--out",
                out,
            ],
            &[],
        );
        let part: Dataset = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            part.meta.shard.map(|s| s.to_string()).as_deref(),
            Some(shard)
        );
        assert_eq!(part.meta.num_users, part.users.len() as u64);
        users.extend(part.users);
    }
    assert_eq!(users, whole.users);
    assert_eq!(whole.meta.shard, None);
}

/// A copy of `json` where one transaction references an account that does not exist.
fn with_missing_account(json: &std::path::Path, out: &std::path::Path) -> String {
    let mut dataset: Dataset = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let missing = "00000000-0000-4000-8000-000000000000".to_owned();
    dataset.transactions[3].account_id = missing.clone();
    std::fs::write(out, serde_json::to_vec(&dataset).unwrap()).unwrap();
    missing
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn a_bad_file_rolls_back_and_keeps_the_old_rows() {
    let dir = TempDir::create("rollback");
    let pg = TestDb::create("rollback");
    let good = dir.join("good.json");
    generate_into(&pg.url(), "12", Some(good.to_str().unwrap()), &[]);
    let before = read_rows(&pg.url());
    let before_keys = keys(&pg.url());

    let bad = dir.join("bad.json");
    let missing = with_missing_account(&good, &bad);
    let dup = dir.join("dup.json");
    let mut dataset: Dataset = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    dataset.users[1].id = dataset.users[0].id.clone();
    let duplicated = dataset.users[0].id.clone();
    std::fs::write(&dup, serde_json::to_vec(&dataset).unwrap()).unwrap();

    let orphan = format!("references missing account {missing}");
    let duplicate = format!("Key (id)=({duplicated}) is duplicated");
    for (file, offender) in [(&bad, &orphan), (&dup, &duplicate)] {
        for method in ["copy", "insert"] {
            let output = seed(
                &[
                    "--from",
                    file.to_str().unwrap(),
                    "--database-url",
                    &pg.url(),
                ],
                &[("SEED_PG_LOAD", method)],
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.starts_with("error: load into PostgreSQL database"),
                "{stderr}"
            );
            assert!(stderr.contains(offender.as_str()), "{stderr}");
            assert_eq!(read_rows(&pg.url()), before);
            assert_eq!(keys(&pg.url()), before_keys);
        }
    }
}

#[test]
fn destructive_commands_refuse_remote_hosts_without_connecting() {
    let url = "postgres://u:secret@db.invalid:5432/app";
    let load = seed(
        &["--num-users", "1", "--no-json", "--database-url", url],
        &[],
    );
    assert_eq!(load.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&load.stderr),
        "error: refusing to replace users, accounts, transactions, persona_labels, recurring_streams, \
             recurring_stream_transactions, transaction_changes in PostgreSQL database \"app\" on \
         db.invalid:5432 (host from the URL): the host is not local; pass --allow-remote\n"
    );
    let reset = seed(
        &["reset-db", "--database-url", url],
        &[("DATABASE_URL", "data/ignored.db")],
    );
    assert_eq!(reset.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&reset.stderr),
        "error: refusing to drop and re-create users, accounts, transactions, persona_labels, recurring_streams, \
             recurring_stream_transactions, transaction_changes in PostgreSQL database \
         \"app\" on db.invalid:5432 (host from the URL): the host is not local; pass --allow-remote\n"
    );
    // With the flag the guard lets it through, and the (unresolvable) host is what fails.
    let allowed = seed(&["reset-db", "--allow-remote"], &[("DATABASE_URL", url)]);
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert_eq!(allowed.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: cannot open PostgreSQL database \"app\" on db.invalid:5432"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
}

#[test]
fn a_server_that_is_down_gives_one_line_and_writes_nothing() {
    let dir = TempDir::create("down");
    let out = dir.join("users.json");
    // Nothing listens on port 1.
    let output = seed(
        &[
            "--num-users",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--database-url",
            "postgres://postgres@127.0.0.1:1/app",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: cannot open PostgreSQL database \"app\" on 127.0.0.1:1: "),
        "{stderr}"
    );
    assert!(
        !out.exists(),
        "no JSON is written when the load cannot start"
    );
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn an_unknown_role_gives_one_line() {
    let pg = TestDb::create("role");
    let url = pg.url_as("no_such_role_for_seed");
    let output = seed(
        &["--num-users", "1", "--no-json", "--database-url", &url],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no_such_role_for_seed"), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot open PostgreSQL database"),
        "{stderr}"
    );
}

#[test]
#[cfg(feature = "tls")]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432 with ssl = on (.ci/postgres-tls.sh); .ci/run runs them against the local server"]
fn sslmode_require_loads_over_an_encrypted_connection() {
    let pg = TestDb::create("tls");
    let url = pg.url_with("sslmode=require");
    generate_into(&url, "5", None, &[]);
    assert_eq!(read_rows(&url).users.len(), 5);
    let conn = &mut PgConnection::establish(&url).unwrap();
    let encrypted: bool = diesel::select(sql::<diesel::sql_types::Bool>(
        "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
    ))
    .get_result(conn)
    .unwrap();
    assert!(encrypted, "the connection is not encrypted");
}
