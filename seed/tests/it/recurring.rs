//! Recurring streams, the ground truth of the story profile's scheduled series: each stream's
//! transactions, cadence and dates agree with the transactions themselves, payroll and
//! subscriptions are streams and purchases never are, and the streams reach the JSON file
//! and the database intact.

use std::collections::{HashMap, HashSet};

use backend::{RecurringStream, Transaction};
use chrono::NaiveDate;
use seed::catalog::Frequency;
use seed::dataset::Dataset;
use seed::tables::StreamRecord;

use crate::pg_support::{TempDir, read_rows, seed_ok, sqlite_url};
use crate::support::{dataset_at, write_json_bytes};

/// Two as-of dates (one a Sunday, one a Wednesday) and several seeds, 400 users each.
fn datasets() -> Vec<Dataset> {
    let dates = [
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    ];
    [
        (3, dates[0]),
        (42, dates[0]),
        (42, dates[1]),
        (2_024, dates[1]),
    ]
    .into_iter()
    .map(|(seed, as_of)| dataset_at(seed, 400, as_of))
    .collect()
}

fn transactions_by_id(data: &Dataset) -> HashMap<&str, &Transaction> {
    data.transactions
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect()
}

fn stream_of(record: &StreamRecord) -> RecurringStream {
    let mut rows = seed::tables::RowBatch::default();
    record.clone().push_into(&mut rows);
    rows.recurring_streams.remove(0)
}

/// The days between consecutive transactions of a stream.
fn gaps(dates: &[NaiveDate]) -> Vec<i64> {
    dates.windows(2).map(|w| (w[1] - w[0]).num_days()).collect()
}

fn median(values: &[i64]) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[(sorted.len() - 1) / 2]
}

#[test]
fn every_stream_holds_transactions_of_its_account_payee_category_and_sign() {
    for data in datasets() {
        assert!(data.recurring_streams.len() > 400, "streams for most users");
        let transactions = transactions_by_id(&data);
        let mut linked = HashSet::new();
        for record in &data.recurring_streams {
            let ids = &record.transaction_ids;
            assert!(ids.len() >= 2, "a stream recurs: {record:?}");
            let members: Vec<&Transaction> = ids
                .iter()
                .map(|id| {
                    *transactions
                        .get(id.as_str())
                        .expect("a linked transaction exists")
                })
                .collect();
            for t in &members {
                assert!(linked.insert(t.id.as_str()), "{} in two streams", t.id);
                assert_eq!(t.account_id, record.account_id, "{record:?}");
                assert_eq!(t.merchant_name, record.merchant_name, "{record:?}");
                assert_eq!(t.category, record.category, "{record:?}");
                assert_eq!(t.amount.signum(), record.amount.signum(), "{record:?}");
            }
            let expected = if record.amount < 0 {
                "inflow"
            } else {
                "outflow"
            };
            assert_eq!(record.direction, expected, "{record:?}");
            assert!(
                members.windows(2).all(|w| w[0].date <= w[1].date),
                "{record:?}"
            );
            let dates: Vec<NaiveDate> = members.iter().map(|t| t.date.date()).collect();
            assert_eq!(record.first_date, dates[0], "{record:?}");
            assert_eq!(record.last_date, dates[dates.len() - 1], "{record:?}");
            // A scheduled series has one amount: the salary or the subscription's price.
            assert!(
                members.iter().all(|t| t.amount == record.amount),
                "{record:?}"
            );
        }
    }
}

#[test]
fn a_streams_frequency_and_next_date_follow_its_dates() {
    let mut seen = HashSet::new();
    for data in datasets() {
        let transactions = transactions_by_id(&data);
        let as_of = data.meta.as_of;
        for record in &data.recurring_streams {
            let frequency = Frequency::from_name(&record.frequency).expect("a Plaid frequency");
            seen.insert(frequency);
            let dates: Vec<NaiveDate> = record
                .transaction_ids
                .iter()
                .map(|id| transactions[id.as_str()].date.date())
                .collect();
            let gaps = gaps(&dates);
            let (lo, hi) = frequency.gap_days();
            let typical = median(&gaps);
            assert!(
                (lo..=hi).contains(&typical),
                "median gap {typical}: {record:?}"
            );
            if frequency == Frequency::Biweekly {
                // Biweekly paydays are Fridays, never moved.
                assert!(gaps.iter().all(|g| g % 14 == 0), "{gaps:?}: {record:?}");
            }
            // The next one is the first after the data, one period after the last, give or
            // take a payday moved off a weekend and the length of a month.
            assert!(record.next_date >= as_of, "{record:?}");
            let next_gap = (record.next_date - record.last_date).num_days();
            assert!(
                (lo..=hi).contains(&next_gap),
                "next after {next_gap}: {record:?}"
            );
            let nominal = frequency.after(record.last_date);
            let off = (record.next_date - nominal).num_days().abs();
            assert!(off <= 3, "{off} days off one period: {record:?}");
        }
    }
    let seen_all = [
        Frequency::Biweekly,
        Frequency::SemiMonthly,
        Frequency::Monthly,
    ];
    assert!(seen_all.iter().all(|f| seen.contains(f)), "{seen:?}");
}

