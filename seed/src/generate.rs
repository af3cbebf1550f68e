//! Pure generation: one user, with accounts and transactions, from (profile, seed, user index,
//! as-of).
//!
//! Nothing here reads a clock, a file or a global RNG. Each user draws from its own PCG
//! stream keyed by (seed, user index), so user `i` is the same whatever the thread count,
//! shard or `--num-users`, and the first N users of any run are the users of an N-user run.
//!
//! A user is built in the order a bank statement would explain it: a persona, the accounts,
//! the paydays, how many transactions of each category the six months hold (so that category
//! weights hold per user, hence dataset-wide), the recurring merchants, then each purchase at
//! a favourite merchant at the hour and weekday of its habit, and last the balances, which
//! are set from the transactions so the two agree.

use std::sync::Arc;

use backend::{Account, PersonaLabel, Transaction, User};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use fake::Fake;
use fake::faker::name::en::{FirstName, LastName};
use rand::{Rng, RngExt};
use rand_pcg::Pcg64;

use crate::catalog::{self, AccountKind};
use crate::dataset::UserBundle;
use crate::profile::{AmountDist, MerchantGroup, Payroll, PersonaProfile, Profile};

/// Names the generator in `meta.generator`. Bump the version whenever output changes.
pub const GENERATOR: &str = concat!("spendsense-seed ", env!("CARGO_PKG_VERSION"));

/// What every generated value depends on besides the user index.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// The `--seed`.
    pub seed: u64,
    /// The `--as-of` date; all dates fall before its midnight (UTC).
    pub as_of: NaiveDate,
    /// The distributions (`--config`, or the default profile).
    pub profile: Arc<Profile>,
}

impl GenConfig {
    /// A configuration with the default profile.
    pub fn new(seed: u64, as_of: NaiveDate) -> Self {
        GenConfig {
            seed,
            as_of,
            profile: Profile::default_profile(),
        }
    }

    /// Midnight at the start of the as-of date.
    pub fn as_of_midnight(&self) -> NaiveDateTime {
        self.as_of.and_hms_opt(0, 0, 0).expect("midnight exists")
    }
}

/// The RNG of user `index`: its own PCG stream, seeded from the run's seed.
pub fn user_rng(seed: u64, index: u64) -> Pcg64 {
    stream_rng(seed, index as u128)
}

/// PCG stream `stream` of the run's seed. User streams are below 2^64; other keyed streams
/// (the persona blocks) set higher bits so they never coincide with a user's.
pub fn stream_rng(seed: u64, stream: u128) -> Pcg64 {
    let hi = splitmix64(seed);
    let lo = splitmix64(hi ^ seed.rotate_left(32));
    Pcg64::new(((hi as u128) << 64) | lo as u128, stream)
}

const DAY: i64 = 86_400;

/// A transaction before it has an id: seconds since the window start, and borrowed names.
struct Event<'p> {
    account: u8,
    at: i64,
    amount: i64,
    category: &'p str,
    merchant: &'p str,
}

