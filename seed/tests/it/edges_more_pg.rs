//! The promises at the edges, round two, on PostgreSQL (ignored unless asked for, like the
//! other server tests): an application's constraints of every shape are kept and checked,
//! its users are never deleted, a run that fails or is refused leaves the schema (and the
//! server's list of databases) as it found them, and every wait is bounded and ends at
//! Ctrl-C, recognised by its SQLSTATE whatever the server's language.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::pg_support::{TempDir, TestDb, seed, seed_ok};
use crate::running::Running;

const AS_OF: &str = "2025-06-01";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The arguments of a replacing load of `users` users of seed `seed` into `url`.
fn load_args<'a>(url: &'a str, seed: &'a str, users: &'a str) -> Vec<&'a str> {
    vec![
        "--as-of",
        AS_OF,
        "--seed",
        seed,
        "--num-users",
        users,
        "--no-json",
        "--quiet",
        "--database-url",
        url,
    ]
}

/// Every constraint of the database, as `table: definition`, sorted: what a load must
/// leave as it found it.
fn constraints(conn: &mut PgConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Constraint {
        #[diesel(sql_type = Text)]
        c: String,
    }
    diesel::sql_query(
        "SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) \
         AS c FROM pg_constraint WHERE connamespace NOT IN \
         ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1",
    )
    .load::<Constraint>(conn)
    .unwrap()
    .into_iter()
    .map(|c| c.c)
    .collect()
}

/// An application's foreign keys into seeded tables, of every shape the catalog allows: of
/// two columns, from another schema beside a same-named table in `public`, two sharing one
/// constraint name, and one added NOT VALID. A replacing load that would orphan their rows
/// is refused naming the table; one that keeps their parents keeps every constraint.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn postgres_keeps_and_checks_application_constraints_of_every_shape() {
    let pg = TestDb::create("appkeys");
    let url = pg.url();
    seed_ok(&load_args(&url, "1", "30"), &[]);
    let mut app = connect(&url);
    app.batch_execute(
        "CREATE TABLE app_pair (s TEXT, t TEXT, note TEXT, \
           CONSTRAINT app_pair_fk FOREIGN KEY (s, t) \
           REFERENCES recurring_stream_transactions (stream_id, transaction_id)); \
         INSERT INTO app_pair SELECT stream_id, transaction_id, 'x' \
           FROM recurring_stream_transactions ORDER BY 1, 2 LIMIT 3; \
         CREATE TABLE app (id SERIAL PRIMARY KEY, note TEXT); \
         CREATE SCHEMA s2; \
         CREATE TABLE s2.app (id SERIAL PRIMARY KEY, user_id TEXT REFERENCES users (id)); \
         INSERT INTO s2.app (user_id) SELECT id FROM users ORDER BY id LIMIT 2; \
         CREATE TABLE notes (id SERIAL PRIMARY KEY, user_id TEXT, \
           CONSTRAINT user_fk FOREIGN KEY (user_id) REFERENCES users (id)); \
         CREATE TABLE tags (id SERIAL PRIMARY KEY, user_id TEXT, \
           CONSTRAINT user_fk FOREIGN KEY (user_id) REFERENCES users (id)); \
         INSERT INTO notes (user_id) SELECT id FROM users ORDER BY id LIMIT 1; \
         INSERT INTO tags (user_id) SELECT id FROM users ORDER BY id LIMIT 1; \
         CREATE TABLE loose (id SERIAL PRIMARY KEY, user_id TEXT); \
         INSERT INTO loose (user_id) SELECT id FROM users ORDER BY id LIMIT 4; \
         ALTER TABLE loose ADD CONSTRAINT loose_fk FOREIGN KEY (user_id) \
           REFERENCES users (id) NOT VALID;",
    )
    .unwrap();
    let before = constraints(&mut app);
    // The same users come back: nothing is orphaned, and every constraint is as it was.
    seed_ok(&load_args(&url, "1", "30"), &[]);
    assert_eq!(constraints(&mut app), before);
    // Other users: each table's rows in turn would be orphaned, and the load says whose.
    for (table, rows) in [
        ("app_pair", 3),
        ("s2.app", 2),
        ("notes", 1),
        ("tags", 1),
        ("loose", 4),
    ] {
        let output = seed(&load_args(&url, "9", "30"), &[]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{table}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let expected = format!(
            "the load would orphan {rows} {} of {table}, which",
            if rows == 1 { "row" } else { "rows" }
        );
        assert!(err.contains(&expected), "{table}: {err}");
        assert_eq!(constraints(&mut app), before, "{table}");
        assert_eq!(count(&mut app, "SELECT count(*) AS n FROM users"), 30);
        app.batch_execute(&format!("DELETE FROM {table}")).unwrap();
    }
    seed_ok(&load_args(&url, "9", "30"), &[]);
    assert_eq!(constraints(&mut app), before);
}

