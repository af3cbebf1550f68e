//! The run tables, tested with one that only these tests declare, `test_merchants`
//! (`with_test_tables!` in `lib.rs` puts it in the list), loaded end to end: written
//! once per run into `users.json` and read back, loaded on SQLite and PostgreSQL, emptied
//! by a replacing load, keyed and checked, and appended by shards, in any order or in
//! parallel, into the database one unsharded load makes. The table is created by SQL in each
//! test's database; the product's schema knows nothing of it.

use std::ops::Range;
use std::path::Path;

use backend::schema::{
    accounts, persona_labels, recurring_stream_transactions, recurring_streams, seed_runs,
    transactions, users,
};
use backend::{
    Account, AnyConnection, DatabaseUrl, PersonaLabel, RecurringStream, RecurringStreamTransaction,
    Transaction, User,
};
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::changes::ChangeStamp;
use crate::dataset::Dataset;
use crate::dataset::{Meta, Shard};
use crate::generate::{GenConfig, generate_run};
use crate::json::JsonOut;
use crate::load::{LoadMode, LoadOptions, Loader, seed_run};
use crate::pipeline::{self, Database, Outputs, RunReport};
use crate::progress::Progress;
use crate::tables::{RowBatch, SECTIONS, TABLES, TableKind};

/// The Diesel table of `test_merchants`.
#[allow(missing_docs)]
pub mod schema {
    diesel::table! {
        test_merchants (id) {
            id -> Text,
            name -> Text,
            category -> Text,
            parent_id -> Nullable<Text>,
        }
    }
}

use schema::test_merchants;

/// The table, as each test's database creates it: a key, and a foreign key to itself.
const CREATE_TABLE: &str = "CREATE TABLE test_merchants (id TEXT NOT NULL PRIMARY KEY, \
     name TEXT NOT NULL, category TEXT NOT NULL, parent_id TEXT REFERENCES test_merchants (id))";

/// A merchant every user of a run shares: the JSON record and the Diesel row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = test_merchants)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct TestMerchant {
    /// Keyed by the seed.
    pub id: String,
    /// Its name, with the profile's.
    pub name: String,
    /// A Plaid category primary.
    pub category: String,
    /// The chain it belongs to, another merchant.
    pub parent_id: Option<String>,
}

/// The run's merchants: a function of the seed and the profile alone.
pub fn test_merchants(config: &GenConfig) -> Vec<TestMerchant> {
    const MERCHANTS: [(&str, &str); 5] = [
        ("Corner Grocer", "FOOD_AND_DRINK"),
        ("Main Street Pharmacy", "HEALTHCARE"),
        ("Citywide Transit", "TRANSPORTATION"),
        ("Corner Grocer Express", "FOOD_AND_DRINK"),
        ("Corner Grocer \"Late\"", "FOOD_AND_DRINK"),
    ];
    let id = |i: usize| format!("merchant-{:x}-{i}", config.seed);
    MERCHANTS
        .iter()
        .enumerate()
        .map(|(i, (name, category))| TestMerchant {
            id: id(i),
            name: format!("{name} ({})", config.profile.name()),
            category: (*category).to_owned(),
            parent_id: (i >= 3).then(|| id(0)),
        })
        .collect()
}

fn config(seed: u64) -> GenConfig {
    GenConfig::new(seed, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap())
}

/// The `meta` of users `users` of a run of `num_users`, as the command line makes it.
fn meta(config: &GenConfig, num_users: u64, shard: Option<Shard>) -> (Meta, Range<u64>) {
    let mut meta = config.meta(num_users);
    let Some(shard) = shard else {
        return (meta, 0..num_users);
    };
    let users = shard.users(num_users);
    meta.num_users = users.end - users.start;
    meta.shard = Some(shard);
    meta.first_user = Some(users.start);
    (meta, users)
}

/// Generates a run (or one shard of it) into `json` and `database`, as `seed` would.
fn seed(
    config: &GenConfig,
    num_users: u64,
    shard: Option<&str>,
    json: Option<&Path>,
    database: Option<&DatabaseUrl>,
) -> anyhow::Result<RunReport> {
    let shard = shard.map(|s| s.parse::<Shard>().unwrap());
    let (meta, users) = meta(config, num_users, shard);
    let outputs = Outputs {
        json: json.map(|path| JsonOut::File(path.to_path_buf())),
        database: database.map(|url| Database {
            url: url.clone(),
            mode: match shard {
                Some(_) => LoadMode::Append,
                None => LoadMode::Replace,
            },
            allow_unseeded: false,
        }),
    };
    pipeline::generate(config, &meta, users, &outputs, &Progress::default())
}

