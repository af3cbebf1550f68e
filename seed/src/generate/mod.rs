//! Pure generation: one user, with accounts and transactions, from (profile, seed, user index,
//! as-of).
//!
//! Nothing here reads a clock, a file or a global RNG. Each user draws from PCG streams keyed
//! by (seed, user index, purpose) ([`rng`]), so user `i` is the same whatever the thread
//! count, shard or `--num-users`, the first N users of any run are the users of an N-user run,
//! and a change to one part of the profile moves only the draws made for that part.
//!
//! A user is built in the order a bank statement would explain it ([`UserBuilder`]'s phases):
//! a persona, the accounts, the paydays, how many transactions of each category the window
//! holds (so that category weights hold per user, hence dataset-wide), the recurring
//! merchants, then each purchase at a favourite merchant at the hour and weekday of its
//! habit, and last the balances (drawn per persona, not summed from the transactions; see
//! `balances.rs`). Paychecks on a regular payroll and recurring merchants are recorded as
//! they are scheduled, as `recurring_streams` (`streams.rs`); purchases never are.

mod accounts;
mod amounts;
mod balances;
mod calibrated;
mod identity;
mod mix;
mod personas;
pub mod rng;
mod schedule;
mod spending;
pub mod streams;

use std::sync::Arc;

use backend::{Account, PersonaLabel, Transaction, User};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use rand::RngExt;
use rand_pcg::Pcg64;

use crate::catalog::AccountKind;
use crate::dataset::Meta;
use crate::persona::Persona;
use crate::profile::{Payroll, PersonaProfile, Profile};
use crate::tables::RowBatch;
use amounts::draw_amount;
pub use balances::min_payment;
use balances::{BalanceInputs, set_balances};
pub use personas::PersonaDeck;
use rng::{Purpose, RowStream, pick, pick_weighted, shuffle, user_stream, uuid_v4};
use spending::{DAY, Favorites, apportion, habit_time, hour_in, pick_group};
use streams::{Frequency, Occurrence, Series};

/// What every generated value depends on besides the user index.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// The `--seed`.
    pub seed: u64,
    /// The `--as-of` date; all dates fall before its midnight (UTC).
    pub as_of: NaiveDate,
    /// Where every user's timeline starts (`--origin`): the as-of date of the run that first
    /// seeded the data.
    pub origin: NaiveDate,
    /// The distributions (`--config`, or the default profile).
    pub profile: Arc<Profile>,
    /// How personas are dealt to users.
    deck: PersonaDeck,
    /// Scales every user's transaction count (see [`mix::income_scale`]), so that INCOME
    /// keeps its dataset-wide weight although some users' few paychecks sit in accounts
    /// whose minimum count holds more transactions than those paychecks warrant.
    income_scale: f64,
}

impl GenConfig {
    /// A configuration with the default profile.
    pub fn new(seed: u64, as_of: NaiveDate) -> Self {
        GenConfig::with_profile(seed, as_of, Profile::default_profile())
    }

    /// A configuration drawing from `profile`.
    pub fn with_profile(seed: u64, as_of: NaiveDate, profile: Arc<Profile>) -> Self {
        // The calibrated generator sizes its users from its own distributions.
        let income_scale = match &profile.calibrated {
            Some(_) => 1.0,
            None => mix::income_scale(
                profile.window_days,
                f64::from(profile.categories[profile.income].weight) / 100.0,
                &profile.personas,
                &profile.accounts,
                profile.transactions_per_account.0,
            ),
        };
        GenConfig {
            seed,
            as_of,
            origin: as_of,
            deck: PersonaDeck::new(&profile),
            income_scale,
            profile,
        }
    }

    /// Midnight at the start of the as-of date.
    pub fn as_of_midnight(&self) -> NaiveDateTime {
        self.as_of.and_hms_opt(0, 0, 0).expect("midnight exists")
    }

    /// The `meta` of a whole run of `num_users` users with this configuration.
    pub fn meta(&self, num_users: u64) -> Meta {
        Meta::new(
            &self.profile.name,
            self.seed,
            self.as_of,
            self.origin,
            num_users,
        )
    }

    /// The persona of user `index`: a function of (seed, index) only.
    pub fn persona_of(&self, index: u64) -> Persona {
        self.deck.persona_of(self.seed, index)
    }
}

/// 64-bit draws an amount may take: [`amounts::draw_amount`] makes at most eight attempts of
/// two draws each. Every paycheck and purchase owns this many, so one amount's redraws never
/// move another's.
const DRAWS_PER_AMOUNT: u128 = 16;

