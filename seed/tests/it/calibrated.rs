//! The calibrated profile: money that adds up (ledgers, transfers, card payments, statements),
//! recurring streams as ground truth, the personas' signals, the published bands, the usual
//! guarantees (deterministic, prefix-stable, thread-count independent, both backends) and
//! one-line errors for bad profile values. Everything is recomputed from rows, never from the
//! generator's internals, at the origin and a month and a year later on the same timelines
//! (what a database seeded at the origin and advanced shows).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use backend::schema::{recurring_stream_transactions, recurring_streams};
use backend::{Account, DatabaseUrl, RecurringStream, RecurringStreamTransaction, Transaction};
use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use seed::calendar::{is_business_day, next_business_day};
use seed::dataset::Dataset;
use seed::generate::{GenConfig, generate_user};
use seed::persona::Persona;
use seed::profile::{CALIBRATED_PROFILE, Profile, StatementTerms, Targets};
use seed::stats::Collector;
use seed::tables::RowBatch;

use crate::pg_support::{TempDir, seed_ok, sqlite_url};
use crate::support::calibrated_profile;

/// The origin of the timelines these tests draw.
pub(crate) fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("a real date")
}

/// Days after the origin the invariants are checked at: the origin itself, a month and a
/// year later.
const LATER: [i64; 3] = [0, 30, 365];

/// `users` users as of `as_of`, on timelines that start from `origin`.
pub(crate) fn generate_on(seed: u64, users: u64, origin: NaiveDate, as_of: NaiveDate) -> Dataset {
    let config = GenConfig::with_profile(seed, as_of, Profile::calibrated()).with_origin(origin);
    let meta = config.meta(users);
    Dataset::from_batches(meta, (0..users).map(|i| generate_user(&config, i)))
}

fn generate(seed: u64, users: u64, as_of: NaiveDate) -> Dataset {
    generate_on(seed, users, as_of, as_of)
}

/// 300 users as of each of [`LATER`] days after the origin, shared by the invariant tests.
fn small() -> &'static [Dataset] {
    static DATA: OnceLock<Vec<Dataset>> = OnceLock::new();
    DATA.get_or_init(|| {
        LATER
            .iter()
            .map(|&days| generate_on(11, 300, as_of(), as_of() + Duration::days(days)))
            .collect()
    })
}

/// 1,000 users as of each of [`LATER`] days after the origin, shared by the statistical
/// tests.
fn thousands() -> &'static [Dataset] {
    static DATA: OnceLock<Vec<Dataset>> = OnceLock::new();
    DATA.get_or_init(|| {
        LATER
            .iter()
            .map(|&days| generate_on(42, 1_000, as_of(), as_of() + Duration::days(days)))
            .collect()
    })
}

fn terms() -> StatementTerms {
    calibrated_profile().cards.statement
}

fn window_days() -> i64 {
    calibrated_profile().common.window_days
}

/// Each account's transactions, oldest first; where two share a second, money in first (as
/// banks post credits before debits).
fn by_account(data: &Dataset) -> HashMap<&str, Vec<&Transaction>> {
    let mut map: HashMap<&str, Vec<&Transaction>> = HashMap::new();
    for t in &data.transactions {
        map.entry(t.account_id.as_str()).or_default().push(t);
    }
    for list in map.values_mut() {
        list.sort_by_key(|t| (t.date, t.amount));
    }
    map
}

fn is_card(a: &Account) -> bool {
    a.account_type == "credit"
}

#[test]
fn every_balance_is_its_opening_plus_the_posted_transactions() {
    for data in small() {
        balances_add_up(data);
    }
}

/// Each account's balance is its balance at the window's start plus the window's posted
/// transactions; a depository account never shows a posted row below zero except on a day
/// with an overdraft fee, and a card owes within its limit at the window's start.
fn balances_add_up(data: &Dataset) {
    let as_of = data.meta.as_of;
    let start = as_of - Duration::days(window_days());
    let txs = by_account(data);
    let empty = Vec::new();
    for account in &data.accounts {
        let list = txs.get(account.id.as_str()).unwrap_or(&empty);
        for t in list {
            assert!(t.date.date() >= start && t.date.date() < as_of, "{t:?}");
        }
        let posted: i64 = list.iter().filter(|t| !t.pending).map(|t| t.amount).sum();
        if is_card(account) {
            card_stays_within_its_limit(account, list, posted);
            continue;
        }
        // Money out is positive: a depository account held balance + money out - money in.
        let opening = account.balance + posted;
        assert!(opening >= 0, "{} opens below zero: {opening}", account.id);
        let fee_days: HashSet<NaiveDate> = list
            .iter()
            .filter(|t| t.category_detailed.as_deref() == Some("BANK_FEES_OVERDRAFT_FEES"))
            .map(|t| t.date.date())
            .collect();
        let mut running = opening;
        for t in list.iter().filter(|t| !t.pending) {
            running -= t.amount;
            assert!(
                running >= 0 || fee_days.contains(&t.date.date()),
                "{} below zero on {} without an overdraft fee",
                account.id,
                t.date
            );
        }
        assert_eq!(running, account.balance);
    }
}

