//! Time: a seeded database advanced from D1 to D2 holds what a run as of D2 on the same
//! timelines generates; advancing in steps or at once gives the same database; the change
//! log, replayed as a sync client would, rebuilds the transactions; history never changes
//! but through the log; what an application changed is left alone. On SQLite here, and on
//! PostgreSQL where a server is at hand.

use std::collections::{BTreeMap, HashSet};

use backend::schema::transaction_changes;
use backend::{Change, DatabaseUrl, Transaction, TransactionChange};
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use seed::advance::sync;
use seed::changes::unpack;

use crate::pg_support::{Rows, TempDir, TestDb, read_rows, seed, sqlite_url};
use crate::support::{AS_OF, as_of, dataset_of};

const USERS: u64 = 40;
const SEED: &str = "7";

fn ok(args: &[&str]) -> String {
    let output = seed(args, &[]);
    assert!(
        output.status.success(),
        "seed {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn seed_at(url: &str, as_of: &str) {
    seed_profile_at("story", url, as_of);
}

fn seed_profile_at(profile: &str, url: &str, as_of: &str) {
    ok(&[
        "--profile",
        profile,
        "--num-users",
        &USERS.to_string(),
        "--seed",
        SEED,
        "--as-of",
        as_of,
        "--no-json",
        "--database-url",
        url,
        "--quiet",
    ]);
}

fn advance(url: &str, how: &[&str]) -> String {
    let mut args = vec!["advance", "--database-url", url, "--quiet"];
    args.extend_from_slice(how);
    ok(&args)
}

fn log(url: &str) -> Vec<TransactionChange> {
    let conn = &mut DatabaseUrl::parse(url).unwrap().connect().unwrap();
    transaction_changes::table
        .order(transaction_changes::seq)
        .select(TransactionChange::as_select())
        .load(conn)
        .unwrap()
}

fn day(days: i64) -> NaiveDate {
    as_of() + Duration::days(days)
}

/// The database advanced to each date holds exactly what a run as of that date on timelines
/// from D1 generates: the same users and accounts, and the same transactions on every date
/// both hold; and the rows before (which only the advanced database holds) are unchanged
/// history. Every stream the direct run reports is held, and no held stream is one whose
/// series has ended (its next date would have passed).
fn check_agreement(profile: &str, url: &str) {
    let named = || seed::profile::Profile::builtin(profile).expect("a built-in profile");
    seed_profile_at(profile, url, AS_OF);
    for days in [1, 30, 365] {
        let to = day(days);
        advance(url, &["--to", &to.to_string()]);
        let held = read_rows(url);
        let direct = dataset_of(named(), 7, USERS, as_of(), to);
        let held_streams: HashSet<&str> = held
            .recurring_streams
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        for stream in &direct.recurring_streams {
            assert!(
                held_streams.contains(stream.id.as_str()),
                "stream generated but not held as of {to}: {stream:?}"
            );
        }
        for stream in &held.recurring_streams {
            assert!(
                stream.next_date >= to,
                "a stream that ended is held as of {to}: {stream:?}"
            );
        }
        let mut users = direct.users.clone();
        users.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(held.users, users, "users as of {to}");
        let mut accounts = direct.accounts.clone();
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(held.accounts, accounts, "accounts as of {to}");
        let window_start = (to - Duration::days(180)).and_hms_opt(0, 0, 0).unwrap();
        let shown: Vec<&Transaction> = held
            .transactions
            .iter()
            .filter(|t| t.date >= window_start)
            .collect();
        let mut expected: Vec<&Transaction> = direct.transactions.iter().collect();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        let ids = |rows: &[&Transaction]| -> HashSet<String> {
            rows.iter().map(|t| t.id.clone()).collect()
        };
        let (shown_ids, expected_ids) = (ids(&shown), ids(&expected));
        for t in &shown {
            assert!(
                expected_ids.contains(&t.id),
                "held but not generated as of {to}: {t:?}"
            );
        }
        for t in &expected {
            assert!(
                shown_ids.contains(&t.id),
                "generated but not held as of {to}: {t:?}"
            );
        }
        assert_eq!(shown, expected, "transactions of the window as of {to}");
        let history = dataset_of(named(), 7, USERS, as_of(), as_of());
        let ids: HashSet<&str> = held.transactions.iter().map(|t| t.id.as_str()).collect();
        let posted_before = history
            .transactions
            .iter()
            .filter(|t| !t.pending && t.date < window_start);
        for t in posted_before {
            assert!(ids.contains(t.id.as_str()), "{t:?} stays as {to}'s history");
        }
    }
}

#[test]
fn advancing_a_sqlite_database_agrees_with_a_direct_run() {
    let dir = TempDir::create("time_agree");
    check_agreement("story", &sqlite_url(&dir.join("app.db")));
}

#[test]
fn advancing_a_calibrated_sqlite_database_agrees_with_a_direct_run() {
    let dir = TempDir::create("time_agree_calibrated");
    check_agreement("calibrated", &sqlite_url(&dir.join("app.db")));
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn advancing_a_postgres_database_agrees_with_a_direct_run() {
    let db = TestDb::create("time_agree");
    check_agreement("story", &db.url());
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn advancing_a_calibrated_postgres_database_agrees_with_a_direct_run() {
    let db = TestDb::create("time_agree_calibrated");
    check_agreement("calibrated", &db.url());
}

/// What a sync client sees: the log's changes and their rows, without the run's as-of.
fn logged(url: &str) -> Vec<(i64, String, String, String)> {
    log(url)
        .into_iter()
        .map(|c| (c.seq, c.transaction_id, c.account_id, c.change))
        .collect()
}

fn check_composition(first: &str, second: &str) {
    seed_at(first, AS_OF);
    seed_at(second, AS_OF);
    for _ in 0..7 {
        advance(first, &["--days", "1"]);
    }
    advance(second, &["--days", "7"]);
    assert_eq!(read_rows(first), read_rows(second));
    assert_eq!(logged(first), logged(second));
    let days: Vec<i64> = log(first).iter().map(|c| unpack(c.seq).0).collect();
    assert!(
        days.contains(&1) && days.contains(&7),
        "changes on each day"
    );
}

#[test]
fn seven_advances_of_a_day_are_one_advance_of_seven_days() {
    let dir = TempDir::create("time_compose");
    check_composition(
        &sqlite_url(&dir.join("steps.db")),
        &sqlite_url(&dir.join("once.db")),
    );
}

#[test]
#[ignore = "needs PostgreSQL: run by .ci/postgres.sh"]
fn seven_postgres_advances_of_a_day_are_one_advance_of_seven_days() {
    let (first, second) = (TestDb::create("time_steps"), TestDb::create("time_once"));
    check_composition(&first.url(), &second.url());
}

/// Replays the sync pages after `since` onto `rows`, as a sync client applies them.
fn replay(url: &str, since: i64, rows: &mut BTreeMap<String, Transaction>) {
    let conn = &mut DatabaseUrl::parse(url).unwrap().connect().unwrap();
    let mut cursor = since;
    loop {
        let page = sync::page(conn, cursor, 100).unwrap();
        for t in page.added.into_iter().chain(page.modified) {
            rows.insert(t.id.clone(), t);
        }
        for removed in page.removed {
            rows.remove(&removed.transaction_id);
        }
        cursor = sync::parse_cursor(&page.next_cursor).unwrap();
        if !page.has_more {
            return;
        }
    }
}

/// The log replayed from D1 onto D1's rows gives D2's; every row of D1 is still there
/// unchanged unless the log modified it, or removed it, which it does only to pending rows.
#[test]
fn the_change_log_replays_and_history_does_not_change() {
    let dir = TempDir::create("time_replay");
    let url = sqlite_url(&dir.join("app.db"));
    seed_at(&url, AS_OF);
    let before = read_rows(&url);
    let since = log(&url).last().unwrap().seq;
    advance(&url, &["--days", "30"]);
    let after = read_rows(&url);
    let mut rows: BTreeMap<String, Transaction> = before
        .transactions
        .iter()
        .map(|t| (t.id.clone(), t.clone()))
        .collect();
    replay(&url, since, &mut rows);
    let replayed: Vec<Transaction> = rows.into_values().collect();
    assert_eq!(replayed, after.transactions);

    let changes = log(&url);
    let changed = |id: &str, what: Change| {
        changes
            .iter()
            .any(|c| c.seq > since && c.transaction_id == id && c.change == what.as_str())
    };
    let now: BTreeMap<&str, &Transaction> = after
        .transactions
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let (mut removed, mut modified) = (0, 0);
    for t in &before.transactions {
        match now.get(t.id.as_str()) {
            Some(&same) if same == t => {}
            Some(_) => {
                assert!(changed(&t.id, Change::Modified), "{t:?} changed unlogged");
                assert!(!t.pending, "a pending row is replaced, never modified");
                modified += 1;
            }
            None => {
                assert!(t.pending, "{t:?}: only pending rows go");
                assert!(changed(&t.id, Change::Removed), "{t:?} went unlogged");
                removed += 1;
            }
        }
    }
    assert!(
        removed > 0 && modified > 0,
        "{removed} removed, {modified} modified"
    );
    let identity = |r: &Rows| -> Vec<(String, String, String, String)> {
        r.accounts
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    a.user_id.clone(),
                    a.name.clone(),
                    a.mask.clone(),
                )
            })
            .collect()
    };
    assert_eq!(before.users, after.users);
    assert_eq!(identity(&before), identity(&after));
}