/// Adds `n` users of an application's own to the database at `url`.
fn add_app_users(conn: &mut PgConnection, n: usize) {
    conn.batch_execute(&format!(
        "INSERT INTO users (id, name, email, consent, created_at) \
         SELECT 'app-user-' || i, 'App User', 'app' || i || '@example.org', true, \
         '2025-01-01 00:00:00' FROM generate_series(1, {n}) i"
    ))
    .unwrap();
}

/// An application's users in a seeded database: a replacing load and reset-db refuse,
/// naming how many, and change nothing.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn postgres_never_deletes_an_applications_users() {
    let pg = TestDb::create("appusers");
    let url = pg.url();
    seed_ok(&load_args(&url, "1", "30"), &[]);
    let mut app = connect(&url);
    add_app_users(&mut app, 30);
    for args in [
        load_args(&url, "2", "5"),
        vec!["reset-db", "--database-url", &url],
    ] {
        let output = seed(&args, &[]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(
            err.contains("users holds 60 rows, 30 more than the 30 that seed runs recorded"),
            "{err}"
        );
        assert_eq!(count(&mut app, "SELECT count(*) AS n FROM users"), 60);
    }
}

/// The versions in diesel's migrations table, or none if it does not exist.
fn applied(conn: &mut PgConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
        .load::<Version>(conn)
        .map(|v| v.into_iter().map(|v| v.version).collect())
        .unwrap_or_default()
}

/// Reverts the newest `n` migrations of the database at `url`.
fn revert(url: &str, n: usize) {
    use diesel_migrations::MigrationHarness;
    let mut conn = connect(url);
    for _ in 0..n {
        conn.revert_last_migration(backend::db::MIGRATIONS).unwrap();
    }
}

/// Reverts migrations until `n` are applied.
fn revert_to(url: &str, n: usize) {
    let applied = applied(&mut connect(url)).len();
    revert(url, applied - n);
}

fn database_exists(pg: &TestDb, name: &str) -> bool {
    count(
        &mut connect(&pg.admin_url()),
        &format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"),
    ) == 1
}