/// Generates user `index` (0-based) with all of their accounts and transactions.
pub fn generate_user(config: &GenConfig, index: u64) -> UserBundle {
    let profile = &*config.profile;
    let persona = profile.persona_of(config.seed, index);
    let params = profile.persona(persona);
    let mut rng = user_rng(config.seed, index);
    let rng = &mut rng;
    let midnight = config.as_of_midnight();
    let window_start = midnight - Duration::days(profile.window_days);
    let window_secs = profile.window_days * DAY;

    let first: String = FirstName().fake_with_rng(rng);
    let last: String = LastName().fake_with_rng(rng);
    let domain = catalog::EMAIL_DOMAINS[rng.random_range(0..catalog::EMAIL_DOMAINS.len())];
    // Signed up before the window opens: every user has the whole window of history, so no
    // transaction predates its user and every account can hold its 20-100 transactions.
    let history = (profile.signup_days - profile.window_days) * DAY;
    let user = User {
        id: uuid_v4(rng),
        email: format!(
            "{}.{}.{index}@{domain}",
            email_part(&first),
            email_part(&last)
        ),
        name: format!("{first} {last}"),
        consent: false,
        created_at: window_start - Duration::seconds(rng.random_range(1..=history)),
    };

    let kinds = &profile.pick_accounts(rng, &params.requires).kinds;
    let mut accounts: Vec<Account> = kinds
        .iter()
        .map(|&kind| new_account(rng, &user, kind))
        .collect();
    let position = |kind: AccountKind| kinds.iter().position(|&k| k == kind);
    let checking = position(AccountKind::Checking).expect("every account set holds checking") as u8;
    let savings = position(AccountKind::Savings).map(|i| i as u8);
    let card = position(AccountKind::CreditCard).map(|i| i as u8);

    let mut events: Vec<Event<'_>> = Vec::with_capacity(160);
    let mut fixed = [0u32; 3];

    // Paychecks: one employer (two clients for irregular income), one amount unless irregular.
    let income = &profile.categories[profile.income];
    let employers = &income.groups[0];
    let payroll = params.payroll[rng.random_range(0..params.payroll.len())];
    let paydays = paydays(rng, payroll, params, window_start.date(), config.as_of);
    let employer_a = pick(rng, &employers.merchants);
    let employer_b = pick(rng, &employers.merchants);
    let salary = draw_amount(rng, &employers.amount);
    let mut to_savings_so_far = 0;
    for (i, &day) in paydays.iter().enumerate() {
        let (amount, merchant) = if payroll == Payroll::Irregular {
            (
                draw_amount(rng, &employers.amount),
                if rng.random_bool(0.5) {
                    employer_a
                } else {
                    employer_b
                },
            )
        } else {
            (salary, employer_a)
        };
        // Spread the savings share evenly over the paychecks: with 50%, every other one.
        let to_savings = (i as u32 + 1) * params.paychecks_to_savings_percent / 100;
        let account = match savings {
            Some(savings) if to_savings > to_savings_so_far => savings,
            _ => checking,
        };
        to_savings_so_far = to_savings;
        let at = day * DAY + hour_in(rng, employers.hours);
        events.push(Event {
            account,
            at,
            amount: -amount,
            category: &income.name,
            merchant,
        });
        fixed[account as usize] += 1;
    }

    // How many transactions: enough that paychecks are INCOME's share of them, within the
    // per-account bounds. The jitter keeps users of one cadence from all having one count.
    let (per_min, per_max) = profile.transactions_per_account;
    let n = accounts.len() as u32;
    let income_share = f64::from(income.weight) / 100.0;
    let jitter = rng.random_range(0.85..1.15);
    let wanted =
        (paydays.len() as f64 / income_share * profile.income_scale * jitter).round() as u32;
    let mut total = wanted.clamp(per_min * n, per_max * n);
    let mut quotas = apportion(rng, total - paydays.len() as u32, profile);

    // Recurring merchants, each on one account (a card if there is one), counted against its
    // category's quota so that category weights still hold.
    let (min_subs, max_subs) = params.subscriptions;
    let wanted_subs = rng.random_range(min_subs..=max_subs);
    let mut order: Vec<usize> = (0..profile.subscriptions.len()).collect();
    shuffle(rng, &mut order);
    let (mut subs, mut monthly) = (0, 0);
    for &s in &order {
        if subs >= wanted_subs && monthly >= params.subscriptions_min_monthly_cents {
            break;
        }
        let sub = &profile.subscriptions[s];
        let day_of_month = rng.random_range(1..=28);
        let bills = billing_days(window_start.date(), config.as_of, day_of_month);
        if bills.len() as u32 > quotas[sub.category] || bills.len() < 2 {
            continue;
        }
        let account = match card {
            Some(card) if rng.random_bool(0.7) => card,
            _ => checking,
        };
        if fixed[account as usize] + bills.len() as u32 > per_max {
            continue;
        }
        quotas[sub.category] -= bills.len() as u32;
        let amount = rng.random_range(sub.amount_cents.0..=sub.amount_cents.1);
        let time = hour_in(rng, profile.billing_hours);
        let category = &profile.categories[sub.category].name;
        fixed[account as usize] += bills.len() as u32;
        for day in bills {
            events.push(Event {
                account,
                at: day * DAY + time,
                amount,
                category,
                merchant: &sub.merchant,
            });
        }
        subs += 1;
        monthly += amount;
    }

    // Per-account counts: at least the minimum and what is already fixed, then the rest of
    // the total spread by the kinds' spending weights.
    let mut counts: Vec<u32> = (0..accounts.len()).map(|a| fixed[a].max(per_min)).collect();
    let floor: u32 = counts.iter().sum();
    if floor > total {
        let extra = apportion(rng, floor - total, profile);
        for (quota, more) in quotas.iter_mut().zip(extra) {
            *quota += more;
        }
        total = floor;
    }
    let weights: Vec<u32> = kinds
        .iter()
        .map(|k| profile.spending_weights[k.index()])
        .collect();
    for _ in floor..total {
        let open = |a: usize| counts[a] < per_max;
        let sum: u32 = (0..counts.len())
            .filter(|&a| open(a))
            .map(|a| weights[a])
            .sum();
        let mut roll = rng.random_range(0..sum);
        for a in (0..counts.len()).filter(|&a| open(a)) {
            if roll < weights[a] {
                counts[a] += 1;
                break;
            }
            roll -= weights[a];
        }
    }

    // Spending: a shuffled deck of categories, dealt to the accounts' free slots.
    let mut deck: Vec<u8> = Vec::with_capacity(total as usize);
    for (c, &quota) in quotas.iter().enumerate() {
        deck.extend(std::iter::repeat_n(c as u8, quota as usize));
    }
    shuffle(rng, &mut deck);
    let mut favorites = Favorites::new(profile);
    let mut dealt = 0;
    for (a, &count) in counts.iter().enumerate() {
        let free = count.saturating_sub(fixed[a]) as usize;
        for &c in &deck[dealt..(dealt + free).min(deck.len())] {
            let category = &profile.categories[c as usize];
            let g = pick_group(rng, &category.groups);
            let group = &category.groups[g];
            events.push(Event {
                account: a as u8,
                at: habit_time(
                    rng,
                    group,
                    window_start.date().weekday().num_days_from_monday(),
                    profile.window_days,
                ),
                amount: draw_amount(rng, &group.amount),
                category: &category.name,
                merchant: favorites.pick(rng, profile, c as usize, g),
            });
        }
        dealt += free;
    }

    // Oldest first within each account; the newest are the pending ones.
    events.sort_by_key(|e| (e.account, e.at));
    let pending_rate = profile.pending_percent / 100.0;
    let mut pending = vec![false; events.len()];
    let mut start = 0;
    while start < events.len() {
        let account = events[start].account;
        let end = start
            + events[start..]
                .iter()
                .take_while(|e| e.account == account)
                .count();
        let k = (start..end)
            .filter(|_| rng.random::<f64>() < pending_rate)
            .count();
        pending[end - k..end].iter_mut().for_each(|p| *p = true);
        start = end;
    }

    set_balances(
        rng,
        profile,
        params,
        kinds,
        &mut accounts,
        &events,
        window_secs,
    );

    let transactions = events
        .iter()
        .zip(pending)
        .map(|(e, pending)| Transaction {
            id: uuid_v4(rng),
            account_id: accounts[e.account as usize].id.clone(),
            date: window_start + Duration::seconds(e.at),
            amount: e.amount,
            category: e.category.to_owned(),
            merchant_name: e.merchant.to_owned(),
            pending,
        })
        .collect();
    let persona_label = PersonaLabel {
        user_id: user.id.clone(),
        persona: persona.name().to_owned(),
    };
    UserBundle {
        user,
        accounts,
        transactions,
        persona_label,
    }
}