/// A row an application changed is left as it is and counted; the rest advances.
#[test]
fn rows_an_application_changed_are_skipped_and_counted() {
    let dir = TempDir::create("time_app");
    let url = sqlite_url(&dir.join("app.db"));
    seed_at(&url, AS_OF);
    let conn = &mut DatabaseUrl::parse(&url).unwrap().connect().unwrap();
    let changed = diesel::sql_query(
        "UPDATE transactions SET merchant_name = 'Edited by the app' WHERE pending",
    )
    .execute(conn)
    .unwrap();
    assert!(changed > 0);
    let said = advance(&url, &["--days", "30"]);
    assert!(said.contains(&format!("Skipped {changed} rows")), "{said}");
    let after = read_rows(&url);
    let edited = after
        .transactions
        .iter()
        .filter(|t| t.merchant_name == "Edited by the app")
        .count();
    assert_eq!(edited, changed);
}

/// What a day holds does not depend on how far a timeline is drawn: a user's rows as of a
/// date are the same whether the timeline was drawn to that date or a year further.
#[test]
fn a_day_holds_the_same_however_far_the_timeline_is_drawn() {
    for profile in [seed::profile::Profile::story()] {
        let config =
            seed::generate::GenConfig::with_profile(7, day(365), profile).with_origin(as_of());
        let a = config.day_of(as_of());
        let window = config.profile.common().window_days;
        for index in 0..60 {
            let short = config.timeline(index, &[a]).snapshot(0, a, a - window);
            let long = config
                .timeline(index, &[a, a + 365])
                .snapshot(0, a, a - window);
            assert_eq!(short, long, "user {index}");
        }
    }
}