#[test]
fn savings_only_move_money_between_the_users_own_accounts() {
    for data in small() {
        savings_move_only_between_own_accounts(data);
    }
}

/// A card owes more with every charge: it owed `balance - posted` at the window's start, at
/// least nothing. Purchases are authorised only within the available credit, so a card goes
/// past its limit only through interest and fees (a minimum payment smaller than a month's
/// interest, or missed payments' late fees), never through what it was charged: replayed
/// from that start, every charge that leaves it past its limit finds it there already, or is
/// interest or a fee, or was authorised when the card owed less (its pending days).
fn card_stays_within_its_limit(account: &Account, list: &[&Transaction], posted: i64) {
    let limit = account.credit_limit.expect("a card has a limit");
    let opening = account.balance - posted;
    assert!(opening >= 0, "card {} opens at {opening}", account.id);
    let mut owed = opening;
    let mut over_by_charges = 0;
    for t in list.iter().filter(|t| !t.pending) {
        let before = owed;
        owed += t.amount;
        let charge = t.amount > 0 && t.category != "BANK_FEES";
        if charge && owed > limit && before <= limit && t.pending_transaction_id.is_none() {
            over_by_charges += 1;
        }
    }
    assert_eq!(
        over_by_charges, 0,
        "card {} charged past its limit",
        account.id
    );
}

/// Savings hold only transfers, and receive some.
fn savings_move_only_between_own_accounts(data: &Dataset) {
    let savings: HashSet<&str> = data
        .accounts
        .iter()
        .filter(|a| a.subtype == "savings")
        .map(|a| a.id.as_str())
        .collect();
    assert!(!savings.is_empty());
    let mut into_savings = 0;
    for t in &data.transactions {
        if savings.contains(t.account_id.as_str()) {
            assert!(
                ["TRANSFER_IN", "TRANSFER_OUT"].contains(&t.category.as_str()),
                "savings paid {t:?}"
            );
            into_savings += usize::from(t.category == "TRANSFER_IN");
        }
    }
    assert!(into_savings > savings.len(), "savings receive transfers");
}

#[test]
fn transfers_pair_up_between_a_users_accounts() {
    for data in small() {
        transfers_pair_up(data);
    }
}

/// Every TRANSFER_OUT has its TRANSFER_IN of the same amount on another account of the user,
/// the same day or the next business day.
fn transfers_pair_up(data: &Dataset) {
    let owner: HashMap<&str, &str> = data
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a.user_id.as_str()))
        .collect();
    let mut ins: Vec<&Transaction> = data
        .transactions
        .iter()
        .filter(|t| t.category == "TRANSFER_IN")
        .collect();
    let outs: Vec<&Transaction> = data
        .transactions
        .iter()
        .filter(|t| t.category == "TRANSFER_OUT")
        .collect();
    assert!(!outs.is_empty());
    assert_eq!(ins.len(), outs.len());
    for out in outs {
        assert!(out.amount > 0, "{out:?}");
        let day = out.date.date();
        let next = next_business_day(day + Duration::days(1));
        let matched = ins.iter().position(|t| {
            t.amount == -out.amount
                && t.account_id != out.account_id
                && owner[t.account_id.as_str()] == owner[out.account_id.as_str()]
                && (t.date.date() == day || t.date.date() == next)
        });
        let matched = matched.unwrap_or_else(|| panic!("no TRANSFER_IN for {out:?}"));
        ins.swap_remove(matched);
    }
}

#[test]
fn card_payments_pair_up_with_checking() {
    for data in small() {
        card_payments_pair_up(data);
    }
}

/// Every payment onto a card has its side on the user's checking, within three days.
fn card_payments_pair_up(data: &Dataset) {
    let accounts: HashMap<&str, &Account> =
        data.accounts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut from_checking: Vec<&Transaction> = data
        .transactions
        .iter()
        .filter(|t| {
            t.category == "LOAN_PAYMENTS"
                && t.merchant_name == "Credit Card Payment"
                && !is_card(accounts[t.account_id.as_str()])
        })
        .collect();
    let onto_cards: Vec<&Transaction> = data
        .transactions
        .iter()
        .filter(|t| t.category == "LOAN_PAYMENTS" && t.amount < 0)
        .collect();
    assert!(onto_cards.len() > 100, "{} card payments", onto_cards.len());
    assert_eq!(onto_cards.len(), from_checking.len());
    for paid in onto_cards {
        let card = accounts[paid.account_id.as_str()];
        assert!(
            is_card(card),
            "a negative LOAN_PAYMENTS off a card: {paid:?}"
        );
        let matched = from_checking.iter().position(|t| {
            let from = accounts[t.account_id.as_str()];
            let lag = (paid.date.date() - t.date.date()).num_days();
            t.amount == -paid.amount && from.user_id == card.user_id && (0..=3).contains(&lag)
        });
        let matched = matched.unwrap_or_else(|| panic!("no checking side for {paid:?}"));
        from_checking.swap_remove(matched);
    }
}