fn new_account(rng: &mut Pcg64, user: &User, kind: AccountKind) -> Account {
    let names = kind.names();
    let credit = kind == AccountKind::CreditCard;
    Account {
        id: uuid_v4(rng),
        user_id: user.id.clone(),
        name: names[rng.random_range(0..names.len())].to_owned(),
        account_type: kind.account_type().to_owned(),
        subtype: kind.subtype().to_owned(),
        mask: format!("{:04}", rng.random_range(0..10_000)),
        balance: 0,
        currency: "USD".to_owned(),
        credit_limit: None,
        apr: None,
        min_payment: None,
        is_overdue: credit.then_some(false),
    }
}

/// Sets balances from the transactions: a card owes at least its last 30 days of charges at
/// the persona's utilisation, a savings builder's savings hold what flowed in, and a thin
/// checking cushion is measured in months of the user's own spending.
fn set_balances(
    rng: &mut Pcg64,
    profile: &Profile,
    params: &PersonaProfile,
    kinds: &[AccountKind],
    accounts: &mut [Account],
    events: &[Event<'_>],
    window_secs: i64,
) {
    let months = profile.window_days as f64 / 30.0;
    let spending: i64 = events
        .iter()
        .filter(|e| e.amount > 0)
        .map(|e| e.amount)
        .sum();
    let b = &profile.balances;
    for (a, (account, kind)) in accounts.iter_mut().zip(kinds).enumerate() {
        let mine = events.iter().filter(|e| e.account as usize == a);
        match kind {
            AccountKind::CreditCard => {
                let recent: i64 = mine
                    .filter(|e| e.at >= window_secs - 30 * DAY)
                    .map(|e| e.amount)
                    .sum();
                let overdue = rng.random_range(0..100) < params.overdue_percent;
                let (lo, hi) = if overdue {
                    params.overdue_utilization_percent
                } else {
                    params.card_utilization_percent
                };
                let utilization =
                    rng.random_range(f64::from(lo.max(1))..=f64::from(hi.max(1))) / 100.0;
                // Limits are whole hundreds of dollars, as issuers set them; raised when the
                // month's charges alone would overshoot the persona's utilisation.
                let (min_limit, max_limit) = b.credit_limit_cents;
                let drawn = rng.random_range(min_limit / 10_000..=max_limit / 10_000) * 10_000;
                let needed = ((recent as f64 / utilization) / 10_000.0).ceil() as i64 * 10_000;
                let limit = drawn.max(needed).min(max_limit / 10_000 * 10_000);
                let mut balance = ((limit as f64 * utilization).round() as i64).max(recent);
                if !overdue {
                    balance = balance.min(limit);
                }
                let (min_apr, max_apr) = b.apr_basis_points;
                account.balance = balance;
                account.credit_limit = Some(limit);
                account.apr = Some(rng.random_range(min_apr..=max_apr) as f64 / 100.0);
                account.min_payment = Some(min_payment(balance, b.min_payment_percent));
                account.is_overdue = Some(overdue);
            }
            AccountKind::Savings => {
                // A cushion drawn from the range, plus whatever net deposits came in over the
                // window: the balance before the window is never negative.
                let (min, max) = b.savings_cents;
                let cushion = rng.random_range(min..=max);
                let inflow: i64 = -mine.map(|e| e.amount).sum::<i64>();
                account.balance = cushion + inflow.max(0);
            }
            AccountKind::Checking => {
                account.balance = match params.checking_cover_percent {
                    Some((lo, hi)) => {
                        let monthly = spending as f64 / months;
                        (monthly * f64::from(rng.random_range(lo..=hi)) / 100.0).round() as i64
                    }
                    None => rng.random_range(b.checking_cents.0..=b.checking_cents.1),
                };
            }
        }
    }
}

/// Paydays as day offsets from the window start, on business days (Monday to Friday; public
/// holidays are not modelled).
fn paydays(
    rng: &mut Pcg64,
    payroll: Payroll,
    params: &PersonaProfile,
    start: NaiveDate,
    as_of: NaiveDate,
) -> Vec<i64> {
    let days = (as_of - start).num_days();
    let weekday = |d: i64| (i64::from(start.weekday().num_days_from_monday()) + d).rem_euclid(7);
    let mut out = Vec::with_capacity(16);
    match payroll {
        Payroll::Biweekly => {
            let first_friday = (4 - start.weekday().num_days_from_monday() as i64).rem_euclid(7);
            let mut d = first_friday + 7 * rng.random_range(0..2);
            while d < days {
                out.push(d);
                d += 14;
            }
        }
        Payroll::Semimonthly => {
            let mut month =
                NaiveDate::from_ymd_opt(start.year(), start.month(), 1).expect("first of month");
            while month < as_of {
                let next = month
                    .checked_add_months(chrono::Months::new(1))
                    .expect("next month");
                for day in [
                    month.with_day(15).expect("15th"),
                    next.pred_opt().expect("last day"),
                ] {
                    let mut d = (day - start).num_days();
                    // Weekend paydays move back to Friday.
                    d -= match weekday(d) {
                        5 => 1,
                        6 => 2,
                        _ => 0,
                    };
                    if (0..days).contains(&d) {
                        out.push(d);
                    }
                }
                month = next;
            }
        }
        Payroll::Irregular => {
            let (min_gap, max_gap) = params.pay_gap_days;
            let mut d = rng.random_range(0..max_gap);
            loop {
                // Weekend paydays move forward to Monday, so no gap ends up shorter than drawn.
                d += match weekday(d) {
                    5 => 2,
                    6 => 1,
                    _ => 0,
                };
                if d >= days {
                    break;
                }
                out.push(d);
                d += rng.random_range(min_gap..=max_gap);
            }
        }
    }
    out
}

/// Day offsets from the window start of a monthly charge on `day_of_month` (1-28).
fn billing_days(start: NaiveDate, as_of: NaiveDate, day_of_month: u32) -> Vec<i64> {
    let mut out = Vec::with_capacity(8);
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), day_of_month)
        .expect("day 1-28 exists");
    while month < as_of {
        if month >= start {
            out.push((month - start).num_days());
        }
        month = month
            .checked_add_months(chrono::Months::new(1))
            .expect("next month");
    }
    out
}

