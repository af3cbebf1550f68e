//! Properties of generated data: ranges, counts, weights, ordering, uniqueness, determinism.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use seed::catalog;
use seed::generate::{generate_user, min_payment};
use seed::pipeline::generate_chunk;

use crate::support::{config, dataset};

const SEEDS: [u64; 4] = [0, 42, 2024, u64::MAX];

/// The story's category weights, in percent: the generator's profile must reproduce them.
const STORY_WEIGHTS: [(&str, f64); 7] = [
    ("FOOD_AND_DRINK", 25.0),
    ("GENERAL_MERCHANDISE", 20.0),
    ("TRANSPORTATION", 15.0),
    ("ENTERTAINMENT", 10.0),
    ("UTILITIES", 10.0),
    ("HEALTHCARE", 5.0),
    ("INCOME", 15.0),
];

/// The story's acceptance criteria on the last 180 days, at the origin and a day, a month and
/// a year after it on the same timelines (what a seeded database advanced to those dates
/// shows).
#[test]
fn every_value_stays_within_the_story_bounds() {
    let origin = crate::support::as_of();
    for (seed, days) in SEEDS
        .into_iter()
        .flat_map(|s| [(s, 0), (s, 1), (s, 30), (s, 365)])
    {
        let as_of = origin + Duration::days(days);
        let data = crate::support::dataset_on(seed, 150, origin, as_of);
        let midnight = as_of.and_hms_opt(0, 0, 0).unwrap();
        let origin_midnight = config(seed).as_of_midnight();
        let mut accounts_per_user: HashMap<&str, u32> = HashMap::new();
        for user in &data.users {
            assert!(!user.consent);
            assert!(user.created_at < origin_midnight, "{user:?}");
            assert!(
                user.created_at >= origin_midnight - Duration::days(730),
                "{user:?}"
            );
            let (local, domain) = user.email.split_once('@').unwrap();
            assert!(catalog::EMAIL_DOMAINS.contains(&domain), "{}", user.email);
            assert!(
                local.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'),
                "{}",
                user.email
            );
            assert!(!user.name.trim().is_empty());
        }
        for account in &data.accounts {
            *accounts_per_user.entry(&account.user_id).or_default() += 1;
            assert_eq!(account.currency, "USD");
            assert_eq!(account.mask.len(), 4);
            assert!(account.mask.chars().all(|c| c.is_ascii_digit()));
            let credit = account.account_type == "credit";
            assert_eq!(credit, account.subtype == "credit_card", "{account:?}");
            if !credit {
                assert_eq!(account.account_type, "depository");
                assert!(["checking", "savings"].contains(&account.subtype.as_str()));
                assert!(account.credit_limit.is_none() && account.apr.is_none());
                assert!(account.min_payment.is_none() && account.is_overdue.is_none());
                continue;
            }
            let limit = account.credit_limit.unwrap();
            assert!((100_000..=2_500_000).contains(&limit), "{account:?}");
            let apr = account.apr.unwrap();
            assert!((12.99..=29.99).contains(&apr), "{account:?}");
            assert_eq!((apr * 100.0).round() / 100.0, apr, "two decimals: {apr}");
            assert_eq!(account.min_payment, Some(min_payment(account.balance, 2)));
            assert_eq!(min_payment(10_000, 2), 200);
            assert!(account.is_overdue.is_some());
        }
        for user in &data.users {
            let count = accounts_per_user
                .get(user.id.as_str())
                .copied()
                .unwrap_or(0);
            assert!((1..=3).contains(&count), "{} has {count} accounts", user.id);
        }

        let mut per_account: HashMap<&str, Vec<&backend::Transaction>> = HashMap::new();
        for t in &data.transactions {
            per_account.entry(&t.account_id).or_default().push(t);
            assert!(
                t.date < midnight && t.date >= midnight - Duration::days(180),
                "{t:?}"
            );
            assert!(
                STORY_WEIGHTS.iter().any(|(name, _)| *name == t.category),
                "{t:?}"
            );
            if t.category == "INCOME" {
                assert!((-600_000..=-200_000).contains(&t.amount), "{t:?}");
            } else {
                assert!((500..=25_000).contains(&t.amount), "{t:?}");
            }
            assert!(!t.merchant_name.is_empty());
        }
        assert_eq!(
            per_account.len(),
            data.accounts.len(),
            "every account has transactions"
        );
        for (account, list) in &per_account {
            assert!(
                (20..=100).contains(&list.len()),
                "{account} has {}",
                list.len()
            );
            assert!(
                list.windows(2).all(|w| w[0].date <= w[1].date),
                "{account} is not sorted"
            );
        }
    }
}