/// A statement issued on `issue`: the card's balance at the end of that day.
fn statement_balance(card: &Account, list: &[&Transaction], issue: NaiveDate) -> i64 {
    card.balance
        - list
            .iter()
            .filter(|t| !t.pending && t.date.date() > issue)
            .map(|t| t.amount)
            .sum::<i64>()
}

/// What was paid to the statement issued on `issue`, by its due date.
fn paid_to(list: &[&Transaction], issue: NaiveDate, due_days: i64) -> i64 {
    -list
        .iter()
        .filter(|t| t.category == "LOAN_PAYMENTS" && t.amount < 0)
        .filter(|t| t.date.date() > issue && t.date.date() <= issue + Duration::days(due_days))
        .map(|t| t.amount)
        .sum::<i64>()
}

/// The issue dates of a card issuing on `day` each month, newest first, before `as_of`.
fn issues(day: u32, as_of: NaiveDate, months: usize) -> Vec<NaiveDate> {
    let mut date = NaiveDate::from_ymd_opt(as_of.year(), as_of.month(), day).unwrap();
    let mut out = Vec::new();
    while out.len() < months {
        if date < as_of {
            out.push(date);
        }
        date = if date.month() == 1 {
            NaiveDate::from_ymd_opt(date.year() - 1, 12, day).unwrap()
        } else {
            NaiveDate::from_ymd_opt(date.year(), date.month() - 1, day).unwrap()
        };
    }
    out
}

#[test]
fn statement_fields_follow_from_the_card_rows() {
    for data in small() {
        statement_fields_follow(data);
    }
}

/// Each card's statement fields are what its rows replay to.
fn statement_fields_follow(data: &Dataset) {
    let as_of = data.meta.as_of;
    let terms = terms();
    let due_days = i64::from(terms.due_days);
    let txs = by_account(data);
    let empty = Vec::new();
    let mut overdue = 0;
    for account in &data.accounts {
        if !is_card(account) {
            assert_eq!(account.last_statement_balance, None);
            assert_eq!(account.last_statement_issue_date, None);
            assert_eq!(account.next_payment_due_date, None);
            assert_eq!(account.last_payment_amount, None);
            assert_eq!(account.last_payment_date, None);
            continue;
        }
        let list = txs.get(account.id.as_str()).unwrap_or(&empty);
        let issue = account.last_statement_issue_date.expect("a last statement");
        assert!(issue < as_of && issue + Duration::days(31) >= as_of);
        assert!((1..=28).contains(&issue.day()));
        let balance = statement_balance(account, list, issue);
        assert_eq!(
            account.last_statement_balance,
            Some(balance),
            "{}",
            account.id
        );
        assert_eq!(
            account.next_payment_due_date,
            Some(issue + Duration::days(due_days))
        );
        assert_eq!(account.min_payment, Some(terms.minimum_payment(balance)));
        // is_overdue: the latest due date before the as-of date passed with less than its
        // minimum paid.
        let last_due = issues(issue.day(), as_of, 4)
            .into_iter()
            .find(|i| *i + Duration::days(due_days) < as_of)
            .expect("a statement already due");
        let minimum = terms.minimum_payment(statement_balance(account, list, last_due));
        let late = minimum > 0 && paid_to(list, last_due, due_days) < minimum;
        assert_eq!(account.is_overdue, Some(late), "{}", account.id);
        overdue += usize::from(late);
        // The latest payment, as Plaid reports it whatever its age: the window's latest, or,
        // for a card its window shows no payment on, one before the window.
        let last_payment = list
            .iter()
            .rfind(|t| t.category == "LOAN_PAYMENTS" && t.amount < 0);
        match last_payment {
            Some(t) => {
                assert_eq!(account.last_payment_amount, Some(-t.amount));
                assert_eq!(account.last_payment_date, Some(t.date.date()));
            }
            None => {
                let start = as_of - Duration::days(window_days());
                assert!(
                    account.last_payment_date.is_none_or(|d| d < start),
                    "{account:?}"
                );
                assert_eq!(
                    account.last_payment_amount.is_some(),
                    account.last_payment_date.is_some()
                );
            }
        }
    }
    assert!(overdue > 0, "no card is overdue");
}

#[test]
fn the_minimum_payment_rule() {
    let terms = terms();
    assert_eq!(terms.minimum_payment(0), 0);
    assert_eq!(terms.minimum_payment(-5_000), 0);
    assert_eq!(terms.minimum_payment(1_000), 1_000);
    assert_eq!(
        terms.minimum_payment(10_000),
        terms.minimum_floor_cents.min(10_000)
    );
    let big = 1_000_000;
    let percent = (big as f64 * terms.minimum_percent / 100.0).round() as i64;
    assert_eq!(
        terms.minimum_payment(big),
        percent.max(terms.minimum_floor_cents)
    );
}