/// A user's random streams, one per purpose.
struct Streams {
    identity: Pcg64,
    accounts: Pcg64,
    payroll: Pcg64,
    pay_amounts: RowStream,
    mix: Pcg64,
    subscriptions: Pcg64,
    spending: Pcg64,
    purchase_amounts: RowStream,
    pending: Pcg64,
    balances: Pcg64,
    ids: Pcg64,
    stream_ids: Pcg64,
}

impl Streams {
    fn new(seed: u64, index: u64) -> Streams {
        let stream = |purpose| user_stream(seed, index, purpose);
        Streams {
            identity: stream(Purpose::Identity),
            accounts: stream(Purpose::Accounts),
            payroll: stream(Purpose::Payroll),
            pay_amounts: RowStream::new(stream(Purpose::PayAmounts), DRAWS_PER_AMOUNT),
            mix: stream(Purpose::Mix),
            subscriptions: stream(Purpose::Subscriptions),
            spending: stream(Purpose::Spending),
            purchase_amounts: RowStream::new(stream(Purpose::PurchaseAmounts), DRAWS_PER_AMOUNT),
            pending: stream(Purpose::Pending),
            balances: stream(Purpose::Balances),
            ids: stream(Purpose::TransactionIds),
            stream_ids: stream(Purpose::StreamIds),
        }
    }
}

/// A transaction before it has an id: seconds since the window start, and borrowed names.
struct Event<'p> {
    account: u8,
    at: i64,
    amount: i64,
    category: &'p str,
    merchant: &'p str,
    /// The recurring series it belongs to, an index into [`UserBuilder::series`].
    stream: Option<u16>,
}

/// A recurring series as scheduled: what its stream will report besides its transactions.
struct Planned<'p> {
    account: u8,
    merchant: &'p str,
    category: &'p str,
    frequency: Frequency,
    /// The day of the schedule's next transaction after the window, as a day offset from the
    /// window's first day.
    next_day: i64,
}

/// The index the next series planned after `series` gets, as its events carry it.
fn next_index(series: &[Planned<'_>]) -> u16 {
    u16::try_from(series.len()).expect("a user's series fit in u16")
}

/// A user's paychecks as scheduled: what their streams are planned from.
struct Paychecks<'a, 'p> {
    payroll: Payroll,
    /// Paydays as day offsets from the window's first day; paycheck `i` is on `days[i]`.
    days: &'a [i64],
    /// The index of paycheck 0 among the events.
    first_event: usize,
    /// The employer of a regular payroll.
    employer: &'p str,
    category: &'p str,
}

/// Generates user `index` (0-based): the user with all of their accounts, transactions and
/// ground truth, each table's rows in output order.
pub fn generate_user(config: &GenConfig, index: u64) -> RowBatch {
    match &config.profile.calibrated {
        Some(calibrated) => calibrated::generate_user(config, calibrated, index),
        None => UserBuilder::new(config, index).build(),
    }
}

/// One user in the making: the state its phases share, so each phase is a method rather than
/// a stretch of one long function.
struct UserBuilder<'c> {
    config: &'c GenConfig,
    profile: &'c Profile,
    index: u64,
    persona: Persona,
    params: &'c PersonaProfile,
    rng: Streams,
    window_start: NaiveDateTime,
    kinds: &'c [AccountKind],
    accounts: Vec<Account>,
    checking: u8,
    savings: Option<u8>,
    card: Option<u8>,
    events: Vec<Event<'c>>,
    /// The recurring series the events of which are tagged with their index.
    series: Vec<Planned<'c>>,
    /// Transactions per account already scheduled (paychecks and recurring charges).
    fixed: [u32; 3],
}

impl<'c> UserBuilder<'c> {
    fn new(config: &'c GenConfig, index: u64) -> Self {
        let profile = &*config.profile;
        let persona = config.persona_of(index);
        UserBuilder {
            config,
            profile,
            index,
            persona,
            params: profile.persona(persona),
            rng: Streams::new(config.seed, index),
            window_start: config.as_of_midnight() - Duration::days(profile.window_days),
            kinds: &[],
            accounts: Vec::new(),
            checking: 0,
            savings: None,
            card: None,
            events: Vec::with_capacity(160),
            series: Vec::new(),
            fixed: [0; 3],
        }
    }