fn sqlite_url(path: &Path) -> DatabaseUrl {
    DatabaseUrl::parse(path.to_str().unwrap()).unwrap()
}

/// A SQLite file holding only the test table; the first load adds the product's schema.
fn sqlite_with_table(path: &Path) -> DatabaseUrl {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute(CREATE_TABLE).unwrap();
    sqlite_url(path)
}

fn connect(url: &DatabaseUrl) -> AnyConnection {
    url.connect().unwrap()
}

/// Every row of the tables a run writes (the change log aside, whose numbers name the
/// shard that logged them), each table ordered by its key.
#[derive(Debug, PartialEq)]
struct Rows {
    merchants: Vec<TestMerchant>,
    users: Vec<User>,
    accounts: Vec<Account>,
    transactions: Vec<Transaction>,
    persona_labels: Vec<PersonaLabel>,
    recurring_streams: Vec<RecurringStream>,
    recurring_stream_transactions: Vec<RecurringStreamTransaction>,
}

fn read_rows(url: &DatabaseUrl) -> Rows {
    let conn = &mut connect(url);
    Rows {
        merchants: test_merchants::table
            .order(test_merchants::id)
            .select(TestMerchant::as_select())
            .load(conn)
            .unwrap(),
        users: users::table
            .order(users::id)
            .select(User::as_select())
            .load(conn)
            .unwrap(),
        accounts: accounts::table
            .order(accounts::id)
            .select(Account::as_select())
            .load(conn)
            .unwrap(),
        transactions: transactions::table
            .order(transactions::id)
            .select(Transaction::as_select())
            .load(conn)
            .unwrap(),
        persona_labels: persona_labels::table
            .order(persona_labels::user_id)
            .select(PersonaLabel::as_select())
            .load(conn)
            .unwrap(),
        recurring_streams: recurring_streams::table
            .order(recurring_streams::id)
            .select(RecurringStream::as_select())
            .load(conn)
            .unwrap(),
        recurring_stream_transactions: recurring_stream_transactions::table
            .order((
                recurring_stream_transactions::stream_id,
                recurring_stream_transactions::transaction_id,
            ))
            .select(RecurringStreamTransaction::as_select())
            .load(conn)
            .unwrap(),
    }
}

/// The run's merchants ordered by id, as [`read_rows`] reads them.
fn sorted_merchants(config: &GenConfig) -> Vec<TestMerchant> {
    let mut merchants = test_merchants(config);
    merchants.sort_by(|a, b| a.id.cmp(&b.id));
    merchants
}

/// What `seed_runs` recorded of each load, in the order of the loads.
fn recorded_counts(url: &DatabaseUrl) -> Vec<String> {
    seed_runs::table
        .order(seed_runs::finished_at)
        .select(seed_runs::row_counts)
        .load(&mut connect(url))
        .unwrap()
}

#[test]
fn run_tables_come_before_the_users_tables() {
    let position = |name: &str| TABLES.iter().position(|t| t.name == name).unwrap();
    let users = position("users");
    assert_eq!(TABLES[position("test_merchants")].kind, TableKind::Run);
    assert!(TABLES[..users].iter().all(|t| t.kind == TableKind::Run));
    assert!(TABLES[users..].iter().all(|t| t.kind != TableKind::Run));
    let section = |name: &str| SECTIONS.iter().position(|s| s.name == name).unwrap();
    assert!(section("test_merchants") < section("users"));
    let run = generate_run(&config(7));
    assert_eq!(run.test_merchants, test_merchants(&config(7)));
    assert_ne!(run.test_merchants, test_merchants(&config(8)));
}

