//! Draws keyed by purpose in the calibrated generator: one more utility in the profile, or one
//! fixed bill's other amounts, moves only what is drawn for it and what follows from balances.
//! Every paycheck, rent or mortgage payment, other fixed bill, ATM fee and savings deposit
//! keeps its id, date, amount and merchant; every account keeps everything but its balance
//! and the statement and payment fields that follow from balances.

use std::collections::BTreeSet;

use backend::Account;
use chrono::{Duration, NaiveDateTime};
use seed::dataset::Dataset;
use seed::generate::{GenConfig, generate_user};
use seed::profile::{CALIBRATED_PROFILE, Profile};

use crate::calibrated::as_of as origin;
use crate::support::calibrated_profile;

/// 400 users drawn from `profile`, a month after the origin on timelines from it.
fn dataset_with(profile: &str) -> Dataset {
    let profile = Profile::parse(profile, "test.toml", "test profile").expect("a valid profile");
    let as_of = origin() + Duration::days(30);
    let config = GenConfig::with_profile(42, as_of, profile).with_origin(origin());
    let users = 400;
    let meta = config.meta(users);
    Dataset::from_batches(meta, (0..users).map(|i| generate_user(&config, i)))
}

type Row = (String, NaiveDateTime, i64, String);

/// What must not move: paychecks, rent or mortgage, fixed bills (but `except`), ATM fees, and
/// the payroll users' savings deposits (a gig earner's moves to savings follow checking's
/// balance, so they may).
fn fixed_rows(data: &Dataset, except: &str) -> BTreeSet<Row> {
    let profile = calibrated_profile();
    let housing = &profile.housing;
    let gig: BTreeSet<&str> = data
        .persona_labels
        .iter()
        .filter(|l| l.persona == "variable_income")
        .map(|l| l.user_id.as_str())
        .collect();
    let owner = |account: &str| {
        data.accounts
            .iter()
            .find(|a| a.id == account)
            .map(|a| a.user_id.as_str())
            .expect("an account")
    };
    data.transactions
        .iter()
        .filter(|t| {
            let m = t.merchant_name.as_str();
            t.category == "INCOME"
                || housing
                    .landlords
                    .iter()
                    .chain(&housing.lenders)
                    .any(|h| h == m)
                || profile
                    .fixed_bills
                    .iter()
                    .any(|b| b.merchant == m && m != except)
                || m == "ATM Fee"
                || (["Transfer to Savings", "Transfer from Checking"].contains(&m)
                    && !gig.contains(owner(&t.account_id)))
        })
        .map(|t| (t.id.clone(), t.date, t.amount, t.merchant_name.clone()))
        .collect()
}

/// An account without its balance and the fields that follow from balances.
fn identity(a: &Account) -> Account {
    Account {
        balance: 0,
        min_payment: None,
        is_overdue: None,
        last_statement_balance: None,
        last_payment_amount: None,
        last_payment_date: None,
        ..a.clone()
    }
}

/// `before` and `after` hold the same users and accounts, the same rows that must not move,
/// and some balances that moved.
fn only_what_follows_moved(before: &Dataset, after: &Dataset, except: &str) -> usize {
    assert_eq!(before.users, after.users);
    assert_eq!(before.persona_labels, after.persona_labels);
    let ids = |d: &Dataset| d.accounts.iter().map(identity).collect::<Vec<_>>();
    assert_eq!(
        ids(before),
        ids(after),
        "an account changed more than its balances"
    );
    let (fixed_before, fixed_after) = (fixed_rows(before, except), fixed_rows(after, except));
    assert!(fixed_before.len() > 10_000, "{} rows", fixed_before.len());
    let moved: Vec<&Row> = fixed_before.symmetric_difference(&fixed_after).collect();
    assert!(
        moved.is_empty(),
        "{} rows moved: {:?}",
        moved.len(),
        &moved[..moved.len().min(4)]
    );
    before
        .accounts
        .iter()
        .zip(&after.accounts)
        .filter(|(b, a)| b.balance != a.balance)
        .count()
}

#[test]
fn one_more_utility_moves_only_its_own_rows_and_balances() {
    let with_utility = format!(
        "{CALIBRATED_PROFILE}\n[[utilities]]\ncategory = \"RENT_AND_UTILITIES\"\n\
         detailed = \"RENT_AND_UTILITIES_SEWAGE_AND_WASTE_MANAGEMENT\"\n\
         monthly_cents = {{ min = 1_500, median = 3_000, max = 9_000, spread = 0.3 }}\n\
         variation_percent = 10\ndue_days = [3, 28]\nmerchants = [\"Tri-County Waste\"]\n"
    );
    let (before, after) = (
        dataset_with(CALIBRATED_PROFILE),
        dataset_with(&with_utility),
    );
    let moved = only_what_follows_moved(&before, &after, "");
    let waste = |d: &Dataset| {
        d.transactions
            .iter()
            .filter(|t| t.merchant_name == "Tri-County Waste")
            .count()
    };
    assert_eq!(waste(&before), 0);
    assert!(waste(&after) > 400 * 5, "{} waste bills", waste(&after));
    assert!(moved > 300, "only {moved} balances followed the new bill");
    // The streams of payroll, housing and fixed bills keep their ids: the new utility's
    // stream comes last.
    let streams = |d: &Dataset| -> BTreeSet<(String, String)> {
        d.recurring_streams
            .iter()
            .filter(|s| s.merchant_name != "Tri-County Waste")
            .map(|s| (s.id.clone(), s.merchant_name.clone()))
            .collect()
    };
    let (b, a) = (streams(&before), streams(&after));
    let profile = calibrated_profile();
    let utilities: Vec<&String> = profile
        .utilities
        .iter()
        .flat_map(|u| &u.merchants)
        .collect();
    let kept = |set: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> {
        set.iter()
            .filter(|(_, m)| !utilities.contains(&m))
            .cloned()
            .collect()
    };
    assert_eq!(kept(&b), kept(&a));
}

#[test]
fn another_amount_range_for_one_fixed_bill_moves_only_its_own_rows_and_balances() {
    let from = "merchant = \"StreamFlix\"\ncategory = \"ENTERTAINMENT\"\n\
                detailed = \"ENTERTAINMENT_TV_AND_MOVIES\"\namount_cents = [999, 2_299]";
    assert!(CALIBRATED_PROFILE.contains(from));
    let to = from.replace("[999, 2_299]", "[1_499, 2_999]");
    let changed = CALIBRATED_PROFILE.replacen(from, &to, 1);
    let (before, after) = (dataset_with(CALIBRATED_PROFILE), dataset_with(&changed));
    only_what_follows_moved(&before, &after, "StreamFlix");
    let bills = |d: &Dataset| -> Vec<i64> {
        d.transactions
            .iter()
            .filter(|t| t.merchant_name == "StreamFlix")
            .map(|t| t.amount)
            .collect()
    };
    let after_bills = bills(&after);
    assert!(
        after_bills.len() > 100,
        "{} StreamFlix bills",
        after_bills.len()
    );
    assert!(after_bills.iter().all(|a| (1_499..=2_999).contains(a)));
    assert_ne!(bills(&before), after_bills);
}