#[test]
fn streams_hold_their_transactions_and_paydays_are_business_days() {
    for data in small() {
        streams_hold_their_transactions(data);
    }
}

/// Streams link their own transactions, at their cadence, and paydays are business days.
fn streams_hold_their_transactions(data: &Dataset) {
    let as_of = data.meta.as_of;
    let txs: HashMap<&str, &Transaction> = data
        .transactions
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let owner: HashMap<&str, &str> = data
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a.user_id.as_str()))
        .collect();
    let mut linked = HashSet::new();
    let mut payroll_users = HashSet::new();
    let mut categories = HashSet::new();
    for stream in &data.recurring_streams {
        assert!(
            ["WEEKLY", "BIWEEKLY", "SEMI_MONTHLY", "MONTHLY", "ANNUALLY"]
                .contains(&stream.frequency.as_str())
        );
        let inflow = stream.direction == "inflow";
        assert!(inflow || stream.direction == "outflow");
        assert_eq!(inflow, stream.amount < 0, "{}", stream.id);
        assert!(stream.transaction_ids.len() >= 2, "{}", stream.id);
        let dates: Vec<NaiveDate> = stream
            .transaction_ids
            .iter()
            .map(|id| {
                assert!(linked.insert(id.clone()), "{id} in two streams");
                let t = txs[id.as_str()];
                assert_eq!(t.account_id, stream.account_id);
                assert_eq!(t.merchant_name, stream.merchant_name);
                assert_eq!(t.category, stream.category);
                assert_eq!(t.amount < 0, inflow);
                if stream.category == "INCOME" {
                    assert!(is_business_day(t.date.date()), "payday {}", t.date);
                    assert_eq!(t.amount, stream.amount, "payroll is one amount");
                }
                t.date.date()
            })
            .collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]), "{}", stream.id);
        assert_eq!(stream.first_date, dates[0]);
        assert_eq!(stream.last_date, *dates.last().unwrap());
        assert!(stream.next_date >= as_of && stream.next_date > stream.last_date);
        let (lo, hi) = match stream.frequency.as_str() {
            "WEEKLY" => (4, 10),
            "BIWEEKLY" => (11, 17),
            "SEMI_MONTHLY" => (10, 20),
            _ => (25, 35),
        };
        for w in dates.windows(2) {
            let gap = (w[1] - w[0]).num_days();
            assert!((lo..=hi).contains(&gap), "{} gap {gap}", stream.frequency);
        }
        if stream.category == "INCOME" {
            payroll_users.insert(owner[stream.account_id.as_str()]);
        }
        categories.insert(stream.category.as_str());
    }
    // Every user except the gig earners is paid through a payroll stream, and bills of
    // several kinds are streams.
    let gig = data
        .persona_labels
        .iter()
        .filter(|l| l.persona == "variable_income")
        .count();
    assert_eq!(payroll_users.len(), data.users.len() - gig);
    for category in ["RENT_AND_UTILITIES", "ENTERTAINMENT", "GENERAL_SERVICES"] {
        assert!(categories.contains(category), "no {category} stream");
    }
    // Purchases are not streams.
    for t in &data.transactions {
        if ["FOOD_AND_DRINK", "TRANSPORTATION", "TRANSFER_OUT"].contains(&t.category.as_str()) {
            assert!(!linked.contains(&t.id), "{t:?} is in a stream");
        }
    }
}

/// New streams appear as time passes: a year on, some users pay fixed bills they did not pay
/// at the origin (a subscription started or switched for another), each a stream of its own,
/// and some streams of the origin have ended.
#[test]
fn new_streams_start_as_time_passes() {
    let (then, later) = (&small()[0], &small()[2]);
    let ids = |data: &Dataset| -> HashSet<String> {
        data.recurring_streams
            .iter()
            .filter(|s| {
                calibrated_profile()
                    .fixed_bills
                    .iter()
                    .any(|b| b.merchant == s.merchant_name)
            })
            .map(|s| s.id.clone())
            .collect()
    };
    let (before, after) = (ids(then), ids(later));
    let started = after.difference(&before).count();
    let ended = before.difference(&after).count();
    assert!(
        started > 10,
        "{started} fixed-bill streams started within the year"
    );
    assert!(
        ended > 10,
        "{ended} fixed-bill streams ended within the year"
    );
}