/// Splits `n` spending transactions over the spending categories by weight, by largest
/// remainder with ties broken at random, so each user's mix matches the weights.
fn apportion(rng: &mut Pcg64, n: u32, profile: &Profile) -> Vec<u32> {
    let spend_total: u32 = profile
        .categories
        .iter()
        .enumerate()
        .filter(|&(c, _)| c != profile.income)
        .map(|(_, c)| c.weight)
        .sum();
    let mut quotas = vec![0u32; profile.categories.len()];
    if spend_total == 0 {
        return quotas;
    }
    let mut remainders: Vec<(u64, u32, usize)> = Vec::with_capacity(quotas.len());
    let mut given = 0;
    for (c, category) in profile.categories.iter().enumerate() {
        if c == profile.income {
            continue;
        }
        let exact = u64::from(n) * u64::from(category.weight);
        quotas[c] = (exact / u64::from(spend_total)) as u32;
        given += quotas[c];
        remainders.push((exact % u64::from(spend_total), rng.random::<u32>(), c));
    }
    remainders.sort_unstable_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    for &(_, _, c) in remainders.iter().take((n - given) as usize) {
        quotas[c] += 1;
    }
    quotas
}

/// Up to four merchant indexes, and how many of them are used.
type Chosen = ([u16; 4], u8);

