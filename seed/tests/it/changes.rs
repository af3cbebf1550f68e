//! The change log a load writes: one `added` change per transaction it loads, numbered by
//! day, shard and order, the same from a generated run and from its JSON file, on SQLite and
//! PostgreSQL.

use std::collections::BTreeSet;

use backend::schema::transaction_changes;
use backend::{Change, DatabaseUrl, TransactionChange};
use diesel::prelude::*;
use seed::changes::unpack;

use crate::pg_support::{TempDir, TestDb, read_rows, seed, sqlite_url};
use crate::support::AS_OF;

/// Every change, in log order.
fn changes(url: &str) -> Vec<TransactionChange> {
    let conn = &mut DatabaseUrl::parse(url).unwrap().connect().unwrap();
    transaction_changes::table
        .order(transaction_changes::seq)
        .select(TransactionChange::as_select())
        .load(conn)
        .expect("read the change log")
}

fn ok(args: &[&str]) {
    let output = seed(args, &[]);
    assert!(
        output.status.success(),
        "seed {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The log holds exactly one `added` change per transaction, on its account, as of the run,
/// numbered from day 0 of `shard` up without gaps.
fn assert_one_added_change_per_transaction(url: &str, shards: &[u64]) {
    let rows = read_rows(url);
    let log = changes(url);
    assert_eq!(log.len(), rows.transactions.len());
    let as_of = chrono::NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap();
    for change in &log {
        assert_eq!(Change::parse(&change.change), Some(Change::Added));
        assert_eq!(change.as_of, as_of);
    }
    let logged: BTreeSet<(&str, &str)> = log
        .iter()
        .map(|c| (c.transaction_id.as_str(), c.account_id.as_str()))
        .collect();
    let loaded: BTreeSet<(&str, &str)> = rows
        .transactions
        .iter()
        .map(|t| (t.id.as_str(), t.account_id.as_str()))
        .collect();
    assert_eq!(logged, loaded);
    for &shard in shards {
        let ordinals: Vec<u64> = log
            .iter()
            .map(|c| unpack(c.seq))
            .filter(|&(_, s, _)| s == shard)
            .map(|(day, _, ordinal)| {
                assert_eq!(day, 0, "a fresh run's changes are on its timeline's day 0");
                ordinal
            })
            .collect();
        assert!(!ordinals.is_empty(), "shard {shard} wrote changes");
        assert_eq!(ordinals, (0..ordinals.len() as u64).collect::<Vec<_>>());
    }
}

fn check_backend(url: &str, dir: &TempDir) {
    let json = dir.join("users.json");
    let json = json.to_str().unwrap();
    ok(&[
        "--num-users",
        "12",
        "--as-of",
        AS_OF,
        "--out",
        json,
        "--database-url",
        url,
        "--quiet",
    ]);
    assert_one_added_change_per_transaction(url, &[0]);
    let generated = changes(url);

    // Loading the file the run wrote writes the same log.
    ok(&["--from", json, "--database-url", url, "--quiet"]);
    assert_eq!(changes(url), generated);

    // Shards number their changes apart, so they never collide and together cover the run.
    ok(&["reset-db", "--database-url", url]);
    for shard in ["2/2", "1/2"] {
        ok(&[
            "--num-users",
            "12",
            "--as-of",
            AS_OF,
            "--shard",
            shard,
            "--no-json",
            "--database-url",
            url,
            "--quiet",
        ]);
    }
    assert_one_added_change_per_transaction(url, &[0, 1]);
    let transaction_ids = |log: &[TransactionChange]| -> BTreeSet<String> {
        log.iter().map(|c| c.transaction_id.clone()).collect()
    };
    assert_eq!(transaction_ids(&changes(url)), transaction_ids(&generated));
}

#[test]
fn a_sqlite_load_logs_every_transaction_as_added() {
    let dir = TempDir::create("changes");
    check_backend(&sqlite_url(&dir.join("app.db")), &dir);
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn a_postgres_load_logs_every_transaction_as_added() {
    let dir = TempDir::create("changes_pg");
    let db = TestDb::create("changes");
    check_backend(&db.url(), &dir);
}
