//! The story generator: users drawn to the product's original specification, from a
//! [`StoryProfile`].
//!
//! A user is built in the order a bank statement would explain it ([`UserBuilder`]'s phases):
//! a persona, the accounts, the paydays, how many transactions of each category the window
//! holds (so that category weights hold per user, hence dataset-wide), the recurring
//! merchants, then each purchase at a favourite merchant at the hour and weekday of its
//! habit, and last the balances (drawn per persona, not summed from the transactions; see
//! `balances.rs`). Paychecks on a regular payroll and recurring merchants are recorded as
//! they are scheduled, as `recurring_streams` ([`super::recurring`]); purchases never are.
//! Each purpose draws from its own generator ([`Purpose`]), so a change to one part of the
//! profile moves only the draws made for that part.

mod balances;
mod mix;
mod schedule;
mod spending;

use std::sync::Arc;

use backend::{Account, Transaction, User};
use chrono::{Datelike, Duration, NaiveDateTime};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::amounts::draw_log_normal;
use super::draws::{RowDraws, pick, pick_weighted, shuffle, user_draws, uuid_v4};
use super::recurring::{Frequency, Occurrence, Series};
use super::{GenConfig, Generator, accounts, identity, user_rows};
use crate::calendar::SECONDS_PER_DAY as DAY;
use crate::catalog::AccountKind;
use crate::persona::Persona;
use crate::profile::StoryProfile;
use crate::profile::story::{AccountSet, Payroll, StoryPersona};
use crate::tables::RowBatch;
pub use balances::min_payment;
use balances::{BalanceInputs, set_balances};
use spending::{Favorites, apportion, habit_time, hour_in, pick_group};

/// The story generator, with what it derives once from its profile.
#[derive(Debug)]
pub(super) struct StoryGenerator {
    profile: Arc<StoryProfile>,
    /// Scales every user's transaction count (see [`mix::income_scale`]), so that INCOME
    /// keeps its dataset-wide weight although some users' few paychecks sit in accounts
    /// whose minimum count holds more transactions than those paychecks warrant.
    income_scale: f64,
}

impl StoryGenerator {
    pub(super) fn new(profile: Arc<StoryProfile>) -> StoryGenerator {
        let income_scale = mix::income_scale(&profile);
        StoryGenerator {
            profile,
            income_scale,
        }
    }
}

impl Generator for StoryGenerator {
    fn generate_user(&self, config: &GenConfig, index: u64) -> RowBatch {
        UserBuilder::new(self, config, index).build()
    }
}

/// What a draw is for. Each purpose of each user draws from its own generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Name, email, id and sign-up time.
    Identity,
    /// Which accounts, and each account's id, name and mask.
    Accounts,
    /// The payroll schedule, paydays, employers and pay times.
    Payroll,
    /// Paycheck amounts, one row per paycheck.
    PayAmounts,
    /// How many transactions, of which categories, on which accounts.
    Mix,
    /// Recurring merchants: which, when, where and how much.
    Subscriptions,
    /// Purchases: category order, merchant group, day, hour and merchant.
    Spending,
    /// Purchase amounts, one row per purchase.
    PurchaseAmounts,
    /// Which transactions are still pending.
    Pending,
    /// Balances, limits and APRs.
    Balances,
    /// Transaction ids.
    TransactionIds,
    /// Recurring stream ids. Last, so that adding it moved no other purpose's draws.
    StreamIds,
}

impl Purpose {
    /// The key of its draws: the story's purposes are numbered from 2.
    fn key(self) -> u64 {
        self as u64 + 2
    }
}

/// 64-bit draws an amount may take: [`draw_log_normal`] makes at most eight attempts of
/// two draws each. Every paycheck and purchase owns this many, so one amount's redraws never
/// move another's.
const DRAWS_PER_AMOUNT: u128 = 16;

/// A user's draws, one generator per purpose.
struct Draws {
    identity: Pcg64,
    accounts: Pcg64,
    payroll: Pcg64,
    pay_amounts: RowDraws,
    mix: Pcg64,
    subscriptions: Pcg64,
    spending: Pcg64,
    purchase_amounts: RowDraws,
    pending: Pcg64,
    balances: Pcg64,
    ids: Pcg64,
    stream_ids: Pcg64,
}

impl Draws {
    fn new(seed: u64, index: u64) -> Draws {
        let draws = |purpose: Purpose| user_draws(seed, index, purpose.key());
        Draws {
            identity: draws(Purpose::Identity),
            accounts: draws(Purpose::Accounts),
            payroll: draws(Purpose::Payroll),
            pay_amounts: RowDraws::new(draws(Purpose::PayAmounts), DRAWS_PER_AMOUNT),
            mix: draws(Purpose::Mix),
            subscriptions: draws(Purpose::Subscriptions),
            spending: draws(Purpose::Spending),
            purchase_amounts: RowDraws::new(draws(Purpose::PurchaseAmounts), DRAWS_PER_AMOUNT),
            pending: draws(Purpose::Pending),
            balances: draws(Purpose::Balances),
            ids: draws(Purpose::TransactionIds),
            stream_ids: draws(Purpose::StreamIds),
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

/// One user in the making: the state its phases share, so each phase is a method rather than
/// a stretch of one long function.
struct UserBuilder<'c> {
    config: &'c GenConfig,
    profile: &'c StoryProfile,
    income_scale: f64,
    index: u64,
    persona: Persona,
    params: &'c StoryPersona,
    rng: Draws,
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
    fn new(generator: &'c StoryGenerator, config: &'c GenConfig, index: u64) -> Self {
        let profile = &*generator.profile;
        let persona = config.persona_of(index);
        UserBuilder {
            config,
            profile,
            income_scale: generator.income_scale,
            index,
            persona,
            params: profile.persona(persona),
            rng: Draws::new(config.seed, index),
            window_start: config.as_of_midnight() - Duration::days(profile.common.window_days),
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
            &self.profile.common,
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
            window_secs: self.profile.common.window_days * DAY,
        };
        set_balances(&mut self.rng.balances, &inputs, &mut self.accounts);
        self.finish(user, pending)
    }

    /// Picks the account set the persona allows and opens each account.
    fn open_accounts(&mut self, user: &User) {
        let rng = &mut self.rng.accounts;
        let kinds = &pick_accounts(rng, self.profile, &self.params.requires).kinds;
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
        let income = profile.income();
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
        let salary = draw_log_normal(&mut amounts.row(0), &employers.amount);
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
                    draw_log_normal(&mut amounts.row(i + 1), &employers.amount),
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
        let income_share = f64::from(profile.income().weight) / 100.0;
        let jitter = self.rng.mix.random_range(0.85..1.15);
        let wanted =
            (f64::from(paychecks) / income_share * self.income_scale * jitter).round() as u32;
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
                    at: habit_time(rng, group, start_weekday, profile.common.window_days),
                    amount: draw_log_normal(&mut amounts.row(dealt + purchase), &group.amount),
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

/// Picks an account set holding every kind in `requires`; validation keeps one with a
/// positive weight for every persona.
fn pick_accounts<'p>(
    rng: &mut Pcg64,
    profile: &'p StoryProfile,
    requires: &[AccountKind],
) -> &'p AccountSet {
    let fits: Vec<&AccountSet> = profile
        .accounts
        .iter()
        .filter(|set| requires.iter().all(|k| set.kinds.contains(k)))
        .collect();
    fits[pick_weighted(rng, fits.iter().map(|s| s.weight))]
}