/// Every persona's users show its signal at the origin and a month and a year later, and few
/// of the others do (at most 5%), with one exception measured apart. A gig earner parks each
/// payment in savings and draws on it until the next, so their savings rise and fall with
/// each payment: the 180 days before a date soon after a payment, begun when savings were
/// low, show them growing by more than a savings builder's $200 a month. Where the window's
/// two ends fall is a matter of the date, so about a third of gig earners show that inflow
/// on any date; the test bounds it at half.
#[test]
fn every_persona_shows_its_signal() {
    for data in thousands() {
        let as_of = data.meta.as_of;
        let mut collector = Collector::new();
        collector.add(&data.rows()).expect("rows reference parents");
        let (_, users) = collector.finish_with_signals(&Profile::calibrated(), as_of);
        for persona in Persona::ALL {
            let (mine, others): (Vec<_>, Vec<_>) =
                users.iter().partition(|u| u.persona == Some(persona));
            let missing = mine.iter().filter(|u| !u.shows(persona)).count();
            assert_eq!(
                missing,
                0,
                "{as_of}: {missing} users without {}",
                persona.name()
            );
            let (gig, others): (Vec<_>, Vec<_>) = others.into_iter().partition(|u| {
                persona == Persona::SavingsBuilder && u.persona == Some(Persona::VariableIncome)
            });
            let false_positives = others.iter().filter(|u| u.shows(persona)).count();
            assert!(
                false_positives * 20 <= others.len(),
                "{as_of}: {}: {false_positives} of {} others show it",
                persona.name(),
                others.len()
            );
            let gig_showing = gig.iter().filter(|u| u.shows(persona)).count();
            assert!(
                gig_showing * 2 <= gig.len(),
                "{as_of}: {gig_showing} of {} gig earners show a builder's inflow",
                gig.len()
            );
        }
    }
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = (values.len() - 1) as f64 * q;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (at - lo as f64)
}

fn within(name: &str, value: f64, lo: f64, hi: f64) {
    assert!(
        (lo..=hi).contains(&value),
        "{name}: {value:.3} outside [{lo}, {hi}]"
    );
}

/// The issue's bands, measured from rows with the contract's definitions, at 1,000 users, at
/// the origin and a month and a year later.
#[test]
fn a_thousand_users_land_in_the_published_bands() {
    for data in thousands() {
        lands_in_the_bands(data);
    }
}

