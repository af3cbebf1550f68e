//! The promises at the edges, on PostgreSQL (ignored unless asked for, like the other server
//! tests): the same orphan refusal as SQLite, a bounded lock wait that does not queue the
//! application's readers, Ctrl-C, shards creating a database together, the seed_runs guard,
//! and a summary that names the server the load reached.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::pg_support::{TempDir, TestDb, seed, seed_ok};
use crate::running::Running;

const AS_OF: &str = "2025-06-01";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    let count: Count = diesel::sql_query(sql).get_result(conn).unwrap();
    count.n
}

fn users(url: &str) -> i64 {
    count(
        &mut PgConnection::establish(url).unwrap(),
        "SELECT count(*) AS n FROM users",
    )
}

/// Seeds `url` with `users` users of seed `seed`.
fn seed_db(url: &str, seed: &str, users: &str) {
    seed_ok(
        &[
            "--as-of",
            AS_OF,
            "--seed",
            seed,
            "--num-users",
            users,
            "--no-json",
            "--database-url",
            url,
            "--quiet",
        ],
        &[],
    );
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn postgres_refuses_to_orphan_an_applications_rows_as_sqlite_does() {
    let pg = TestDb::create("orphan");
    seed_db(&pg.url(), "1", "30");
    let mut app = PgConnection::establish(&pg.url()).unwrap();
    app.batch_execute(
        "CREATE TABLE insights (id SERIAL PRIMARY KEY, user_id TEXT NOT NULL \
         REFERENCES users (id), note TEXT NOT NULL); \
         INSERT INTO insights (user_id, note) SELECT id, 'spends on coffee' FROM users \
         ORDER BY id LIMIT 10;",
    )
    .unwrap();
    let output = seed(
        &[
            "--as-of",
            AS_OF,
            "--seed",
            "9",
            "--num-users",
            "30",
            "--no-json",
            "--database-url",
            &pg.url(),
        ],
        &[],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "the load would orphan 10 rows of insights, which reference users by insights.user_id"
        ),
        "{err}"
    );
    assert_eq!(users(&pg.url()), 30);
    assert_eq!(count(&mut app, "SELECT count(*) AS n FROM insights"), 10);
    // The same users come back: the application's rows keep their users, and its key too.
    seed_db(&pg.url(), "1", "30");
    let keys = count(
        &mut app,
        "SELECT count(*) AS n FROM pg_constraint WHERE conrelid = 'insights'::regclass \
         AND contype = 'f'",
    );
    assert_eq!(keys, 1, "the application's foreign key is back");
}

/// An application's open transaction on users: the replacing load waits a bounded time,
/// without queueing the application's other readers behind it, then says why it stopped.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn a_postgres_lock_wait_is_bounded_and_leaves_other_readers_alone() {
    let pg = TestDb::create("lock");
    seed_db(&pg.url(), "1", "20");
    let mut app = PgConnection::establish(&pg.url()).unwrap();
    app.batch_execute("BEGIN; SELECT count(*) FROM users;")
        .unwrap();
    let dir = TempDir::create("lock");
    let url = pg.url();
    let args = [
        "--as-of",
        AS_OF,
        "--seed",
        "2",
        "--num-users",
        "10",
        "--no-json",
        "--quiet",
        "--database-url",
        &url,
    ];
    let started = std::time::Instant::now();
    let mut run = Running::start(&dir.join(""), &args, &[]);
    run.wait_for("is locked by another connection: waiting up to 5 s");
    // Another reader of users gets its answer while the load waits.
    let mut reader = PgConnection::establish(&pg.url()).unwrap();
    reader
        .batch_execute("SET statement_timeout = '2s'")
        .unwrap();
    assert_eq!(count(&mut reader, "SELECT count(*) AS n FROM users"), 20);
    let (status, said) = run.finish();
    let waited = started.elapsed();
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "locked by another connection (an open transaction or another load): waited 5 s for it"
        ),
        "{said}"
    );
    assert!(waited >= std::time::Duration::from_secs(5), "{waited:?}");
    app.batch_execute("COMMIT").unwrap();
    assert_eq!(users(&pg.url()), 20);
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn ctrl_c_rolls_a_postgres_load_back_at_every_step() {
    let pg = TestDb::create("ctrlc");
    seed_db(&pg.url(), "1", "20");
    let dir = TempDir::create("ctrlc");
    let url = pg.url();
    for point in ["insert", "index", "check", "publish"] {
        let args = [
            "--as-of",
            AS_OF,
            "--seed",
            "2",
            "--num-users",
            "40",
            "--no-json",
            "--database-url",
            &url,
        ];
        let mut run = Running::start(&dir.join(""), &args, &[("SEED_TEST_PAUSE", point)]);
        run.wait_for(&format!("paused at {point}"));
        run.interrupt();
        run.wait_for("interrupted: rolling back");
        run.resume();
        let (status, said) = run.finish();
        assert_eq!(status.code(), Some(130), "{point}: {said}");
        assert_eq!(
            users(&pg.url()),
            20,
            "an interrupt at {point} changed the rows"
        );
    }
}