/// Each user's few favourite merchants per group, drawn on first use; earlier favourites are
/// visited more often (weights 1, 1/2, 1/3, …), the way people return to the same places.
struct Favorites {
    /// Per (category, group): up to four merchant indexes, or none drawn yet.
    slots: Vec<Vec<Option<Chosen>>>,
}

impl Favorites {
    fn new(profile: &Profile) -> Self {
        Favorites {
            slots: profile
                .categories
                .iter()
                .map(|c| vec![None; c.groups.len()])
                .collect(),
        }
    }

    fn pick<'p>(
        &mut self,
        rng: &mut Pcg64,
        profile: &'p Profile,
        category: usize,
        group: usize,
    ) -> &'p str {
        let merchants = &profile.categories[category].groups[group].merchants;
        let (favorites, count) = *self.slots[category][group].get_or_insert_with(|| {
            let (lo, hi) = profile.favorite_merchants;
            let count = rng.random_range(lo..=hi).min(merchants.len() as u32).min(4) as usize;
            let mut chosen = [0u16; 4];
            let mut n = 0;
            while n < count {
                let m = rng.random_range(0..merchants.len()) as u16;
                if !chosen[..n].contains(&m) {
                    chosen[n] = m;
                    n += 1;
                }
            }
            (chosen, count as u8)
        });
        // Weights 12, 6, 4, 3: 12/(i + 1) for the i-th favourite.
        const WEIGHTS: [u32; 4] = [12, 6, 4, 3];
        let total: u32 = WEIGHTS[..count as usize].iter().sum();
        let mut roll = rng.random_range(0..total);
        for (i, &w) in WEIGHTS[..count as usize].iter().enumerate() {
            if roll < w {
                return &merchants[favorites[i] as usize];
            }
            roll -= w;
        }
        unreachable!("the roll falls within the weights")
    }
}