    fn build(mut self) -> RowBatch {
        let user = identity::new_user(
            &mut self.rng.identity,
            self.profile,
            self.index,
            self.window_start,
        );
        self.open_accounts(&user);
        let paychecks = self.pay();
        let (mut total, mut quotas) = self.plan_spending(paychecks);
        self.subscribe(&mut quotas);
        let counts = self.spread_over_accounts(&mut total, &mut quotas);
        self.spend(&counts, &quotas, total);
        let pending = self.settle();
        let inputs = BalanceInputs {
            profile: self.profile,
            params: self.params,
            kinds: self.kinds,
            events: &self.events,
            window_secs: self.profile.window_days * DAY,
        };
        set_balances(&mut self.rng.balances, &inputs, &mut self.accounts);
        self.finish(user, pending)
    }

    /// Picks the account set the persona allows and opens each account.
    fn open_accounts(&mut self, user: &User) {
        let rng = &mut self.rng.accounts;
        let kinds = &accounts::pick_accounts(rng, self.profile, &self.params.requires).kinds;
        self.accounts = kinds
            .iter()
            .map(|&kind| accounts::new_account(rng, user, kind))
            .collect();
        let position = |kind: AccountKind| kinds.iter().position(|&k| k == kind);
        self.checking =
            position(AccountKind::Checking).expect("every account set holds checking") as u8;
        self.savings = position(AccountKind::Savings).map(|i| i as u8);
        self.card = position(AccountKind::CreditCard).map(|i| i as u8);
        self.kinds = kinds;
    }

    /// Paychecks: one employer (two clients for irregular income), one amount unless
    /// irregular. Returns how many there are.
    fn pay(&mut self) -> u32 {
        let profile = self.profile;
        let params = self.params;
        let rng = &mut self.rng.payroll;
        let amounts = &self.rng.pay_amounts;
        let income = &profile.categories[profile.income];
        let employers = &income.groups[0];
        let payroll = params.payroll[rng.random_range(0..params.payroll.len())];
        let paydays = schedule::paydays(
            rng,
            payroll,
            params,
            self.window_start.date(),
            self.config.as_of,
        );
        let employer_a = pick(rng, &employers.merchants);
        let employer_b = pick(rng, &employers.merchants);
        // Row 0 is the salary; an irregular earner's paycheck i is row i + 1.
        let salary = draw_amount(&mut amounts.row(0), &employers.amount);
        let (checking, savings) = (self.checking, self.savings);
        let share = params.paychecks_to_savings_percent;
        // Spread the savings share evenly over the paychecks: with 50%, every other one.
        let account_of = move |i: usize| {
            let i = i as u32;
            match savings {
                Some(savings) if (i + 1) * share / 100 > i * share / 100 => savings,
                _ => checking,
            }
        };
        let first_event = self.events.len();
        for (i, &day) in paydays.iter().enumerate() {
            let (amount, merchant) = if payroll == Payroll::Irregular {
                (
                    draw_amount(&mut amounts.row(i + 1), &employers.amount),
                    if rng.random_bool(0.5) {
                        employer_a
                    } else {
                        employer_b
                    },
                )
            } else {
                (salary, employer_a)
            };
            let account = account_of(i);
            let at = day * DAY + hour_in(rng, employers.hours);
            self.events.push(Event {
                account,
                at,
                amount: -amount,
                category: &income.name,
                merchant,
                stream: None,
            });
            self.fixed[account as usize] += 1;
        }
        let paychecks = Paychecks {
            payroll,
            days: &paydays,
            first_event,
            employer: employer_a,
            category: &income.name,
        };
        self.plan_payroll_streams(&paychecks, account_of);
        paydays.len() as u32
    }

    /// Regular paychecks form a stream on each account they land on. A savings share that
    /// splits them thins each account's series: every other paycheck of a biweekly payroll
    /// lands about monthly, and a sparser series matches no frequency of Plaid's and forms no
    /// stream. Irregular pay (two clients, gaps of weeks to months) has no such cadence
    /// either.
    fn plan_payroll_streams(
        &mut self,
        paychecks: &Paychecks<'_, 'c>,
        account_of: impl Fn(usize) -> u8,
    ) {
        let base = match paychecks.payroll {
            Payroll::Biweekly => Frequency::Biweekly,
            Payroll::Semimonthly => Frequency::SemiMonthly,
            Payroll::Irregular => return,
        };
        let start = self.window_start.date();
        let days = paychecks.days;
        for account in std::iter::once(self.checking).chain(self.savings) {
            let mine: Vec<usize> = (0..days.len())
                .filter(|&i| account_of(i) == account)
                .collect();
            let mut steps: Vec<usize> = mine.windows(2).map(|w| w[1] - w[0]).collect();
            steps.sort_unstable();
            let frequency = match steps.get(steps.len().saturating_sub(1) / 2) {
                Some(1) => base,
                Some(2) => Frequency::Monthly,
                _ => continue,
            };
            // The schedule, continued past the window until a paycheck lands here again.
            let (mut i, mut day) = (days.len(), days[days.len() - 1]);
            let next_day = loop {
                day = schedule::next_payday(paychecks.payroll, start, day)
                    .expect("a regular payroll continues");
                if account_of(i) == account {
                    break day;
                }
                i += 1;
            };
            let stream = Some(next_index(&self.series));
            self.series.push(Planned {
                account,
                merchant: paychecks.employer,
                category: paychecks.category,
                frequency,
                next_day,
            });
            for i in mine {
                self.events[paychecks.first_event + i].stream = stream;
            }
        }
    }