#[test]
fn run_rows_are_written_once_before_the_users_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.json");
    let config = config(11);
    let report = seed(&config, 25, None, Some(&path), None).unwrap();
    assert_eq!(report.counts.test_merchants, 5);
    assert_eq!(report.counts.users, 25);
    let summary = report.counts.to_string();
    assert!(summary.contains("5 test merchants, "), "{summary}");
    assert!(
        summary.find("test merchants") < summary.find("users"),
        "{summary}"
    );
    assert_eq!(report.stats.unwrap().counts.test_merchants, 5);

    let text = std::fs::read_to_string(&path).unwrap();
    let merchants = text.find("\n  \"test_merchants\": [").unwrap();
    assert!(text.find("\n  \"meta\": ").unwrap() < merchants);
    assert!(merchants < text.find("\n  \"users\": [").unwrap());
    assert_eq!(text.matches("\"test_merchants\"").count(), 1);
    // Byte for byte serde_json's pretty print of the whole dataset.
    let dataset: Dataset = serde_json::from_str(&text).unwrap();
    assert_eq!(dataset.test_merchants, test_merchants(&config));
    assert_eq!(text, serde_json::to_string_pretty(&dataset).unwrap() + "\n");

    // The streaming reader hands the run's rows on before the users', in batches of their
    // own.
    let mut batches: Vec<RowBatch> = Vec::new();
    let source = crate::json::read_json(&path, 1000, &mut |_, batch| {
        batches.push(batch);
        Ok(())
    })
    .unwrap();
    assert_eq!(source.counts.test_merchants, 5);
    let users = batches.iter().position(|b| !b.users.is_empty()).unwrap();
    let (run, users) = batches.split_at(users);
    assert!(run.iter().all(|b| b.users.is_empty() && !b.run.is_empty()));
    assert!(users.iter().all(|b| b.run.is_empty()));
    let merchants: Vec<TestMerchant> = run
        .iter()
        .flat_map(|b| b.run.test_merchants.iter().cloned())
        .collect();
    assert_eq!(merchants, test_merchants(&config));
}

#[test]
fn sqlite_loads_the_run_rows_once_and_a_replacing_load_empties_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_with_table(&dir.path().join("seed.db"));
    let json = dir.path().join("users.json");
    let report = seed(&config(3), 20, None, Some(&json), Some(&url)).unwrap();
    assert_eq!(report.load.unwrap().counts.test_merchants, 5);
    let first = read_rows(&url);
    assert_eq!(first.merchants, sorted_merchants(&config(3)));
    assert_eq!(first.users.len(), 20);

    // Another seed replaces the merchants too, not adds to them.
    seed(&config(4), 20, None, None, Some(&url)).unwrap();
    assert_eq!(read_rows(&url).merchants, sorted_merchants(&config(4)));

    // The file written with the first run loads back into the same rows.
    let database = Database::replace(url.clone());
    let report = pipeline::load_file(&json, &database, &Progress::default()).unwrap();
    assert_eq!(report.counts.test_merchants, 5);
    assert_eq!(read_rows(&url), first);
    let counts = recorded_counts(&url);
    assert_eq!(
        counts.len(),
        1,
        "a replacing load keeps only its own record"
    );
    let recorded: serde_json::Value = serde_json::from_str(&counts[0]).unwrap();
    assert_eq!(recorded["test_merchants"], 5, "{counts:?}");
    assert_eq!(recorded["users"], 20, "{counts:?}");
}

/// Loads `shards` of a 30-user run of `config` in their order into `sharded`, and checks
/// that the database holds what one unsharded load puts into `single`.
fn assert_shards_equal_one_load(single: &DatabaseUrl, sharded: &DatabaseUrl, shards: &[&str]) {
    let config = config(5);
    seed(&config, 30, None, None, Some(single)).unwrap();
    for shard in shards {
        let report = seed(&config, 30, Some(shard), None, Some(sharded)).unwrap();
        // Every shard writes the run's rows and counts them.
        assert_eq!(report.load.unwrap().counts.test_merchants, 5, "{shard}");
    }
    let rows = read_rows(sharded);
    assert_eq!(rows.merchants, sorted_merchants(&config));
    assert_eq!(rows, read_rows(single));
}

#[test]
fn sqlite_shards_append_the_run_rows_once() {
    let dir = tempfile::tempdir().unwrap();
    let single = sqlite_with_table(&dir.path().join("single.db"));
    let sharded = sqlite_with_table(&dir.path().join("sharded.db"));
    assert_shards_equal_one_load(&single, &sharded, &["2/3", "3/3", "1/3"]);
    // A shard loaded again adds no merchant; its users are refused as duplicates.
    let again = seed(&config(5), 30, Some("2/3"), None, Some(&sharded)).unwrap_err();
    assert!(format!("{again:#}").contains("users"), "{again:#}");
    assert_eq!(read_rows(&sharded).merchants.len(), 5);
}