fn lands_in_the_bands(data: &Dataset) {
    let as_of = data.meta.as_of;
    let terms = terms();
    let due_days = i64::from(terms.due_days);
    let txs = by_account(data);
    let empty = Vec::new();
    let accounts: HashMap<&str, &Account> =
        data.accounts.iter().map(|a| (a.id.as_str(), a)).collect();

    // Pay periods of users with payroll.
    let mut payroll: HashMap<&str, (i64, &str)> = HashMap::new();
    for s in data
        .recurring_streams
        .iter()
        .filter(|s| s.category == "INCOME")
    {
        let per_year = match s.frequency.as_str() {
            "WEEKLY" => 52,
            "BIWEEKLY" => 26,
            "SEMI_MONTHLY" => 24,
            _ => 12,
        };
        let user = accounts[s.account_id.as_str()].user_id.as_str();
        let value = s.amount.abs() * per_year;
        let entry = payroll.entry(user).or_insert((0, ""));
        if value > entry.0 {
            *entry = (value, s.frequency.as_str());
        }
    }
    let paid = payroll.len() as f64;
    for (frequency, target) in [
        ("WEEKLY", 34.0),
        ("BIWEEKLY", 42.0),
        ("SEMI_MONTHLY", 19.0),
        ("MONTHLY", 5.0),
    ] {
        let n = payroll.values().filter(|v| v.1 == frequency).count() as f64;
        within(frequency, 100.0 * n / paid, target - 5.0, target + 5.0);
    }

    let cards: Vec<&Account> = data.accounts.iter().filter(|a| is_card(a)).collect();
    let mut limits: Vec<f64> = cards
        .iter()
        .map(|a| a.credit_limit.unwrap() as f64 / 100.0)
        .collect();
    within("limit median", quantile(&mut limits, 0.5), 4_000.0, 6_000.0);
    within("limit p90", quantile(&mut limits, 0.9), 15_000.0, 25_000.0);
    let mut utilization: Vec<f64> = cards
        .iter()
        .map(|a| a.last_statement_balance.unwrap().max(0) as f64 / a.credit_limit.unwrap() as f64)
        .collect();
    within("util median", quantile(&mut utilization, 0.5), 0.05, 0.12);
    within("util p75", quantile(&mut utilization, 0.75), 0.45, 0.60);
    within("util p90", quantile(&mut utilization, 0.9), 0.85, 1.0);
    let aprs: Vec<f64> = cards.iter().map(|a| a.apr.unwrap()).collect();
    within(
        "apr mean",
        aprs.iter().sum::<f64>() / aprs.len() as f64,
        21.0,
        25.0,
    );
    assert!(aprs.iter().all(|a| (10.0..=36.0).contains(a)));

    let (mut full, mut more, mut minimum, mut past_due) = (0, 0, 0, 0);
    for card in &cards {
        let list = txs.get(card.id.as_str()).unwrap_or(&empty);
        let issue = card.last_statement_issue_date.unwrap();
        let due: Vec<NaiveDate> = issues(issue.day(), as_of, 5)
            .into_iter()
            .filter(|i| *i + Duration::days(due_days) < as_of)
            .collect();
        let class = |issue: NaiveDate| {
            let balance = statement_balance(card, list, issue);
            let min = terms.minimum_payment(balance);
            let paid = paid_to(list, issue, due_days);
            match () {
                _ if balance <= 0 => "none",
                _ if paid >= balance => "full",
                _ if paid > min => "more",
                _ if paid >= min => "minimum",
                _ => "missed",
            }
        };
        match class(due[0]) {
            "full" => full += 1,
            "more" => more += 1,
            "minimum" => minimum += 1,
            "missed" if class(due[1]) == "missed" => past_due += 1,
            _ => {}
        }
    }
    let share = |n: i32| 100.0 * f64::from(n) / cards.len() as f64;
    within("paid in full", share(full), 30.0, 40.0);
    within("more than the minimum", share(more), 23.0, 33.0);
    within("minimum only", share(minimum), 8.0, 14.0);
    within("30+ days past due", share(past_due), 1.5, 4.0);

    // Outgoing payments per user per month: own transfers and the checking side of card
    // payments left out.
    let months = window_days() as f64 / 30.436_875;
    let outgoing = data
        .transactions
        .iter()
        .filter(|t| t.amount > 0 && !["TRANSFER_OUT", "BANK_FEES"].contains(&t.category.as_str()))
        .filter(|t| {
            !(t.category == "LOAN_PAYMENTS"
                && t.merchant_name == "Credit Card Payment"
                && !is_card(accounts[t.account_id.as_str()]))
        })
        .count() as f64;
    within(
        "outgoing payments a month",
        outgoing / data.users.len() as f64 / months,
        30.0,
        50.0,
    );

    let mut held: HashMap<&str, f64> = HashMap::new();
    for a in data.accounts.iter().filter(|a| !is_card(a)) {
        *held.entry(a.user_id.as_str()).or_default() += a.balance as f64 / 100.0;
    }
    let mut held: Vec<f64> = held.into_values().collect();
    let mean = held.iter().sum::<f64>() / held.len() as f64;
    let median = quantile(&mut held, 0.5);
    within("checking+savings median", median, 5_000.0, 12_000.0);
    assert!(mean >= 2.0 * median, "mean {mean} median {median}");

    let mut spent = [0i64; 5];
    for t in data
        .transactions
        .iter()
        .filter(|t| t.amount > 0 && !t.pending)
    {
        let slot = match t.category.as_str() {
            "RENT_AND_UTILITIES" => 0,
            "LOAN_PAYMENTS" if t.merchant_name.contains("Mortgage") => 0,
            "TRANSPORTATION" => 1,
            "FOOD_AND_DRINK" => 2,
            "MEDICAL" => 3,
            "ENTERTAINMENT" => 4,
            _ => continue,
        };
        spent[slot] += t.amount;
    }
    let total: i64 = spent.iter().sum();
    for (slot, target) in [32.9, 17.0, 12.9, 8.0, 4.7].into_iter().enumerate() {
        let observed = 100.0 * spent[slot] as f64 / total as f64;
        let target = target * 100.0 / 75.5;
        within(
            [
                "housing",
                "transportation",
                "food",
                "healthcare",
                "entertainment",
            ][slot],
            observed,
            target - 4.0,
            target + 4.0,
        );
    }
}

#[test]
fn users_are_prefix_stable_and_thread_independent() {
    let long = generate(5, 40, as_of());
    let short = generate(5, 20, as_of());
    let config = GenConfig::with_profile(5, as_of(), Profile::calibrated());
    let mut first: RowBatch = RowBatch::default();
    for i in 0..20 {
        first.append(&mut generate_user(&config, i));
    }
    assert_eq!(first, short.rows());
    assert_eq!(long.users[..20], short.users[..]);
    assert_eq!(
        long.recurring_streams[..short.recurring_streams.len()],
        short.recurring_streams[..]
    );

    let dir = TempDir::create("calibrated_threads");
    let run = |threads: &str| {
        let out = dir.join(&format!("users-{threads}.json"));
        let out = out.to_str().unwrap().to_owned();
        seed_ok(
            &[
                "--profile",
                "calibrated",
                "--num-users",
                "120",
                "--seed",
                "9",
                "--as-of",
                "2026-11-25",
                "--no-db",
                "--threads",
                threads,
                "-q",
                "--out",
                &out,
            ],
            &[],
        );
        std::fs::read(out).unwrap()
    };
    let one = run("1");
    assert_eq!(one, run("2"), "the thread count changed the bytes");
    let file: Dataset = serde_json::from_slice(&one).unwrap();
    assert_eq!(file.meta.profile, "calibrated");
    assert_eq!(file, generate(9, 120, as_of()));
}

