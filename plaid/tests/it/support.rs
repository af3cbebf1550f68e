//! Shared helpers: seeding a throwaway database with the seed library, starting a server on
//! it, and talking to the server over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use backend::DatabaseUrl;
use chrono::NaiveDate;
use diesel::Connection as _;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use plaid::client::{Connection, Target};
use plaid::clock::Clock;
use plaid::items::Item;
use plaid::request::Credentials;
use plaid::server::{Config, State, harden, serve};
use seed::generate::GenConfig;
use seed::pipeline::{self, Database, Outputs};
use serde_json::{Value, json};

pub(crate) const CLIENT_ID: &str = "test-client";
pub(crate) const SECRET: &str = "test-secret";
pub(crate) const AS_OF: &str = "2025-06-01";

/// A seeded database that goes away with the value: a SQLite file in a temporary folder, or
/// a throwaway PostgreSQL database.
pub(crate) struct Seeded {
    pub(crate) url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg: Option<PgDrop>,
}

struct PgDrop {
    admin: String,
    name: String,
}

impl Drop for PgDrop {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn seed_into(url: &DatabaseUrl, users: u64, profile: &str) {
    let profile = seed::cli::plan::load_profile(None, profile).expect("a built-in profile");
    let as_of = NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap();
    let config = GenConfig::with_profile(42, as_of, profile);
    let meta = config.meta(users);
    let outputs = Outputs {
        json: None,
        database: Some(Database::replace(url.clone())),
    };
    pipeline::generate(&config, &meta, 0..users, &outputs, &Default::default())
        .expect("seed the test database");
}

impl Seeded {
    /// `users` users of `profile` (seed 42, as of [`AS_OF`]) in a new SQLite file.
    pub(crate) fn sqlite(users: u64, profile: &str) -> Seeded {
        let dir = tempfile::Builder::new()
            .prefix("plaid_it_")
            .tempdir()
            .expect("a temporary folder");
        let url = DatabaseUrl::Sqlite {
            path: dir.path().join("app.db"),
        };
        seed_into(&url, users, profile);
        Seeded {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// The same in a new PostgreSQL database on `SEED_TEST_POSTGRES_URL`'s server.
    pub(crate) fn postgres(users: u64, profile: &str) -> Seeded {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var("SEED_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned());
        let (base, query) = server.split_once('?').unwrap_or((&server, ""));
        let (scheme, rest) = base.split_once("://").expect("a postgres:// URL");
        let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
        let base = format!("{scheme}://{authority}");
        let name = format!(
            "plaid_it_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let with_query = |db: &str| match query {
            "" => format!("{base}/{db}"),
            q => format!("{base}/{db}?{q}"),
        };
        let url = DatabaseUrl::parse(&with_query(&name)).unwrap();
        let guard = PgDrop {
            admin: with_query("postgres"),
            name,
        };
        seed_into(&url, users, profile);
        Seeded {
            url,
            _dir: None,
            pg: Some(guard),
        }
    }

    /// A writable connection, for tests that change the data under a running server.
    pub(crate) fn connect(&self) -> backend::AnyConnection {
        self.url.connect().expect("connect to the test database")
    }

    /// Whether this is the PostgreSQL variant.
    #[allow(dead_code)]
    pub(crate) fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

/// A server on 127.0.0.1 port 0, in the test's runtime.
pub(crate) struct Server {
    pub(crate) url: String,
    pub(crate) state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves `seeded` with the test keys and the seeder's clock.
    pub(crate) async fn start(seeded: &Seeded) -> Server {
        Server::start_with(seeded, |router| router).await
    }

    /// Serves `seeded` with routes added by `extra` (behind the same layers).
    pub(crate) async fn start_with(
        seeded: &Seeded,
        extra: impl FnOnce(Router) -> Router,
    ) -> Server {
        Server::start_configured(seeded, extra, |_| {}).await
    }

    /// Serves `seeded` with routes added by `extra` and the limits `configure` sets.
    pub(crate) async fn start_configured(
        seeded: &Seeded,
        extra: impl FnOnce(Router) -> Router,
        configure: impl FnOnce(&mut Config),
    ) -> Server {
        let mut config = Config::new(Credentials {
            client_id: CLIENT_ID.into(),
            secret: SECRET.into(),
        });
        configure(&mut config);
        let state = Arc::new(
            State::open(seeded.url.clone(), config, Clock::default()).expect("open the database"),
        );
        let timeout = state.config.request_timeout;
        let app = harden(extra(plaid::endpoints::router(state.clone())), timeout);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(serve(listener, app, 64));
        Server { url, state, task }
    }

    /// A client holding one kept-alive connection.
    pub(crate) async fn client(&self) -> Client {
        let target = Target::parse(&self.url).unwrap();
        Client {
            conn: Connection::open(&target)
                .await
                .expect("connect to the server"),
        }
    }

    /// The Item of the user with the most transactions.
    pub(crate) fn item(&self, index: usize) -> Item {
        self.state.items.all()[index].clone()
    }
}

/// A client of the test server.
pub(crate) struct Client {
    conn: Connection,
}

impl Client {
    /// POSTs `body` with the test keys in the headers; returns the status and the JSON.
    pub(crate) async fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        self.raw(
            path,
            &[("PLAID-CLIENT-ID", CLIENT_ID), ("PLAID-SECRET", SECRET)],
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    /// POSTs `body` as it is, with `headers`.
    pub(crate) async fn raw(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, Value) {
        let (status, bytes) = self
            .conn
            .post_json(path, headers, body)
            .await
            .expect("an answer");
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{path}: not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status.as_u16(), value)
    }

    /// POSTs and expects 200.
    pub(crate) async fn ok(&mut self, path: &str, body: Value) -> Value {
        let (status, value) = self.post(path, body).await;
        assert_eq!(status, 200, "{path}: {value}");
        value
    }

    /// Syncs every page from `cursor` with `count`; returns the pages.
    pub(crate) async fn sync_all(&mut self, token: &str, cursor: &str, count: u32) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut cursor = cursor.to_owned();
        loop {
            let page = self
                .ok(
                    "/transactions/sync",
                    json!({"access_token": token, "cursor": cursor, "count": count}),
                )
                .await;
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            let more = page["has_more"].as_bool().unwrap();
            pages.push(page);
            if !more {
                return pages;
            }
        }
    }
}

/// Asserts `value` is a Plaid error with `code` and `status`.
pub(crate) fn assert_error(answer: &(u16, Value), status: u16, error_type: &str, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["error_type"], error_type, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body.get("display_message").is_some(), "{body}");
    assert_eq!(
        body["request_id"].as_str().map(str::len),
        Some(15),
        "{body}"
    );
}

/// Dollars as cents.
pub(crate) fn cents(value: &Value) -> i64 {
    (value.as_f64().expect("a number") * 100.0).round() as i64
}