/// `seed stats --database-url` on a database seeded at D1 and advanced to D2 measures what a
/// run as of D2 on the same timelines writes: the same report, but for the stream links,
/// which an advanced database keeps for its history too.
#[test]
fn stats_of_an_advanced_database_are_those_of_a_direct_run() {
    let dir = TempDir::create("time_stats");
    let url = sqlite_url(&dir.join("app.db"));
    seed_profile_at("calibrated", &url, AS_OF);
    advance(&url, &["--days", "30"]);
    let file = dir.join("direct.json");
    ok(&[
        "--profile",
        "calibrated",
        "--num-users",
        &USERS.to_string(),
        "--seed",
        SEED,
        "--as-of",
        &day(30).to_string(),
        "--origin",
        AS_OF,
        "--no-db",
        "--out",
        file.to_str().unwrap(),
        "--quiet",
    ]);
    let without_rows = |report: String| -> Vec<String> {
        report
            .lines()
            .filter(|l| !l.starts_with("Rows:"))
            .map(str::to_owned)
            .collect()
    };
    let held = without_rows(ok(&["stats", "--database-url", &url]));
    let direct = without_rows(ok(&["stats", file.to_str().unwrap()]));
    assert!(held.iter().any(|l| l.starts_with("Bands met:")), "{held:?}");
    assert_eq!(held, direct);
}