fn pick_group(rng: &mut Pcg64, groups: &[MerchantGroup]) -> usize {
    if groups.len() == 1 {
        return 0;
    }
    let total: u32 = groups.iter().map(|g| g.share).sum();
    let mut roll = rng.random_range(0..total);
    for (g, group) in groups.iter().enumerate() {
        if roll < group.share {
            return g;
        }
        roll -= group.share;
    }
    unreachable!("group shares sum to total")
}

/// Seconds since the window start: a day drawn by the group's weekday weights, an hour from
/// its hours.
fn habit_time(rng: &mut Pcg64, group: &MerchantGroup, start_weekday: u32, window_days: i64) -> i64 {
    let max = *group.days.iter().max().expect("seven days");
    let day = loop {
        let d = rng.random_range(0..window_days);
        let weekday = ((i64::from(start_weekday) + d) % 7) as usize;
        if rng.random_range(0..max) < group.days[weekday] {
            break d;
        }
    };
    day * DAY + hour_in(rng, group.hours)
}

/// A second within the hours `[from, to)` of a day.
fn hour_in(rng: &mut Pcg64, (from, to): (u32, u32)) -> i64 {
    rng.random_range(i64::from(from) * 3_600..i64::from(to) * 3_600)
}

/// An amount in cents: log-normal around the median, redrawn when outside the range (a
/// clip would pile amounts up on the bounds, and identical amounts read as recurring
/// charges). Cents are kept, so amounts are not whole dollars.
fn draw_amount(rng: &mut Pcg64, dist: &AmountDist) -> i64 {
    let mut cents = dist.median_cents;
    for _ in 0..8 {
        // Box-Muller: one standard normal from two uniforms.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        // libm's portable ln, cos and exp, not the platform's: those may differ in the last
        // bit between C libraries, and the output must be byte-identical on any machine.
        let z = (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2);
        cents = (dist.median_cents as f64 * libm::exp(dist.spread * z)).round() as i64;
        if (dist.min_cents..=dist.max_cents).contains(&cents) {
            return cents;
        }
    }
    cents.clamp(dist.min_cents, dist.max_cents)
}

fn pick<'a>(rng: &mut Pcg64, items: &'a [String]) -> &'a str {
    &items[rng.random_range(0..items.len())]
}

fn shuffle<T>(rng: &mut Pcg64, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// The minimum payment on a card balance, rounded half up to whole cents.
pub fn min_payment(balance_cents: i64, percent: i64) -> i64 {
    (balance_cents * percent + 50) / 100
}

fn uuid_v4(rng: &mut Pcg64) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Lower-case ASCII letters and digits of a name, for an email's local part.
fn email_part(name: &str) -> String {
    let part: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if part.is_empty() {
        "user".to_owned()
    } else {
        part
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