#[test]
fn a_calibrated_load_reaches_sqlite_through_the_models() {
    let dir = TempDir::create("calibrated_sqlite");
    let db = dir.join("cal.db");
    let json = dir.join("users.json");
    seed_ok(
        &[
            "--profile",
            "calibrated",
            "--num-users",
            "30",
            "--seed",
            "3",
            "--as-of",
            "2026-11-25",
            "-q",
            "--database-url",
            db.to_str().unwrap(),
            "--out",
            json.to_str().unwrap(),
        ],
        &[],
    );
    let file: Dataset = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_loaded(&sqlite_url(&db), &file);
}

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; .ci/run runs them against the local server"]
fn a_calibrated_load_reaches_postgres_through_the_models() {
    let dir = TempDir::create("calibrated_pg");
    let json = dir.join("users.json");
    let pg = crate::pg_support::TestDb::create("calibrated");
    seed_ok(
        &[
            "--profile",
            "calibrated",
            "--num-users",
            "40",
            "--seed",
            "3",
            "--as-of",
            "2026-11-25",
            "-q",
            "--database-url",
            &pg.url(),
            "--out",
            json.to_str().unwrap(),
        ],
        &[],
    );
    let file: Dataset = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_loaded(&pg.url(), &file);
}

/// The database at `url` holds `file`'s rows, streams and links included.
pub(crate) fn assert_loaded(url: &str, file: &Dataset) {
    let rows = crate::pg_support::read_rows(url);
    let mut accounts = file.accounts.clone();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(rows.accounts, accounts);
    assert_eq!(rows.transactions.len(), file.transactions.len());
    let target = DatabaseUrl::parse(url).unwrap();
    let conn = &mut target.connect().unwrap();
    let streams: Vec<RecurringStream> = recurring_streams::table
        .order(recurring_streams::id)
        .select(RecurringStream::as_select())
        .load(conn)
        .unwrap();
    let links: Vec<RecurringStreamTransaction> = recurring_stream_transactions::table
        .select(RecurringStreamTransaction::as_select())
        .load(conn)
        .unwrap();
    let mut expected = file.rows();
    expected.recurring_streams.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(streams, expected.recurring_streams);
    let pairs = |l: &[RecurringStreamTransaction]| -> HashSet<(String, String)> {
        l.iter()
            .map(|l| (l.stream_id.clone(), l.transaction_id.clone()))
            .collect()
    };
    assert_eq!(links.len(), expected.recurring_stream_transactions.len());
    assert_eq!(
        pairs(&links),
        pairs(&expected.recurring_stream_transactions)
    );
}