#[test]
fn sqlite_shard_files_loaded_with_from_append_the_run_rows_once() {
    let dir = tempfile::tempdir().unwrap();
    let single = sqlite_with_table(&dir.path().join("single.db"));
    let sharded = sqlite_with_table(&dir.path().join("sharded.db"));
    let config = config(9);
    seed(&config, 12, None, None, Some(&single)).unwrap();
    for shard in ["2/2", "1/2"] {
        let path = dir.path().join(format!("shard{}.json", &shard[..1]));
        seed(&config, 12, Some(shard), Some(&path), None).unwrap();
        let database = Database {
            url: sharded.clone(),
            mode: LoadMode::Append,
            allow_unseeded: false,
        };
        pipeline::load_file(&path, &database, &Progress::default()).unwrap();
    }
    assert_eq!(read_rows(&sharded), read_rows(&single));
}

/// Renames a merchant in `url`, then appends shard 2/2 of the same run: the load refuses the
/// run row that differs, naming it, and changes nothing.
fn assert_differing_run_row_is_refused(url: &DatabaseUrl) {
    let config = config(6);
    seed(&config, 10, Some("1/2"), None, Some(url)).unwrap();
    let renamed = format!("merchant-{:x}-2", config.seed);
    diesel::update(test_merchants::table.find(&renamed))
        .set(test_merchants::name.eq("Renamed"))
        .execute(&mut connect(url))
        .unwrap();
    let before = read_rows(url);
    let error = seed(&config, 10, Some("2/2"), None, Some(url)).unwrap_err();
    assert!(
        format!("{error:#}").contains(&format!(
            "test merchant {renamed} is already in the database with other values"
        )),
        "{error:#}"
    );
    assert_eq!(read_rows(url), before);
}

#[test]
fn sqlite_appending_load_refuses_a_run_row_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    assert_differing_run_row_is_refused(&sqlite_with_table(&dir.path().join("seed.db")));
}

/// A file whose merchant references a missing merchant, and an application's row that a
/// load would orphan, are both refused as for any seeded table, the database unchanged.
fn assert_run_rows_are_checked(url: &DatabaseUrl, dir: &Path) {
    let json = dir.join("users.json");
    seed(&config(1), 8, None, Some(&json), Some(url)).unwrap();
    let before = read_rows(url);

    let mut dataset: Dataset = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let broken = dataset.test_merchants[4].id.clone();
    dataset.test_merchants[4].parent_id = Some("merchant-gone".into());
    let bad = dir.join("bad.json");
    std::fs::write(&bad, serde_json::to_string_pretty(&dataset).unwrap() + "\n").unwrap();
    let database = Database::replace(url.clone());
    let error = pipeline::load_file(&bad, &database, &Progress::default()).unwrap_err();
    assert!(
        format!("{error:#}").contains(&format!(
            "test merchant {broken} references missing test merchant merchant-gone"
        )),
        "{error:#}"
    );
    assert_eq!(read_rows(url), before);

    let mut conn = connect(url);
    conn.batch_execute(
        "CREATE TABLE app_favourites (id TEXT PRIMARY KEY, \
         merchant_id TEXT NOT NULL REFERENCES test_merchants (id))",
    )
    .unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO app_favourites VALUES ('f1', '{}')",
        before.merchants[0].id
    ))
    .unwrap();
    // Another seed's merchants have other ids: the favourite would lose its merchant.
    let error = seed(&config(2), 8, None, None, Some(url)).unwrap_err();
    assert!(
        format!("{error:#}").contains(
            "the load would orphan 1 row of app_favourites, which references test merchants \
             by app_favourites.merchant_id"
        ),
        "{error:#}"
    );
    assert_eq!(read_rows(url), before);
}

#[test]
fn sqlite_run_rows_are_keyed_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_with_table(&dir.path().join("seed.db"));
    assert_run_rows_are_checked(&url, dir.path());
}

/// PostgreSQL databases for these tests, on the server `SEED_TEST_POSTGRES_URL` names.
mod pg {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use backend::DatabaseUrl;