/// Shards started together on a database that does not exist yet: creating it and
/// migrating it are safe to race, and together they hold one run's users.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn shards_started_together_on_a_new_postgres_database_all_succeed() {
    // A database name for this test, dropped at the end by the guard.
    let pg = TestDb::create("shards");
    let url = pg.url().replace("seed_it_shards", "seed_it_new_shards");
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
                    &url,
                    "--shard",
                    &shard,
                ])
                .env_remove("DATABASE_URL")
                .spawn()
                .expect("start seed")
        })
        .collect();
    let results: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut conn = PgConnection::establish(&url).unwrap();
    let outcome = (
        count(&mut conn, "SELECT count(*) AS n FROM users"),
        count(&mut conn, "SELECT count(*) AS n FROM seed_runs"),
    );
    drop(conn);
    let name = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    PgConnection::establish(&pg.url())
        .unwrap()
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    for (k, output) in results.iter().enumerate() {
        assert!(output.status.success(), "shard {}", k + 1);
    }
    assert_eq!(outcome, (40, 4));
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn postgres_records_runs_and_guards_unrecorded_users() {
    let pg = TestDb::create("runs");
    seed_db(&pg.url(), "1", "20");
    let mut conn = PgConnection::establish(&pg.url()).unwrap();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM seed_runs"), 1);
    conn.batch_execute("DELETE FROM seed_runs").unwrap();
    for args in [
        vec!["--num-users", "5", "--no-json", "--database-url"],
        vec!["reset-db", "--database-url"],
    ] {
        let mut args = args;
        let url = pg.url();
        args.push(&url);
        let output = seed(&args, &[]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(
            err.contains("users holds 20 rows that no seed run recorded"),
            "{err}"
        );
    }
    assert_eq!(users(&pg.url()), 20);
    let url = pg.url();
    seed_ok(
        &[
            "--num-users",
            "5",
            "--no-json",
            "--allow-unseeded",
            "--database-url",
            &url,
        ],
        &[],
    );
    assert_eq!(users(&pg.url()), 5);
}

/// With several hosts in the URL, the summary names the one libpq reached.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn the_summary_names_the_server_the_load_reached() {
    let pg = TestDb::create("server");
    let url = pg.url();
    let (base, query) = url.split_once('?').unwrap_or((&url, ""));
    let name = base.rsplit('/').next().unwrap();
    let port = base
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or("5432");
    let many = format!(
        "postgres://postgres@/{name}?host=/nonexistent,127.0.0.1&port={port}{}{query}",
        if query.is_empty() { "" } else { "&" }
    );
    let output = seed_ok(
        &["--num-users", "2", "--no-json", "--database-url", &many],
        &[],
    );
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains(&format!(
            "on one of /nonexistent:{port}, 127.0.0.1:{port}, connected to 127.0.0.1:{port}"
        )),
        "{out}"
    );
}