/// A run that fails or is refused leaves PostgreSQL as it found it, schema included: a
/// refused load does not apply pending migrations, a failing --from neither, and into a
/// database that did not exist it leaves none behind.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn a_failed_or_refused_postgres_run_leaves_the_schema_as_it_was() {
    let pg = TestDb::create("schema");
    let url = pg.url();
    seed_ok(&load_args(&url, "1", "10"), &[]);
    // Back to migration 4 (before seed_runs), with users that no seed run wrote (no persona
    // labels).
    revert_to(&url, 4);
    let mut app = connect(&url);
    app.batch_execute("DELETE FROM recurring_stream_transactions; DELETE FROM recurring_streams; DELETE FROM persona_labels;").unwrap();
    let versions = applied(&mut app);
    assert_eq!(versions.len(), 4);
    let output = seed(&load_args(&url, "2", "5"), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no seed run recorded"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        applied(&mut app),
        versions,
        "the refused load applied migrations"
    );
    assert_eq!(
        count(
            &mut app,
            "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'seed_runs'"
        ),
        0
    );

    let dir = TempDir::create("schema");
    std::fs::write(dir.join("bad.json"), "{\"meta\": 1}").unwrap();
    let bad = dir.join("bad.json");
    let bad = bad.to_str().unwrap();
    let output = seed(
        &["--from", bad, "--database-url", &url, "--allow-unseeded"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        applied(&mut app),
        versions,
        "the failed load applied migrations"
    );

    let missing = pg.url().replace(pg.name(), &format!("{}_new", pg.name()));
    let name = format!("{}_new", pg.name());
    let output = seed(&["--from", bad, "--database-url", &missing], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        !database_exists(&pg, &name),
        "the failed load left the database it created"
    );
    let output = seed(&["reset-db", "--database-url", &missing], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(database_exists(&pg, &name));
    connect(&pg.admin_url())
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
}

/// A load or reset-db started against `url` while another connection holds a lock it needs:
/// it says it waits, then fails after the bound with the lock message (exit 1), or ends at
/// Ctrl-C (exit 130) well before it.
fn assert_bounded_and_interruptible(args: &[&str], what: &str) {
    let dir = TempDir::create("wait");
    let started = Instant::now();
    let output = seed(args, &[]);
    let waited = started.elapsed();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{what}: {err}");
    assert!(
        err.contains("is locked by another connection: waiting up to 5 s"),
        "{what}: {err}"
    );
    assert!(
        err.contains("locked by another connection (an open transaction or another load): waited 5 s for it; nothing was changed"),
        "{what}: {err}"
    );
    assert!(
        waited >= Duration::from_secs(5),
        "{what}: gave up after {waited:?}"
    );
    let mut run = Running::start(&dir.join(""), args, &[]);
    run.wait_for("is locked by another connection: waiting up to 5 s");
    let interrupted = Instant::now();
    run.interrupt();
    let (status, said) = run.finish();
    assert_eq!(status.code(), Some(130), "{what}: {said}");
    assert!(
        said.contains("error: interrupted; nothing was changed"),
        "{what}: {said}"
    );
    assert!(
        interrupted.elapsed() < Duration::from_secs(5),
        "{what}: Ctrl-C was not acted on"
    );
}

/// Every wait is bounded and ends at Ctrl-C: behind an application holding diesel's
/// migrations table (running its own migration), behind the seeder's migration lock held by
/// another process, and reset-db behind an application's reader.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn every_postgres_wait_is_bounded_and_ends_at_ctrl_c() {
    let pg = TestDb::create("waits");
    let url = pg.url();
    seed_ok(&load_args(&url, "1", "10"), &[]);
    let load = load_args(&url, "2", "10");
    let reset = ["reset-db", "--database-url", url.as_str()];

    let mut holder = connect(&url);
    holder
        .batch_execute("BEGIN; LOCK TABLE __diesel_schema_migrations;")
        .unwrap();
    assert_bounded_and_interruptible(&load, "a load behind the migrations table");
    assert_bounded_and_interruptible(&reset, "reset-db behind the migrations table");
    holder.batch_execute("ROLLBACK").unwrap();

    // A pending migration, and another process applying migrations (its lock held).
    revert(&url, 1);
    holder
        .batch_execute("SELECT pg_advisory_lock(hashtext('spendsense seed migrations'))")
        .unwrap();
    assert_bounded_and_interruptible(&load, "a load behind the migration lock");
    holder
        .batch_execute("SELECT pg_advisory_unlock(hashtext('spendsense seed migrations'))")
        .unwrap();
    let versions = applied(&mut holder);

    holder
        .batch_execute("BEGIN; SELECT count(*) FROM users;")
        .unwrap();
    assert_bounded_and_interruptible(&reset, "reset-db behind a reader");
    holder.batch_execute("COMMIT").unwrap();
    assert_eq!(
        applied(&mut holder),
        versions,
        "a stopped run changed the schema"
    );
    assert_eq!(count(&mut holder, "SELECT count(*) AS n FROM users"), 10);
}