/// A file in the calibrated shape given to `--config` draws the same users as the built-in
/// profile; only `meta.profile` (the file's name) differs.
#[test]
fn a_calibrated_file_is_read_by_its_shape() {
    let dir = TempDir::create("calibrated_config");
    let config = dir.join("mine.toml");
    std::fs::write(&config, CALIBRATED_PROFILE).unwrap();
    let out = dir.join("users.json");
    seed_ok(
        &[
            "--config",
            config.to_str().unwrap(),
            "--num-users",
            "25",
            "--seed",
            "4",
            "--as-of",
            "2026-11-25",
            "--no-db",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let mut file: Dataset = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file.meta.profile, "mine.toml");
    let built_in = generate(4, 25, as_of());
    file.meta = built_in.meta.clone();
    assert_eq!(file, built_in);
}

/// Bad values give one line naming the key and the line, never a panic.
#[test]
fn bad_calibrated_values_fail_in_one_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("window_days = 180", "window_days = 7", "window_days"),
        ("share = 30\n", "share = 31\n", "personas.share"),
        ("share = 30\n", "share = 4294967295\n", "personas.share"),
        ("due_days = 25", "due_days = 40", "cards.statement.due_days"),
        (
            "minimum_percent = 2.0",
            "minimum_percent = -1.0",
            "cards.statement.minimum_percent",
        ),
        (
            "minimum_percent = 2.0",
            "minimum_percent = nan",
            "cards.statement.minimum_percent",
        ),
        (
            "\"Heartland Mortgage\"",
            "\"Heartland Home Loans\"",
            "housing.lenders",
        ),
        (
            "category = \"MEDICAL\"",
            "category = \"HEALTH\"",
            "purchases.category",
        ),
        (
            "income_bp = 700",
            "income_bp = 10001",
            "purchases.income_bp",
        ),
        (
            "spread = 0.5\nhours",
            "spread = -0.5\nhours",
            "purchases.spread",
        ),
        (
            "detailed = \"FOOD_AND_DRINK_GROCERIES\"",
            "detailed = \"TRAVEL_LODGING\"",
            "purchases.detailed",
        ),
        (
            "detailed = \"FOOD_AND_DRINK_GROCERIES\"",
            "detailed = \"FOOD_AND_DRINK_GROCERY\"",
            "purchases.detailed",
        ),
        (
            "rent_detailed = \"RENT_AND_UTILITIES_RENT\"",
            "rent_detailed = \"LOAN_PAYMENTS_MORTGAGE_PAYMENT\"",
            "housing.rent_detailed",
        ),
        ("hours = [11, 22]", "hours = [11, 11]", "purchases.hours"),
        ("hours = [11, 22]", "hours = [11, 25]", "purchases.hours"),
        (
            "atm_hours = [9, 21]",
            "atm_hours = [9, 9]",
            "fees.atm_hours",
        ),
        (
            "hold_cents = 10_000",
            "hold_cents = 10_000\ntip_percent = [10, 20]",
            "purchases.hold_cents",
        ),
        (
            "due_days = [3, 28]",
            "due_days = [3, 29]",
            "utilities.due_days",
        ),
        (
            "statement_days = [1, 28]",
            "statement_days = [0, 28]",
            "cards.statement_days",
        ),
        (
            "favorite_weights = [65, 35]",
            "favorite_weights = []",
            "shopping.favorite_weights",
        ),
        (
            "miss_percent = 70",
            "miss_percent = 101",
            "cards.miss_percent",
        ),
        (
            "factor_percent = [25, 300]",
            "factor_percent = [300, 25]",
            "budget.factor_percent",
        ),
        ("gain = 1.0", "gain = inf", "budget.gain"),
        (
            "max_income_bp = 1_000",
            "max_income_bp = -1",
            "bills.max_income_bp",
        ),
        (
            "atm_per_month = 0.25",
            "atm_per_month = -0.25",
            "fees.atm_per_month",
        ),
        (
            "card_percent = 68",
            "card_percent = 101",
            "accounts.card_percent",
        ),
        (
            "gig_gap_days = [50, 75]",
            "gig_gap_days = [75, 50]",
            "income.gig_gap_days",
        ),
        (
            "card_use = { unused = 25, full = 49, more = 22, minimum = 3, missed = 1 }",
            "card_use = { unused = 0, full = 0, more = 0, minimum = 0, missed = 0 }",
            "personas.steady.card_use",
        ),
        (
            "fixed_bills = [4, 7]",
            "fixed_bills = [4, 70]",
            "personas.subscription_heavy.fixed_bills",
        ),
        (
            "generator = \"calibrated\"",
            "generator = \"ledger\"",
            "generator",
        ),
        (
            "drop_percent = 2.0",
            "drop_percent = \"two\"",
            "pending.drop_percent",
        ),
        ("lag_days = [1, 3]", "lag_days = [3, 1]", "pending.lag_days"),
        (
            "median = 420_000",
            "median = 99_000_000",
            "income.net_monthly_cents",
        ),
    ];
    for (from, to, key) in cases {
        assert!(
            CALIBRATED_PROFILE.contains(from),
            "{from:?} is not in the profile"
        );
        let source = CALIBRATED_PROFILE.replacen(from, to, 1);
        let err = Profile::parse(&source, "cal.toml", "cal.toml")
            .expect_err(&format!("{to:?} is refused"));
        let text = err.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(text.starts_with("cal.toml: line "), "{text}");
        assert_eq!(err.key, *key, "{text}");
        let line = source.lines().nth(err.line - 1).unwrap();
        let changed = to.split('\n').next().unwrap();
        assert!(
            line.contains(changed),
            "line {} is {line:?}: {text}",
            err.line
        );
    }
    let parsed = Profile::parse(CALIBRATED_PROFILE, "calibrated", "calibrated").unwrap();
    assert_eq!(parsed, Profile::calibrated());
    assert!(Profile::builtin("calibrated").is_ok());
}

/// What `seed stats` prints is what the tests hold: every band of the shipped targets file,
/// measured by `stats` itself, holds at 1,000 users, for the pinned seed at the origin and a
/// month and a year later on the same timelines, and for another seed at another as-of (the
/// bands are properties of the profile, not of one draw or one date).
#[test]
fn stats_finds_every_shipped_band_met() {
    let profile = Profile::calibrated();
    let targets = Targets::builtin("calibrated").expect("the calibrated profile ships targets");
    let other = generate(
        7,
        1_000,
        NaiveDate::from_ymd_opt(2025, 6, 1).expect("a date"),
    );
    for data in thousands().iter().chain([&other]) {
        let mut collector = Collector::new();
        collector
            .add(&data.rows())
            .expect("rows reference their parents");
        let stats = collector.finish(&profile, data.meta.as_of);
        assert!(stats.counts.users >= targets.min_users);
        let results = seed::stats::evaluate(&stats, &profile, &targets).expect("known measures");
        assert_eq!(results.len(), targets.bands.len());
        let missed: Vec<String> = results
            .iter()
            .filter(|(band, value)| !value.is_some_and(|v| band.holds(v)))
            .map(|(band, value)| {
                format!(
                    "{}: {value:?} not in {}-{}",
                    band.label, band.low, band.high
                )
            })
            .collect();
        assert!(
            missed.is_empty(),
            "seed {} as of {}: {missed:?}",
            data.meta.seed,
            data.meta.as_of
        );
    }
}
