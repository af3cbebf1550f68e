//! The story generator: users drawn to the product's original specification, from a
//! [`StoryProfile`], as timelines.
//!
//! A user's life is laid on the calendar from the timeline's start ([`StoryUser`]'s phases):
//! a persona, the accounts, the paydays, the recurring merchants, then the purchases. Each
//! account's purchases sit in slots of equal length (a window holds a planned number of
//! them, one a slot, at a day of the slot the habit of its merchant group allows); every
//! cycle of a window's length deals the user's slots a shuffled deck of categories whose
//! counts follow the weights, so category weights hold per user and dataset-wide. Every
//! transaction pends for the profile's lag before it posts (or drops), which keeps the
//! profile's share pending at any as-of date. Balances are drawn per persona as of each date
//! asked for, not summed from the transactions (see `balances.rs`). Paychecks on a regular
//! payroll and recurring merchants are recorded as they are scheduled, as recurring series;
//! purchases never are. Every draw is keyed by what it is for ([`Purpose`]), so a change to
//! one part of the profile moves only the draws made for that part.

mod balances;
mod mix;
mod schedule;
mod spending;

use std::sync::Arc;

use backend::{Account, User};
use chrono::{Datelike, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::amounts::draw_log_normal;
use super::draws::{Purpose, UserDraws, chance, pick, pick_weighted, shuffle};
use super::recurring::Frequency;
use super::settle::Settler;
use super::timeline::{Day, Life, RowKey, SeriesPlan, Settle, Timeline};
use super::{GenConfig, Generator, accounts, identity};
use crate::catalog::AccountKind;
use crate::persona::Persona;
use crate::profile::story::{AccountSet, Payroll, StoryPersona};
use crate::profile::{Authorization, StoryProfile};
pub use balances::min_payment;
use balances::{BalanceInputs, Flow, set_balances};
use mix::Scheduled;
use spending::{Favorites, apportion, habit_day, hour_in, pick_group};

/// Days a schedule is drawn past the last as-of day, so each series' next date is known:
/// more than any story schedule's longest gap (a month, or an irregular payroll's, which
/// forms no series).
const LOOKAHEAD: Day = 62;

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
    fn timeline<'g>(&'g self, config: &GenConfig, index: u64, at: &[Day]) -> Timeline<'g> {
        StoryUser::new(self, config, index, at).build()
    }
}

/// How a kind of transaction settles (see [`StoryUser::push`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settles {
    OnItsDay,
    AsAPurchase,
}

/// One user in the making: the state its phases share.
struct StoryUser<'c> {
    profile: &'c StoryProfile,
    income_scale: f64,
    index: u64,
    persona: Persona,
    params: &'c StoryPersona,
    draws: UserDraws,
    settler: Settler,
    /// The timeline's first day.
    start: NaiveDate,
    /// The as-of days asked for, and the first day not drawn.
    at: Vec<Day>,
    until: Day,
    window: Day,
    kinds: &'c [AccountKind],
    accounts: Vec<Account>,
    checking: u8,
    savings: Option<u8>,
    card: Option<u8>,
    /// What each account's schedules put in a window.
    scheduled: [Scheduled; 3],
    /// Recurring charges per window per category, on average.
    subscribed: Vec<f64>,
    /// Transactions the user wants per window (see [`mix::wanted`]).
    wanted: u32,
    /// Paychecks per window, on average.
    paychecks: f64,
    lives: Vec<Life<'c>>,
    series: Vec<SeriesPlan<'c>>,
}

impl<'c> StoryUser<'c> {
    fn new(generator: &'c StoryGenerator, config: &GenConfig, index: u64, at: &[Day]) -> Self {
        let profile = &*generator.profile;
        let persona = config.persona_of(index);
        let start = config.start();
        StoryUser {
            profile,
            income_scale: generator.income_scale,
            index,
            persona,
            params: profile.persona(persona),
            draws: UserDraws::new(config.seed, index),
            settler: Settler::new(profile.common.pending, profile.common.corrections, start),
            start,
            at: at.to_vec(),
            until: at.iter().copied().max().unwrap_or(0),
            window: profile.common.window_days,
            kinds: &[],
            accounts: Vec::new(),
            checking: 0,
            savings: None,
            card: None,
            scheduled: [Scheduled::default(); 3],
            subscribed: vec![0.0; profile.categories.len()],
            wanted: 0,
            paychecks: 0.0,
            lives: Vec::with_capacity(256),
            series: Vec::new(),
        }
    }