    /// A database created for one test, with the test table, dropped at the end.
    pub(super) struct TestDb {
        name: String,
        base: String,
        query: String,
    }

    impl TestDb {
        /// An empty database holding only the test table.
        pub(super) fn create(tag: &str) -> TestDb {
            let url = std::env::var("SEED_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned());
            let (base, query) = url.split_once('?').unwrap_or((&url, ""));
            let (scheme, rest) = base.split_once("://").unwrap();
            let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let db = TestDb {
                name: format!("seed_unit_{tag}_{}_{nanos}", std::process::id()),
                base: format!("{scheme}://{authority}"),
                query: query.to_owned(),
            };
            db.admin()
                .batch_execute(&format!("CREATE DATABASE {}", db.name))
                .unwrap();
            PgConnection::establish(&db.with("/", &db.name))
                .unwrap()
                .batch_execute(super::CREATE_TABLE)
                .unwrap();
            db
        }

        fn with(&self, slash: &str, name: &str) -> String {
            match self.query.is_empty() {
                true => format!("{}{slash}{name}", self.base),
                false => format!("{}{slash}{name}?{}", self.base, self.query),
            }
        }

        pub(super) fn url(&self) -> DatabaseUrl {
            DatabaseUrl::parse(&self.with("/", &self.name)).unwrap()
        }

        fn admin(&self) -> PgConnection {
            PgConnection::establish(&self.with("/", "postgres")).unwrap()
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            let _ = self.admin().batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn postgres_loads_the_run_rows_once_and_shards_equal_one_load() {
    let single = pg::TestDb::create("run_single");
    let sharded = pg::TestDb::create("run_sharded");
    // A replacing load fills the table and a second one replaces its rows.
    let report = seed(&config(4), 20, None, None, Some(&single.url())).unwrap();
    assert_eq!(report.load.unwrap().counts.test_merchants, 5);
    assert_eq!(
        read_rows(&single.url()).merchants,
        sorted_merchants(&config(4))
    );
    assert_shards_equal_one_load(&single.url(), &sharded.url(), &["3/3", "1/3", "2/3"]);
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn postgres_appending_load_refuses_a_run_row_that_differs() {
    let db = pg::TestDb::create("run_differs");
    assert_differing_run_row_is_refused(&db.url());
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn postgres_run_rows_are_keyed_and_checked() {
    let db = pg::TestDb::create("run_checked");
    let dir = tempfile::tempdir().unwrap();
    assert_run_rows_are_checked(&db.url(), dir.path());
}

/// Shard 1 is stopped inside its load, transaction open, after its run rows and a chunk of
/// its users; shard 2 then loads from start to commit, and shard 1 commits after it. Had
/// shard 1 written the run's rows in its own transaction, shard 2 would have waited at
/// the first of them for that commit, and failed at the bounded lock wait.
#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn postgres_shards_in_parallel_share_the_run_rows() {
    let single = pg::TestDb::create("run_par_single");
    let sharded = pg::TestDb::create("run_par_sharded");
    let url = sharded.url();
    backend::db::run_migrations(&mut connect(&url), &url).unwrap();
    let config = config(5);
    seed(&config, 30, None, None, Some(&single.url())).unwrap();

    let (meta, users) = meta(&config, 30, Some("1/2".parse().unwrap()));
    // Without a queue, a send returns once the loader has taken the batch, so the run's
    // rows are written by the time the second send returns.
    let options = LoadOptions {
        mode: LoadMode::Append,
        allow_unseeded: false,
        queue: 0,
    };
    let mut loader = Loader::start(&url, &options, Progress::default()).unwrap();
    let mut stamp = ChangeStamp::for_load(&meta).unwrap();
    let run = RowBatch {
        run: generate_run(&config),
        ..RowBatch::default()
    };
    loader.send(run, stamp.reserve(0).unwrap()).unwrap();
    let (users, _) = pipeline::generate_chunk(&config, users, false);
    let added = stamp.reserve(users.transactions.len()).unwrap();
    loader.send(users, added).unwrap();

    seed(&config, 30, Some("2/2"), None, Some(&url)).unwrap();
    loader
        .finish(seed_run(&meta, "test"))
        .unwrap()
        .commit()
        .unwrap();
    assert_eq!(read_rows(&url), read_rows(&single.url()));
}
