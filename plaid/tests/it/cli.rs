//! The `plaid` binary: what it refuses, `--tokens`, and serving until stopped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use backend::schema::users;
use backend::{DatabaseUrl, User};
use diesel::prelude::*;
use plaid::items::{DataIdentity, Items};

use crate::support::Seeded;

fn plaid(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plaid"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run plaid")
}

fn one_error_line(output: &std::process::Output) -> String {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn path(seeded: &Seeded) -> String {
    match &seeded.url {
        DatabaseUrl::Sqlite { path } => path.to_str().unwrap().to_owned(),
        _ => unreachable!("a SQLite test database"),
    }
}

#[test]
fn it_refuses_other_interfaces_unseeded_data_and_missing_files() {
    let seeded = Seeded::sqlite(2, "story");
    let db = path(&seeded);
    let error = one_error_line(&plaid(&["--database-url", &db, "--listen", "0.0.0.0:0"]));
    assert!(
        error.contains("not a loopback address; pass --allow-non-loopback"),
        "{error}"
    );
    let error = one_error_line(&plaid(&["--database-url", "/nonexistent/app.db"]));
    assert!(
        error.contains("no database at /nonexistent/app.db"),
        "{error}"
    );

    let dir = tempfile::tempdir().unwrap();
    let unseeded = dir.path().join("app.db");
    let url = DatabaseUrl::Sqlite {
        path: unseeded.clone(),
    };
    let conn = &mut url.open().unwrap();
    // From its JSON record, so that a nullable column added to users is None here, unnamed.
    let user: User = serde_json::from_value(serde_json::json!({
        "id": "u1",
        "name": "Someone Real",
        "email": "someone@example.com",
        "consent": true,
        "created_at": "2025-01-01T00:00:00",
    }))
    .unwrap();
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .unwrap();
    let error = one_error_line(&plaid(&[
        "--database-url",
        unseeded.to_str().unwrap(),
        "--tokens",
    ]));
    assert!(error.contains("refusing to serve"), "{error}");
    assert!(
        error.contains("users holds 1 row that no seed run recorded"),
        "{error}"
    );
}

#[test]
fn a_database_the_seeder_never_loaded_is_refused_and_left_as_it_was() {
    use diesel::connection::SimpleConnection;
    use diesel::sqlite::SqliteConnection;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept');")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = one_error_line(&plaid(&[
        "--database-url",
        path.to_str().unwrap(),
        "--tokens",
    ]));
    assert!(error.contains("holds no seeded users"), "{error}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );

    let empty = dir.path().join("empty.db");
    DatabaseUrl::Sqlite {
        path: empty.clone(),
    }
    .open()
    .unwrap();
    let error = one_error_line(&plaid(&["--database-url", empty.to_str().unwrap()]));
    assert!(error.contains("holds no seeded users"), "{error}");
}

#[test]
fn tokens_lists_every_users_item() {
    let seeded = Seeded::sqlite(5, "story");
    let output = plaid(&["--database-url", &path(&seeded), "--tokens"]);
    assert!(output.status.success());
    let listed = String::from_utf8(output.stdout).unwrap();
    let conn = &mut seeded.connect();
    let identity = DataIdentity::read(conn).unwrap().unwrap();
    let items = Items::read(conn, &identity).unwrap();
    let expected: String = items
        .all()
        .iter()
        .map(|i| format!("{}\t{}\t{}\n", i.email, i.access_token, i.item_id))
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(listed.lines().count(), 5);
}

#[test]
fn the_binary_serves_on_the_port_it_announces() {
    let seeded = Seeded::sqlite(2, "story");
    let mut child = Command::new(env!("CARGO_BIN_EXE_plaid"))
        .args(["--database-url", &path(&seeded), "--listen", "127.0.0.1:0"])
        .env("PLAID_CLIENT_ID", "env-id")
        .env("PLAID_SECRET", "env-secret")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(
        line.starts_with("plaid: serving 2 items of") && url.starts_with("http://127.0.0.1:"),
        "{line}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = runtime.block_on(async {
        let target = plaid::client::Target::parse(&url).unwrap();
        let mut conn = plaid::client::Connection::open(&target).await.unwrap();
        conn.post_json(
            "/item/get",
            &[
                ("PLAID-CLIENT-ID", "env-id"),
                ("PLAID-SECRET", "env-secret"),
            ],
            br#"{"access_token":"access-sandbox-x"}"#.to_vec(),
        )
        .await
        .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status.as_u16(), body["error_code"].as_str()),
        (400, Some("INVALID_ACCESS_TOKEN")),
        "the keys from the environment were accepted"
    );
}