    fn build(mut self) -> Timeline<'c> {
        let start = self.start.and_hms_opt(0, 0, 0).expect("midnight exists");
        let user = identity::new_user(
            &mut self.draws.of(Purpose::Identity),
            &self.profile.common,
            self.index,
            start,
        );
        self.open_accounts(&user);
        self.pay();
        self.wanted = mix::wanted(
            &mut self.draws.at(Purpose::Mix, 0, 0),
            self.profile,
            self.paychecks,
            self.income_scale,
        );
        self.subscribe();
        self.shop();
        let accounts_at = self.at.iter().map(|&a| self.accounts_at(a)).collect();
        Timeline {
            draws: self.draws,
            start: self.start,
            user,
            persona: self.persona,
            accounts_at,
            lives: self.lives,
            series: self.series,
        }
    }

    /// Picks the account set the persona allows and opens each account.
    fn open_accounts(&mut self, user: &User) {
        let rng = &mut self.draws.of(Purpose::Account);
        let kinds = &pick_accounts(rng, self.profile, &self.params.requires).kinds;
        self.accounts = kinds
            .iter()
            .map(|&kind| {
                let rng = &mut self.draws.at(Purpose::Account, kind.index() as u64 + 1, 0);
                accounts::new_account(rng, user, kind)
            })
            .collect();
        let position = |kind: AccountKind| kinds.iter().position(|&k| k == kind);
        self.checking =
            position(AccountKind::Checking).expect("every account set holds checking") as u8;
        self.savings = position(AccountKind::Savings).map(|i| i as u8);
        self.card = position(AccountKind::CreditCard).map(|i| i as u8);
        self.kinds = kinds;
    }

    /// A life, settled as its kind settles: paychecks and recurring charges post on their
    /// day (so a series keeps its cadence); a purchase pends for a lag of its own, may be
    /// corrected once posted, and may have a voided authorisation beside it.
    fn push(&mut self, life: Life<'c>, authorization: Authorization, kind: Settles) {
        let k = life.key;
        let (series, occurrence) = (
            (k.purpose as u64) << 32 | u64::from(k.series),
            u64::from(k.occurrence),
        );
        let rng = &mut self.draws.at(Purpose::Settlement, series, occurrence);
        if kind == Settles::OnItsDay {
            self.lives.push(life);
            return;
        }
        let lag = self.settler.draw_lag(rng);
        let settled = self
            .settler
            .pend(rng, life.day, lag, life.amount, authorization);
        if let Some(void) = self.settler.void(rng, life.day) {
            self.lives.push(Life {
                key: RowKey {
                    purpose: Purpose::Void,
                    ..life.key
                },
                amount: settled.amount,
                settle: void,
                ..life
            });
        }
        let correction = match settled.settle {
            Settle::Posts { lag, .. } => {
                let rng = &mut self.draws.at(Purpose::Correction, series, occurrence);
                self.settler
                    .correct(rng, life.day + lag, life.merchant, life.category)
            }
            _ => None,
        };
        self.lives.push(Life {
            amount: settled.amount,
            settle: settled.settle,
            correction,
            ..life
        });
    }

    /// Paychecks: one employer (two clients for irregular income), one amount unless
    /// irregular, on the persona's payroll.
    fn pay(&mut self) {
        let profile = self.profile;
        let params = self.params;
        let income = profile.income();
        let employers = &income.groups[0];
        let rng = &mut self.draws.of(Purpose::Payroll);
        let payroll = params.payroll[rng.random_range(0..params.payroll.len())];
        let employer_a = pick(rng, &employers.merchants);
        let employer_b = pick(rng, &employers.merchants);
        // The schedule draws as many values as the paydays it reaches: from draws of its own,
        // after which nothing else is drawn.
        let horizon = self.until + LOOKAHEAD;
        let rng = &mut self.draws.at(Purpose::Payroll, 2, 0);
        let paydays = schedule::paydays(rng, payroll, params, self.start, horizon);
        let salary = draw_log_normal(
            &mut self.draws.at(Purpose::Payroll, 1, 0),
            &employers.amount,
        );
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
        let until = self.until;
        for (i, &day) in paydays.iter().enumerate().filter(|(_, d)| **d < until) {
            let rng = &mut self.draws.at(Purpose::Paycheck, 0, i as u64);
            let (amount, merchant) = if payroll == Payroll::Irregular {
                let amount = draw_log_normal(rng, &employers.amount);
                (
                    amount,
                    if rng.random_bool(0.5) {
                        employer_a
                    } else {
                        employer_b
                    },
                )
            } else {
                (salary, employer_a)
            };
            let life = Life {
                key: row(Purpose::Paycheck, 0, i),
                account: account_of(i),
                day,
                secs: hour_in(rng, employers.hours),
                amount: -amount,
                category: &income.name,
                detailed: Some(employers.detailed.as_str()),
                merchant,
                stream: None,
                settle: Settle::Posted,
                correction: None,
            };
            self.push(life, Authorization::Exact, Settles::OnItsDay);
        }
        let per_window = mix::expected_paychecks(payroll, params, self.window as f64);
        let accounts: Vec<u8> = std::iter::once(checking).chain(savings).collect();
        for &account in &accounts {
            let mine = (0..64).filter(|&i| account_of(i) == account).count() as f64 / 64.0;
            if mine > 0.0 {
                let scheduled = &mut self.scheduled[usize::from(account)];
                scheduled.per_window += per_window * mine;
                scheduled.series += 1;
            }
        }
        self.plan_payroll_streams(payroll, &paydays, employer_a, account_of);
        self.paychecks = per_window;
    }

    /// Regular paychecks form a stream on each account they land on. A savings share that
    /// splits them thins each account's series: every other paycheck of a biweekly payroll
    /// lands about monthly, and a sparser series matches no frequency of Plaid's and forms no
    /// stream. Irregular pay (two clients, gaps of weeks to months) has no such cadence
    /// either.
    fn plan_payroll_streams(
        &mut self,
        payroll: Payroll,
        paydays: &[Day],
        employer: &'c str,
        account_of: impl Fn(usize) -> u8,
    ) {
        let base = match payroll {
            Payroll::Biweekly => Frequency::Biweekly,
            Payroll::Semimonthly => Frequency::SemiMonthly,
            Payroll::Irregular => return,
        };
        for account in std::iter::once(self.checking).chain(self.savings) {
            let mine: Vec<usize> = (0..paydays.len())
                .filter(|&i| account_of(i) == account)
                .collect();
            let mut steps: Vec<usize> = mine.windows(2).map(|w| w[1] - w[0]).collect();
            steps.sort_unstable();
            let frequency = match steps.get(steps.len().saturating_sub(1) / 2) {
                Some(1) => base,
                Some(2) => Frequency::Monthly,
                _ => continue,
            };
            let stream = self.series.len() as u16;
            self.series.push(SeriesPlan {
                account,
                merchant: employer,
                category: &self.profile.income().name,
                frequency,
                schedule: mine.iter().map(|&i| paydays[i]).collect(),
            });
            for life in &mut self.lives {
                if life.key.purpose == Purpose::Paycheck
                    && mine.contains(&(life.key.occurrence as usize))
                {
                    life.stream = Some(stream);
                }
            }
        }
    }

    /// Recurring merchants, each on one account (a card for the profile's share of them, if
    /// there is one), billed monthly from the timeline's start, as long as their category
    /// and account can hold a window of their bills.
    fn subscribe(&mut self) {
        let profile = self.profile;
        let params = self.params;
        let rng = &mut self.draws.of(Purpose::Subscription);
        let (min_subs, max_subs) = params.subscriptions;
        let wanted_subs = rng.random_range(min_subs..=max_subs);
        let mut order: Vec<usize> = (0..profile.subscriptions.len()).collect();
        shuffle(rng, &mut order);
        // A window of a monthly bill: its months, at most one more.
        let per_window = self.window as f64 / crate::calendar::DAYS_PER_MONTH;
        // Each category's weight of the user's spending transactions per window.
        let spending = f64::from(self.wanted) - self.paychecks;
        let spend_weights: u32 = (0..profile.categories.len())
            .filter(|&c| c != profile.income)
            .map(|c| profile.categories[c].weight)
            .sum();
        let (mut subs, mut monthly) = (0, 0);
        for s in order {
            if subs >= wanted_subs && monthly >= params.subscriptions_min_monthly_cents {
                break;
            }
            let sub = &profile.subscriptions[s];
            let rng = &mut self.draws.at(Purpose::Subscription, s as u64 + 1, 0);
            let account = match self.card {
                Some(card) if chance(rng, f64::from(profile.subscriptions_on_card_percent)) => card,
                _ => self.checking,
            };
            // Room in the category's share of the user's transactions, and in the account's
            // planned count.
            let category_room = spending * f64::from(profile.categories[sub.category].weight)
                / f64::from(spend_weights.max(1));
            let scheduled = self.scheduled[usize::from(account)];
            let planned = mix::planned_bounds(
                profile.transactions_per_account,
                Scheduled {
                    per_window: 0.0,
                    series: scheduled.series + 1,
                },
                1.0 + self.settler.longest_lag() as f64 / self.window as f64,
            );
            if self.subscribed[sub.category] + per_window > category_room
                || scheduled.per_window + per_window + 1.0 > f64::from(planned.1)
            {
                continue;
            }
            self.subscribed[sub.category] += per_window;
            let slot = &mut self.scheduled[usize::from(account)];
            slot.per_window += per_window;
            slot.series += 1;
            let amount = rng.random_range(sub.amount_cents.0..=sub.amount_cents.1);
            // Days 1 to 28 exist in every month.
            let day_of_month = rng.random_range(1..=28);
            let secs = hour_in(rng, profile.billing_hours);
            self.bill_monthly(s, account, day_of_month, secs, amount);
            subs += 1;
            monthly += amount;
        }
    }

    /// The bills of subscription `s`, and its series.
    fn bill_monthly(&mut self, s: usize, account: u8, day_of_month: u32, secs: i64, amount: i64) {
        let sub = &self.profile.subscriptions[s];
        let category = &self.profile.categories[sub.category].name;
        let bills = schedule::billing_days(self.start, self.until + LOOKAHEAD, day_of_month);
        let stream = self.series.len() as u16;
        self.series.push(SeriesPlan {
            account,
            merchant: &sub.merchant,
            category,
            frequency: Frequency::Monthly,
            schedule: bills.iter().map(|&(_, day)| day).collect(),
        });
        let until = self.until;
        for (month, day) in bills.into_iter().filter(|&(_, d)| d < until) {
            let life = Life {
                key: row(Purpose::SubscriptionBill, s as u32, month as usize),
                account,
                day,
                secs,
                amount,
                category,
                detailed: Some(sub.detailed.as_str()),
                merchant: &sub.merchant,
                stream: Some(stream),
                settle: Settle::Posted,
                correction: None,
            };
            self.push(life, Authorization::Exact, Settles::OnItsDay);
        }
    }

    /// Purchases: each account's planned count per window, in slots of equal length; each
    /// cycle of a window's length deals its slots a shuffled deck of categories.
    fn shop(&mut self) {
        let profile = self.profile;
        let stretch = 1.0 + self.settler.longest_lag() as f64 / self.window as f64;
        let scheduled = self.scheduled[..self.accounts.len()].to_vec();
        let per_account = mix::purchases_per_window(
            &mut self.draws.at(Purpose::Mix, 1, 0),
            profile,
            self.kinds,
            &scheduled,
            self.wanted,
            stretch,
        );
        let cycles = (self.until + self.window - 1) / self.window;
        let draws = self.draws;
        let mut favorites = Favorites::new(&draws, profile);
        let mut lives = Vec::new();
        for cycle in 0..cycles {
            let deck = self.deck(cycle, &per_account);
            let mut dealt = 0;
            for (a, &count) in per_account.iter().enumerate() {
                let slots = &deck[dealt..dealt + count as usize];
                dealt += count as usize;
                for (j, &category) in slots.iter().enumerate() {
                    let slot = cycle as u64 * u64::from(count) + j as u64;
                    let purchase = self.purchase(&mut favorites, a as u8, count, slot, category);
                    if let Some(purchase) = purchase.filter(|p| p.0.day < self.until) {
                        lives.push(purchase);
                    }
                }
            }
        }
        for (life, authorization) in lives {
            self.push(life, authorization, Settles::AsAPurchase);
        }
    }

    /// The categories of cycle `cycle`'s purchase slots, account by account: per category,
    /// its weight's share of the cycle's purchases and recurring charges, less the recurring
    /// charges, shuffled.
    fn deck(&self, cycle: i64, per_account: &[u32]) -> Vec<u8> {
        let purchases: u32 = per_account.iter().sum();
        let subscribed: f64 = self.subscribed.iter().sum();
        let rng = &mut self.draws.at(Purpose::Deck, 0, cycle as u64);
        let mut quotas = apportion(rng, purchases + subscribed.round() as u32, self.profile);
        for (quota, &charges) in quotas.iter_mut().zip(&self.subscribed) {
            *quota = quota.saturating_sub(charges.round() as u32);
        }
        // Rounding may leave the deck a card short or long: the largest category evens it.
        let mut deck: Vec<u8> = Vec::with_capacity(purchases as usize);
        for (c, &quota) in quotas.iter().enumerate() {
            deck.extend(std::iter::repeat_n(c as u8, quota as usize));
        }
        let largest = (0..quotas.len())
            .max_by_key(|&c| (quotas[c], std::cmp::Reverse(c)))
            .expect("a spending category") as u8;
        deck.resize(purchases as usize, largest);
        shuffle(
            &mut self.draws.at(Purpose::Deck, 1, cycle as u64),
            &mut deck,
        );
        deck
    }

    /// The purchase of slot `slot` of account `account` (which holds `count` a window), in
    /// `category`: a merchant group whose habit allows a day of the slot, that day, an hour,
    /// a favourite merchant and an amount. `None` if no group of the category allows any day
    /// of the slot.
    fn purchase(
        &self,
        favorites: &mut Favorites<'_>,
        account: u8,
        count: u32,
        slot: u64,
        category: u8,
    ) -> Option<(Life<'c>, Authorization)> {
        let profile = self.profile;
        // In whole numbers: slot `count` of a cycle starts exactly at the next cycle.
        let at = |slot: u64| (slot as i64 * self.window) / i64::from(count);
        let first = at(slot);
        let end = at(slot + 1).max(first + 1);
        let days: Vec<Day> = (first..end).collect();
        let weekday = self.start.weekday().num_days_from_monday();
        let rng = &mut self.draws.at(Purpose::Purchase, u64::from(account), slot);
        let c = usize::from(category);
        let groups = &profile.categories[c].groups;
        let g = pick_group(rng, groups, &days, weekday)?;
        let group = &groups[g];
        let day = habit_day(rng, group, &days, weekday);
        let secs = hour_in(rng, group.hours);
        let merchant = favorites.pick(rng, profile, c, g);
        let amount = draw_log_normal(rng, &group.amount);
        let life = Life {
            key: row(Purpose::Purchase, u32::from(account), slot as usize),
            account,
            day,
            secs,
            amount,
            category: &profile.categories[c].name,
            detailed: Some(group.detailed.as_str()),
            merchant,
            stream: None,
            settle: Settle::Posted,
            correction: None,
        };
        Some((life, group.authorization))
    }

    /// The accounts as of day `a`, their balances drawn from the transactions of its window.
    fn accounts_at(&self, a: Day) -> Vec<Account> {
        let from = a - self.window;
        let flows: Vec<Flow> = self
            .lives
            .iter()
            .filter_map(|life| {
                let (day, amount) = life.visible_at(a)?;
                (day >= from).then_some(Flow {
                    account: life.account,
                    day,
                    amount,
                })
            })
            .collect();
        let inputs = BalanceInputs {
            profile: self.profile,
            params: self.params,
            kinds: self.kinds,
            flows: &flows,
            as_of: a,
        };
        let mut accounts = self.accounts.clone();
        set_balances(&self.draws, &inputs, &mut accounts);
        accounts
    }
}

/// The key of occurrence `occurrence` of series `series` of `purpose`.
fn row(purpose: Purpose, series: u32, occurrence: usize) -> RowKey {
    RowKey {
        purpose,
        series,
        occurrence: occurrence as u32,
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