#[test]
fn users_paid_on_a_schedule_have_payroll_streams_and_irregular_earners_none() {
    for data in datasets() {
        let stream_of_transaction: HashMap<&str, &StreamRecord> = data
            .recurring_streams
            .iter()
            .flat_map(|r| r.transaction_ids.iter().map(move |id| (id.as_str(), r)))
            .collect();
        let user_of_account: HashMap<&str, &str> = data
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.user_id.as_str()))
            .collect();
        let persona: HashMap<&str, &str> = data
            .persona_labels
            .iter()
            .map(|l| (l.user_id.as_str(), l.persona.as_str()))
            .collect();
        let mut paid = HashSet::new();
        let mut with_payroll_stream = HashSet::new();
        for t in data.transactions.iter().filter(|t| t.category == "INCOME") {
            let user = user_of_account[t.account_id.as_str()];
            paid.insert(user);
            let stream = stream_of_transaction.get(t.id.as_str());
            if persona[user] == "variable_income" {
                assert!(stream.is_none(), "an irregular paycheck in a stream: {t:?}");
            } else {
                let stream = stream.unwrap_or_else(|| panic!("a paycheck in no stream: {t:?}"));
                assert_eq!(stream.direction, "inflow");
                with_payroll_stream.insert(user);
            }
        }
        let regular: Vec<&&str> = paid
            .iter()
            .filter(|u| persona[**u] != "variable_income")
            .collect();
        assert!(regular.len() > 300, "{} users on a payroll", regular.len());
        for user in regular {
            assert!(
                with_payroll_stream.contains(user),
                "{user} has no payroll stream"
            );
        }
    }
}

#[test]
fn subscriptions_are_streams_and_purchases_never_are() {
    let profile = crate::support::story_profile();
    let subscriptions: HashSet<&str> = profile
        .subscriptions
        .iter()
        .map(|s| s.merchant.as_str())
        .collect();
    let employers: HashSet<&str> = profile.categories[profile.income]
        .groups
        .iter()
        .flat_map(|g| g.merchants.iter().map(String::as_str))
        .collect();
    let catalog: HashSet<&str> = profile
        .categories
        .iter()
        .enumerate()
        .filter(|(c, _)| *c != profile.income)
        .flat_map(|(_, c)| c.groups.iter())
        .flat_map(|g| g.merchants.iter().map(String::as_str))
        .collect();
    assert!(
        subscriptions.is_disjoint(&catalog),
        "subscriptions are not shops"
    );
    for data in datasets() {
        let linked: HashSet<&str> = data
            .recurring_streams
            .iter()
            .flat_map(|r| r.transaction_ids.iter().map(String::as_str))
            .collect();
        let mut subscription_streams = 0;
        for record in &data.recurring_streams {
            let merchant = record.merchant_name.as_str();
            if subscriptions.contains(merchant) {
                subscription_streams += 1;
                assert_eq!(
                    (record.direction.as_str(), record.frequency.as_str()),
                    ("outflow", "MONTHLY")
                );
            } else {
                assert!(employers.contains(merchant), "{record:?}");
                assert_eq!(record.category, "INCOME", "{record:?}");
            }
        }
        assert!(
            subscription_streams > 200,
            "{subscription_streams} subscriptions"
        );
        for t in &data.transactions {
            let is_linked = linked.contains(t.id.as_str());
            if catalog.contains(t.merchant_name.as_str()) {
                assert!(!is_linked, "a one-off purchase in a stream: {t:?}");
            }
            if subscriptions.contains(t.merchant_name.as_str()) {
                assert!(is_linked, "a subscription charge in no stream: {t:?}");
            }
        }
    }
}

#[test]
fn streams_reach_the_json_file_and_sqlite_with_every_link() {
    let data = dataset_at(11, 40, crate::support::as_of());
    assert!(!data.recurring_streams.is_empty());
    // Through the streaming writer and back through serde.
    let dir = TempDir::create("recurring");
    let bytes = write_json_bytes(&data.meta, 11, 40, &dir.join("."));
    let read: Dataset = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(read.recurring_streams, data.recurring_streams);

    // Through the loader, from that file.
    let json = dir.join("users.json");
    let db = sqlite_url(&dir.join("seed.db"));
    seed_ok(
        &["--from", json.to_str().unwrap(), "--database-url", &db],
        &[],
    );
    let rows = read_rows(&db);
    let links: usize = data
        .recurring_streams
        .iter()
        .map(|r| r.transaction_ids.len())
        .sum();
    assert_eq!(rows.recurring_stream_transactions.len(), links);
    let mut expected: Vec<RecurringStream> = data.recurring_streams.iter().map(stream_of).collect();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(rows.recurring_streams, expected);
    let loaded: HashSet<(&str, &str)> = rows
        .recurring_stream_transactions
        .iter()
        .map(|l| (l.stream_id.as_str(), l.transaction_id.as_str()))
        .collect();
    for record in &data.recurring_streams {
        for id in &record.transaction_ids {
            assert!(
                loaded.contains(&(record.id.as_str(), id.as_str())),
                "{id} unlinked"
            );
        }
    }
}