    /// How many transactions: enough that paychecks are INCOME's share of them, within the
    /// per-account bounds, and how many of each spending category. The jitter keeps users of
    /// one cadence from all having one count.
    fn plan_spending(&mut self, paychecks: u32) -> (u32, Vec<u32>) {
        let profile = self.profile;
        let (per_min, per_max) = profile.transactions_per_account;
        let n = self.accounts.len() as u32;
        let income_share = f64::from(profile.categories[profile.income].weight) / 100.0;
        let jitter = self.rng.mix.random_range(0.85..1.15);
        let wanted = (f64::from(paychecks) / income_share * self.config.income_scale * jitter)
            .round() as u32;
        let total = wanted.clamp(per_min * n, per_max * n);
        let quotas = apportion(&mut self.rng.mix, total - paychecks, profile);
        (total, quotas)
    }

    /// Recurring merchants, each on one account (a card if there is one), counted against
    /// its category's quota so that category weights still hold.
    fn subscribe(&mut self, quotas: &mut [u32]) {
        let profile = self.profile;
        let params = self.params;
        let per_max = profile.transactions_per_account.1;
        let start = self.window_start.date();
        let rng = &mut self.rng.subscriptions;
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
            let bills = schedule::billing_days(start, self.config.as_of, day_of_month);
            if bills.len() as u32 > quotas[sub.category] || bills.len() < 2 {
                continue;
            }
            let account = match self.card {
                Some(card) if rng.random_bool(0.7) => card,
                _ => self.checking,
            };
            if self.fixed[account as usize] + bills.len() as u32 > per_max {
                continue;
            }
            quotas[sub.category] -= bills.len() as u32;
            let amount = rng.random_range(sub.amount_cents.0..=sub.amount_cents.1);
            let time = hour_in(rng, profile.billing_hours);
            let category = &profile.categories[sub.category].name;
            self.fixed[account as usize] += bills.len() as u32;
            let last_bill = start + Duration::days(bills[bills.len() - 1]);
            let stream = Some(next_index(&self.series));
            self.series.push(Planned {
                account,
                merchant: &sub.merchant,
                category,
                frequency: Frequency::Monthly,
                next_day: (Frequency::Monthly.after(last_bill) - start).num_days(),
            });
            for day in bills {
                self.events.push(Event {
                    account,
                    at: day * DAY + time,
                    amount,
                    category,
                    merchant: &sub.merchant,
                    stream,
                });
            }
            subs += 1;
            monthly += amount;
        }
    }

    /// Per-account counts: at least the minimum and what is already fixed, then the rest of
    /// the total spread by the kinds' spending weights.
    fn spread_over_accounts(&mut self, total: &mut u32, quotas: &mut [u32]) -> Vec<u32> {
        let profile = self.profile;
        let (per_min, per_max) = profile.transactions_per_account;
        let mut counts: Vec<u32> = (0..self.accounts.len())
            .map(|a| self.fixed[a].max(per_min))
            .collect();
        let floor: u32 = counts.iter().sum();
        if floor > *total {
            let extra = apportion(&mut self.rng.mix, floor - *total, profile);
            for (quota, more) in quotas.iter_mut().zip(extra) {
                *quota += more;
            }
            *total = floor;
        }
        let weights: Vec<u32> = self
            .kinds
            .iter()
            .map(|k| profile.spending_weights[k.index()])
            .collect();
        for _ in floor..*total {
            let open: Vec<usize> = (0..counts.len()).filter(|&a| counts[a] < per_max).collect();
            let a = open[pick_weighted(&mut self.rng.mix, open.iter().map(|&a| weights[a]))];
            counts[a] += 1;
        }
        counts
    }

    /// Spending: a shuffled deck of categories, dealt to the accounts' free slots, each a
    /// purchase at a favourite merchant of a group at the group's habitual day and hour.
    fn spend(&mut self, counts: &[u32], quotas: &[u32], total: u32) {
        let profile = self.profile;
        let rng = &mut self.rng.spending;
        let amounts = &self.rng.purchase_amounts;
        let mut deck: Vec<u8> = Vec::with_capacity(total as usize);
        for (c, &quota) in quotas.iter().enumerate() {
            deck.extend(std::iter::repeat_n(c as u8, quota as usize));
        }
        shuffle(rng, &mut deck);
        let start_weekday = self.window_start.date().weekday().num_days_from_monday();
        let mut favorites = Favorites::new(profile);
        let mut dealt = 0;
        for (a, &count) in counts.iter().enumerate() {
            let free = count.saturating_sub(self.fixed[a]) as usize;
            let end = (dealt + free).min(deck.len());
            for (purchase, &c) in deck[dealt..end].iter().enumerate() {
                let category = &profile.categories[c as usize];
                let g = pick_group(rng, &category.groups);
                let group = &category.groups[g];
                self.events.push(Event {
                    account: a as u8,
                    at: habit_time(rng, group, start_weekday, profile.window_days),
                    amount: draw_amount(&mut amounts.row(dealt + purchase), &group.amount),
                    category: &category.name,
                    merchant: favorites.pick(rng, profile, c as usize, g),
                    stream: None,
                });
            }
            dealt += free;
        }
    }

    /// Orders each account's transactions oldest first and marks the newest of each account
    /// pending. Returns the pending flags, in event order.
    fn settle(&mut self) -> Vec<bool> {
        let events = &mut self.events;
        events.sort_by_key(|e| (e.account, e.at));
        let pending_rate = self.profile.pending_percent / 100.0;
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
                .filter(|_| self.rng.pending.random::<f64>() < pending_rate)
                .count();
            pending[end - k..end].iter_mut().for_each(|p| *p = true);
            start = end;
        }
        pending
    }

    /// The rows: transactions get their ids, in account and date order, and each recurring
    /// series its stream, in the order of their first transactions.
    fn finish(mut self, user: User, pending: Vec<bool>) -> RowBatch {
        let transactions: Vec<Transaction> = self
            .events
            .iter()
            .zip(pending)
            .map(|(e, pending)| Transaction {
                id: uuid_v4(&mut self.rng.ids),
                account_id: self.accounts[e.account as usize].id.clone(),
                date: self.window_start + Duration::seconds(e.at),
                amount: e.amount,
                category: e.category.to_owned(),
                merchant_name: e.merchant.to_owned(),
                pending,
                pending_transaction_id: None,
                category_detailed: None,
            })
            .collect();
        let mut streams = RowBatch::default();
        let mut members: Vec<Vec<Occurrence<'_>>> = vec![Vec::new(); self.series.len()];
        let mut order = Vec::with_capacity(self.series.len());
        for (e, t) in self.events.iter().zip(&transactions) {
            let Some(s) = e.stream else { continue };
            let s = s as usize;
            if members[s].is_empty() {
                order.push(s);
            }
            members[s].push(Occurrence {
                transaction_id: &t.id,
                date: t.date.date(),
                amount: t.amount,
            });
        }
        let start = self.window_start.date();
        for s in order {
            let plan = &self.series[s];
            let series = Series {
                account_id: &self.accounts[plan.account as usize].id,
                merchant_name: plan.merchant,
                category: plan.category,
                frequency: plan.frequency,
                next_date: start + Duration::days(plan.next_day),
            };
            series.push_stream(uuid_v4(&mut self.rng.stream_ids), &members[s], &mut streams);
        }
        user_rows(user, self.accounts, transactions, self.persona, streams)
    }
}

/// One user's rows: the user, the accounts, their transactions, the persona label, and the
/// streams (with their links) that `streams` holds.
fn user_rows(
    user: User,
    accounts: Vec<Account>,
    transactions: Vec<Transaction>,
    persona: Persona,
    streams: RowBatch,
) -> RowBatch {
    let persona_label = PersonaLabel {
        user_id: user.id.clone(),
        persona: persona.name().to_owned(),
    };
    RowBatch {
        users: vec![user],
        accounts,
        transactions,
        persona_labels: vec![persona_label],
        recurring_streams: streams.recurring_streams,
        recurring_stream_transactions: streams.recurring_stream_transactions,
        // The loader derives the change log from the transactions.
        transaction_changes: Vec::new(),
    }
}