#[test]
fn ids_and_emails_are_unique_uuid_v4() {
    let data = dataset(7, 400);
    let mut ids = HashSet::new();
    let all_ids = data
        .users
        .iter()
        .map(|u| &u.id)
        .chain(data.accounts.iter().map(|a| &a.id))
        .chain(data.transactions.iter().map(|t| &t.id));
    for id in all_ids {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(uuid.get_version_num(), 4, "{id}");
        assert_eq!(uuid.hyphenated().to_string(), *id, "lower-case hyphenated");
        assert!(ids.insert(id.clone()), "duplicate id {id}");
    }
    let emails: HashSet<_> = data.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails.len(), data.users.len());
}

/// Category shares and the pending rate over ~140k transactions, at the origin and a month
/// and a year after it on the same timelines. Shares must be within the ±2 points the profile
/// issue allows (the generator deals them per user and cycle by weight, so they are tighter
/// than independent draws); the pending rate follows from the purchases' lags and must be
/// within half a point of the story's 5% (its acceptance criterion allows a point).
#[test]
fn category_weights_and_pending_rate_match_the_story() {
    let origin = crate::support::as_of();
    for days in [0, 30, 365] {
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut pending = 0u64;
        let mut total = 0u64;
        for seed in [1, 2] {
            let as_of = origin + Duration::days(days);
            let data = crate::support::dataset_on(seed, 1_000, origin, as_of);
            for t in &data.transactions {
                *counts.entry(t.category.clone()).or_default() += 1;
                pending += u64::from(t.pending);
                total += 1;
            }
        }
        assert!(total > 100_000, "{total} transactions");
        for (name, percent) in STORY_WEIGHTS {
            let share = 100.0 * counts[name] as f64 / total as f64;
            assert!(
                (share - percent).abs() <= 2.0,
                "{name} {days} days on: {share:.2}% vs {percent}% ± 2"
            );
        }
        assert_eq!(counts.len(), STORY_WEIGHTS.len());
        let share = 100.0 * pending as f64 / total as f64;
        assert!(
            (share - 5.0).abs() <= 0.5,
            "pending {days} days on: {share:.2}% vs 5% ± 0.5"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_users_and_another_seed_does_not() {
    let a = dataset(42, 20);
    let b = dataset(42, 20);
    assert_eq!(a, b);
    let c = dataset(43, 20);
    assert_ne!(a.users, c.users);
}

#[test]
fn the_first_users_of_a_larger_run_are_the_users_of_a_smaller_run() {
    let small = dataset(42, 30);
    let large = dataset(42, 90);
    assert_eq!(small.users[..], large.users[..30]);
    assert_eq!(small.accounts[..], large.accounts[..small.accounts.len()]);
    assert_eq!(
        small.transactions[..],
        large.transactions[..small.transactions.len()]
    );
}

#[test]
fn thread_count_does_not_change_the_bytes() {
    let config = config(42);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| generate_chunk(&config, 0..300, true))
    };
    let (rows_1, json_1) = run(1);
    let (rows_4, json_4) = run(4);
    assert_eq!(rows_1, rows_4);
    assert!(json_1 == json_4, "the JSON differs between 1 and 4 threads");
    // And a chunk is exactly its users generated one by one.
    let one_by_one: Vec<_> = (0..300)
        .flat_map(|i| generate_user(&config, i).users)
        .collect();
    assert_eq!(rows_1.users, one_by_one);
}