/// The lock wait is recognised by its SQLSTATE (55P03), not by the server's words: with the
/// server's messages in German, the load still says, in its own words, what held it.
#[test]
#[ignore = "needs PostgreSQL with the de_DE.UTF-8 locale, which .ci/postgres.sh generates"]
fn a_lock_wait_is_recognised_in_any_language() {
    let pg = TestDb::create("deutsch");
    let url = pg.url();
    seed_ok(&load_args(&url, "1", "10"), &[]);
    let mut admin = connect(&pg.admin_url());
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} SET lc_messages = 'de_DE.UTF-8'",
            pg.name()
        ))
        .expect("the server has the de_DE.UTF-8 locale (.ci/postgres.sh generates it)");
    let mut holder = connect(&url);
    // The server speaks German in this database now.
    let german = holder
        .batch_execute("SELECT * FROM no_such_table")
        .unwrap_err();
    assert!(german.to_string().contains("existiert nicht"), "{german}");
    holder
        .batch_execute("BEGIN; SELECT count(*) FROM users;")
        .unwrap();
    let output = seed(&load_args(&url, "2", "10"), &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("locked by another connection (an open transaction or another load): waited 5 s for it; nothing was changed"),
        "{err}"
    );
    holder.batch_execute("COMMIT").unwrap();
}

/// Whether a connection to the database `name` other than the caller's waits for a lock.
fn someone_waits(conn: &mut PgConnection, name: &str) -> bool {
    count(
        conn,
        &format!(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{name}' \
             AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ),
    ) > 0
}

/// A wait no lock taken up front can spare (a shard's insert behind an application's
/// uncommitted row with the same key) is bounded as well, and Ctrl-C ends it at once by
/// cancelling the statement on the server.
#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn ctrl_c_cancels_a_statement_waiting_on_the_server() {
    let pg = TestDb::create("cancel");
    let url = pg.url();
    seed_ok(&["reset-db", "--database-url", &url], &[]);
    let dir = TempDir::create("cancel");
    let shard = dir.join("shard.json");
    let shard = shard.to_str().unwrap();
    let common = ["--as-of", AS_OF, "--num-users", "10", "--shard", "2/2"];
    let mut args = common.to_vec();
    args.extend(["--no-db", "--out", shard]);
    seed_ok(&args, &[]);
    let data: serde_json::Value = serde_json::from_slice(&std::fs::read(shard).unwrap()).unwrap();
    let first = data["users"][0]["id"].as_str().unwrap().to_owned();
    let mut app = connect(&url);
    app.batch_execute(&format!(
        "BEGIN; INSERT INTO users (id, name, email, consent, created_at) VALUES \
         ('{first}', 'App', 'app@example.org', true, '2025-01-01 00:00:00');"
    ))
    .unwrap();
    let mut load = common.to_vec();
    load.extend(["--no-json", "--quiet", "--database-url", &url]);

    let started = Instant::now();
    let output = seed(&load, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(5), "gave up after {waited:?}");

    let mut watcher = connect(&pg.admin_url());
    let run = Running::start(&dir.join(""), &load, &[]);
    while !someone_waits(&mut watcher, pg.name()) {
        std::thread::yield_now();
    }
    let interrupted = Instant::now();
    run.interrupt();
    let (status, said) = run.finish();
    assert_eq!(status.code(), Some(130), "{said}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(4),
        "Ctrl-C took {:?}",
        interrupted.elapsed()
    );
    app.batch_execute("ROLLBACK").unwrap();
    assert_eq!(count(&mut app, "SELECT count(*) AS n FROM users"), 0);
}
