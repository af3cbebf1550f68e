//! Measures a dataset from its rows alone: table sizes, category shares, pending rate,
//! account kinds, and the signal each persona is meant to show.
//!
//! Nothing here knows how the rows were generated; it reads them the way SpendSense's
//! detectors would, so it can check the generator. Rows arrive in `users.json` order (users,
//! accounts, transactions, persona labels) and memory holds per-user and per-account
//! summaries only: a transaction is kept just until its account's run of rows ends.
//!
//! The measured [`Stats`] keep no row and no user: per persona a count and a
//! [`Distribution`] per printed median, and the bands' figures likewise, so merging the
//! statistics of chunk after chunk uses memory bounded by the range of the values, not by the
//! number of users. A check that needs each user's signals asks
//! [`Collector::finish_with_signals`] for them.
//!
//! [`bands`] measures what a profile's targets speak of (pay periods, card statements,
//! payments, balances, spending shares); [`render`] prints them next to their bands.

pub mod bands;
pub mod distribution;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use backend::Transaction;
use chrono::NaiveDate;

use crate::catalog::{AccountKind, INCOME};
use crate::dataset::Meta;
use crate::json::read_json;
use crate::persona::Persona;
use crate::profile::{Band, Profile, Targets};
use crate::tables::{RowBatch, RowCounts};
use bands::{BandAcc, BandStats};
pub use distribution::{Distribution, median, percentile};

/// Seconds in a day, for gaps between timestamps in days.
const DAY: f64 = crate::calendar::SECONDS_PER_DAY as f64;

/// What one user's rows show, in the units the persona rules speak of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSignals {
    /// The labelled persona, if the data carries labels.
    pub persona: Option<Persona>,
    /// Median gap between consecutive paychecks, in days; `None` with fewer than two.
    pub median_pay_gap_days: Option<f64>,
    /// Highest card balance over its limit; `None` without a card.
    pub max_card_utilization: Option<f64>,
    /// Whether any card is overdue.
    pub overdue: bool,
    /// Merchants charging the same amount monthly (26-35 days apart) or weekly (6-8 days).
    pub recurring_merchants: u32,
    /// What those recurring merchants charge per month, in cents.
    pub recurring_monthly_cents: i64,
    /// Spending (positive amounts) per month, in cents.
    pub monthly_spending_cents: f64,
    /// Net money into savings accounts per month, in cents; `None` without savings.
    pub savings_inflow_monthly_cents: Option<f64>,
    /// Checking balance in months of spending; `None` without checking.
    pub checking_cover_months: Option<f64>,
}

impl UserSignals {
    /// Whether these rows show the signal `persona` is defined by.
    pub fn shows(&self, persona: Persona) -> bool {
        match persona {
            Persona::HighUtilization => self.max_card_utilization.is_some_and(|u| u >= 0.5),
            Persona::VariableIncome => {
                self.median_pay_gap_days.is_some_and(|g| g > 45.0)
                    && self.checking_cover_months.is_some_and(|c| c < 1.0)
            }
            Persona::SubscriptionHeavy => {
                self.recurring_merchants >= 3
                    && (self.recurring_monthly_cents >= 5_000
                        || self.recurring_monthly_cents as f64 >= 0.1 * self.monthly_spending_cents)
            }
            Persona::SavingsBuilder => {
                self.savings_inflow_monthly_cents
                    .is_some_and(|s| s >= 20_000.0)
                    && self.max_card_utilization.is_none_or(|u| u < 0.3)
            }
            // Regular payroll (biweekly or semi-monthly gaps) and none of the strong signals.
            Persona::Steady => {
                self.median_pay_gap_days
                    .is_some_and(|g| (12.0..=18.0).contains(&g))
                    && Persona::ALL[1..].iter().all(|&p| !self.shows(p))
            }
        }
    }
}

/// A dataset's measured shape.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Rows per table.
    pub counts: RowCounts,
    /// Transactions per category.
    pub categories: BTreeMap<String, u64>,
    /// Pending transactions.
    pub pending: u64,
    /// Accounts by kind: checking, savings, credit card.
    pub accounts_by_kind: [u64; 3],
    /// INCOME transactions on credit accounts (should be none).
    pub income_on_credit: u64,
    /// What the users labelled with each persona show, by [`Persona::index`].
    pub personas: [PersonaStats; Persona::ALL.len()],
    /// What the bands of a profile's targets measure.
    pub bands: BandStats,
}

impl Stats {
    /// `count` as a percentage of the transactions.
    pub fn share(&self, count: u64) -> f64 {
        100.0 * count as f64 / self.counts.transactions.max(1) as f64
    }

    /// Adds the statistics of other, later users.
    pub fn merge(&mut self, other: Stats) {
        self.counts.add(other.counts);
        for (category, count) in other.categories {
            *self.categories.entry(category).or_default() += count;
        }
        self.pending += other.pending;
        for (mine, theirs) in self.accounts_by_kind.iter_mut().zip(other.accounts_by_kind) {
            *mine += theirs;
        }
        self.income_on_credit += other.income_on_credit;
        for (mine, theirs) in self.personas.iter_mut().zip(other.personas) {
            mine.merge(theirs);
        }
        self.bands.merge(other.bands);
    }
}

/// What the users labelled with one persona show: how many there are, how many show its
/// signal, and the distribution of each signal the report prints a median of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonaStats {
    /// Users labelled with the persona.
    pub users: u64,
    /// Of those, the ones whose rows show its signal ([`UserSignals::shows`]).
    pub showing: u64,
    /// Median gaps between paychecks, in days, of the users with two or more.
    pub pay_gap_days: Distribution,
    /// Highest card utilisation of the users with a card.
    pub card_utilization: Distribution,
    /// Recurring merchants of every user.
    pub recurring_merchants: Distribution,
    /// Net monthly savings inflow, in cents, of the users with savings.
    pub savings_inflow_monthly_cents: Distribution,
}

impl PersonaStats {
    /// Counts a user labelled `persona` whose rows show `signals`.
    fn add(&mut self, persona: Persona, signals: &UserSignals) {
        self.users += 1;
        self.showing += u64::from(signals.shows(persona));
        self.pay_gap_days.extend(signals.median_pay_gap_days);
        self.card_utilization.extend(signals.max_card_utilization);
        self.recurring_merchants
            .add(f64::from(signals.recurring_merchants));
        self.savings_inflow_monthly_cents
            .extend(signals.savings_inflow_monthly_cents);
    }

    /// Adds the users of another chunk, after these.
    fn merge(&mut self, other: PersonaStats) {
        self.users += other.users;
        self.showing += other.showing;
        self.pay_gap_days.merge(other.pay_gap_days);
        self.card_utilization.merge(other.card_utilization);
        self.recurring_merchants.merge(other.recurring_merchants);
        self.savings_inflow_monthly_cents
            .merge(other.savings_inflow_monthly_cents);
    }
}

#[derive(Default)]
struct UserAcc {
    pay_times: Vec<i64>,
    spending: i64,
    recurring: u32,
    recurring_monthly: i64,
    max_utilization: Option<f64>,
    overdue: bool,
    savings_flow: Option<i64>,
    checking_balance: Option<i64>,
}

struct AccountInfo {
    user: u32,
    kind: Option<AccountKind>,
}

/// One purchase as recurring-merchant detection needs it: (seconds, cents, merchant), the
/// merchant as an index into the run's few distinct names.
type Spend = (i64, i64, u32);

/// The transactions of one account being read.
struct Run {
    account_id: String,
    account: u32,
    spends: Vec<Spend>,
    merchants: Vec<String>,
}

/// Accumulates [`Stats`] from batches of rows in file order.
#[derive(Default)]
pub struct Collector {
    stats: Stats,
    user_index: HashMap<String, u32>,
    users: Vec<UserAcc>,
    account_index: HashMap<String, u32>,
    accounts: Vec<AccountInfo>,
    /// The run of transactions of one account being read.
    run: Option<Run>,
    labels: Vec<(u32, Persona)>,
    bands: BandAcc,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Collector::default()
    }

    /// Takes in a batch of rows; within a batch, users come before accounts, accounts before
    /// transactions, and transactions before labels, as in the file.
    pub fn add(&mut self, batch: &RowBatch) -> anyhow::Result<()> {
        self.stats.counts.add(batch.counts());
        for user in &batch.users {
            self.user_index
                .insert(user.id.clone(), self.users.len() as u32);
            self.users.push(UserAcc::default());
            self.bands.add_user();
        }
        for account in &batch.accounts {
            let user = *self.user_index.get(&account.user_id).ok_or_else(|| {
                anyhow::anyhow!(
                    "account {} references missing user {}",
                    account.id,
                    account.user_id
                )
            })?;
            let kind = AccountKind::from_plaid(&account.account_type, &account.subtype);
            if let Some(kind) = kind {
                self.stats.accounts_by_kind[kind.index()] += 1;
            }
            self.bands.add_account(user, kind, account);
            let acc = &mut self.users[user as usize];
            match kind {
                Some(AccountKind::CreditCard) => {
                    if let Some(limit) = account.credit_limit.filter(|&l| l > 0) {
                        let u = account.balance as f64 / limit as f64;
                        acc.max_utilization =
                            Some(acc.max_utilization.map_or(u, |m: f64| m.max(u)));
                    }
                    acc.overdue |= account.is_overdue == Some(true);
                }
                Some(AccountKind::Savings) => {
                    acc.savings_flow = Some(acc.savings_flow.unwrap_or(0))
                }
                Some(AccountKind::Checking) => {
                    acc.checking_balance = Some(
                        acc.checking_balance
                            .unwrap_or(0)
                            .saturating_add(account.balance),
                    );
                }
                None => {}
            }
            self.account_index
                .insert(account.id.clone(), self.accounts.len() as u32);
            self.accounts.push(AccountInfo { user, kind });
        }
        for transaction in &batch.transactions {
            self.add_transaction(transaction)?;
        }
        for label in &batch.persona_labels {
            let user = *self.user_index.get(&label.user_id).ok_or_else(|| {
                anyhow::anyhow!("persona label references missing user {}", label.user_id)
            })?;
            let persona = Persona::from_name(&label.persona)
                .ok_or_else(|| anyhow::anyhow!("unknown persona `{}`", label.persona))?;
            self.labels.push((user, persona));
        }
        let mut links: HashMap<&str, Vec<&str>> = HashMap::new();
        for link in &batch.recurring_stream_transactions {
            links
                .entry(&link.stream_id)
                .or_default()
                .push(&link.transaction_id);
        }
        for stream in &batch.recurring_streams {
            let account = *self.account_index.get(&stream.account_id).ok_or_else(|| {
                anyhow::anyhow!(
                    "recurring stream {} references missing account {}",
                    stream.id,
                    stream.account_id
                )
            })?;
            let user = self.accounts[account as usize].user;
            let ids = links.get(stream.id.as_str()).map_or(&[][..], Vec::as_slice);
            self.bands.add_stream(user, stream, ids);
        }
        Ok(())
    }

    fn add_transaction(&mut self, t: &Transaction) -> anyhow::Result<()> {
        match self.stats.categories.get_mut(&t.category) {
            Some(count) => *count += 1,
            None => {
                self.stats.categories.insert(t.category.clone(), 1);
            }
        }
        self.stats.pending += u64::from(t.pending);
        // Transactions of one account are contiguous: look the account up once per run.
        if self
            .run
            .as_ref()
            .is_none_or(|run| run.account_id != t.account_id)
        {
            self.end_run();
            let account = *self.account_index.get(&t.account_id).ok_or_else(|| {
                anyhow::anyhow!(
                    "transaction {} references missing account {}",
                    t.id,
                    t.account_id
                )
            })?;
            self.run = Some(Run {
                account_id: t.account_id.clone(),
                account,
                spends: Vec::with_capacity(128),
                merchants: Vec::new(),
            });
        }
        let run = self.run.as_mut().expect("a run is open");
        let info = &self.accounts[run.account as usize];
        self.bands
            .add_transaction(info.user, run.account, info.kind, t);
        let acc = &mut self.users[info.user as usize];
        let seconds = t.date.and_utc().timestamp();
        if t.category == INCOME {
            acc.pay_times.push(seconds);
            if info.kind == Some(AccountKind::CreditCard) {
                self.stats.income_on_credit += 1;
            }
        } else if t.amount > 0 {
            acc.spending = acc.spending.saturating_add(t.amount);
            // A recurring charge is told from posted rows: a pending one is dated when it
            // was authorised, its posted twin (and every earlier bill) when it posted.
            if !t.pending {
                // A user shops at a few merchants: a linear search beats hashing here.
                let merchant = match run.merchants.iter().position(|m| *m == t.merchant_name) {
                    Some(m) => m,
                    None => {
                        run.merchants.push(t.merchant_name.clone());
                        run.merchants.len() - 1
                    }
                };
                run.spends.push((seconds, t.amount, merchant as u32));
            }
        }
        if info.kind == Some(AccountKind::Savings) {
            let flow = acc.savings_flow.get_or_insert(0);
            *flow = flow.saturating_sub(t.amount);
        }
        Ok(())
    }

    /// Finds the recurring merchants of the account whose run just ended.
    fn end_run(&mut self) {
        let Some(mut run) = self.run.take() else {
            return;
        };
        self.bands.end_run(run.account);
        run.spends
            .sort_unstable_by_key(|&(at, amount, merchant)| (merchant, amount, at));
        let acc = &mut self.users[self.accounts[run.account as usize].user as usize];
        for group in run.spends.chunk_by(|a, b| a.2 == b.2 && a.1 == b.1) {
            if group.len() < 3 {
                continue;
            }
            let gaps = || group.windows(2).map(|w| (w[1].0 - w[0].0) as f64 / DAY);
            let monthly = gaps().all(|g| (26.0..=35.0).contains(&g));
            let weekly = gaps().all(|g| (6.0..=8.0).contains(&g));
            if monthly || weekly {
                acc.recurring += 1;
                let monthly_cents = if monthly {
                    group[0].1
                } else {
                    group[0].1.saturating_mul(52) / 12
                };
                acc.recurring_monthly = acc.recurring_monthly.saturating_add(monthly_cents);
            }
        }
    }

    /// The finished statistics of data drawn from `profile` as of `as_of`.
    pub fn finish(self, profile: &Profile, as_of: NaiveDate) -> Stats {
        self.finish_each(profile, as_of, |_| ())
    }

    /// The finished statistics and, in file order, what each user's rows show: for checks
    /// of every user, which the statistics themselves do not keep.
    pub fn finish_with_signals(
        self,
        profile: &Profile,
        as_of: NaiveDate,
    ) -> (Stats, Vec<UserSignals>) {
        let mut users = Vec::with_capacity(self.users.len());
        let stats = self.finish_each(profile, as_of, |signals| users.push(signals));
        (stats, users)
    }

    /// The finished statistics, handing each user's signals, in file order, to `each`.
    fn finish_each(
        mut self,
        profile: &Profile,
        as_of: NaiveDate,
        mut each: impl FnMut(UserSignals),
    ) -> Stats {
        self.end_run();
        let window_days = profile.common().window_days;
        // Only the calibrated profile's cards have statements, with its rule for the minimum.
        let rule = match profile {
            Profile::Calibrated(calibrated) => {
                let terms = calibrated.cards.statement;
                Some(move |balance: i64| terms.minimum_payment(balance))
            }
            Profile::Story(_) => None,
        };
        let minimum = rule.as_ref().map(|f| f as &dyn Fn(i64) -> i64);
        self.stats.bands = std::mem::take(&mut self.bands).finish(as_of, minimum);
        let mut personas = vec![None; self.users.len()];
        for (user, persona) in self.labels {
            personas[user as usize] = Some(persona);
        }
        let months = window_days as f64 / 30.0;
        for (mut acc, persona) in self.users.into_iter().zip(personas) {
            acc.pay_times.sort_unstable();
            let mut gaps: Vec<f64> = acc
                .pay_times
                .windows(2)
                .map(|w| (w[1] - w[0]) as f64 / DAY)
                .collect();
            let monthly_spending = acc.spending as f64 / months;
            let signals = UserSignals {
                persona,
                median_pay_gap_days: median(&mut gaps),
                max_card_utilization: acc.max_utilization,
                overdue: acc.overdue,
                recurring_merchants: acc.recurring,
                recurring_monthly_cents: acc.recurring_monthly,
                monthly_spending_cents: monthly_spending,
                savings_inflow_monthly_cents: acc.savings_flow.map(|f| f as f64 / months),
                checking_cover_months: acc.checking_balance.map(|b| {
                    if monthly_spending > 0.0 {
                        b as f64 / monthly_spending
                    } else {
                        f64::INFINITY
                    }
                }),
            };
            if let Some(persona) = persona {
                self.stats.personas[persona.index()].add(persona, &signals);
            }
            each(signals);
        }
        self.stats
    }
}

/// Whole dollars of an amount in cents, sign first: `-$235`.
fn dollars(cents: f64) -> String {
    let sign = if cents < 0.0 { "-" } else { "" };
    format!("{sign}${:.0}", cents.abs() / 100.0)
}

/// Reads `users.json` as a stream and measures it; returns the file's `meta` and the
/// measurements, to finish with the window of the profile the file was drawn from.
pub fn collect_file(path: &Path) -> anyhow::Result<(Meta, Collector)> {
    let mut collector = Collector::new();
    let source = read_json(path, 16_384, &mut |_, batch| collector.add(&batch))?;
    Ok((source.meta, collector))
}

/// The compact report: rows, category shares against the profile, pending rate, account
/// kinds, and per persona its users, how many show its signal and the medians of each signal.
///
/// With `targets`, a table of every band follows: the observed value, the published
/// target and the band, and whether the value lies within it.
pub fn render(
    stats: &Stats,
    profile: &Profile,
    targets: Option<&Targets>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(out, "Rows: {}", stats.counts);
    render_categories(&mut out, stats, profile);
    let pending = &profile.common().pending;
    let (lo, hi) = pending.lag_days;
    let unit = if pending.business_days {
        "business days"
    } else {
        "days"
    };
    let _ = writeln!(
        out,
        "Pending: {:.2}% (purchases pend {lo} to {hi} {unit})",
        stats.share(stats.pending)
    );
    let [checking, savings, cards] = stats.accounts_by_kind;
    let _ = writeln!(
        out,
        "Accounts: {checking} checking, {savings} savings, {cards} credit card; \
         INCOME rows on cards: {}",
        stats.income_on_credit
    );
    render_personas(&mut out, stats);
    if let Some(targets) = targets {
        out.push_str(&render_bands(stats, profile, targets)?);
    }
    Ok(out)
}

/// The category shares: against the story's weights, or (the calibrated profile sets none:
/// its mix follows from incomes, bills and habits) every observed category, largest first.
fn render_categories(out: &mut String, stats: &Stats, profile: &Profile) {
    match profile {
        Profile::Calibrated(_) => {
            let _ = writeln!(out, "{:<28}{:>9}", "Category", "observed");
            let mut seen: Vec<(&String, &u64)> = stats.categories.iter().collect();
            seen.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (category, &count) in seen {
                let _ = writeln!(out, "  {category:<26}{:>8.1}%", stats.share(count));
            }
        }
        Profile::Story(story) => {
            let _ = writeln!(
                out,
                "{:<22}{:>9}{:>12}",
                "Category", "observed", "configured"
            );
            for category in &story.categories {
                let seen = stats.categories.get(&category.name).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "  {:<20}{:>8.1}%{:>11.1}%",
                    category.name,
                    stats.share(seen),
                    f64::from(category.weight)
                );
            }
        }
    }
}

/// Per persona: its users, how many show its signal, and the medians of each signal.
fn render_personas(out: &mut String, stats: &Stats) {
    let _ = writeln!(
        out,
        "{:<20}{:>8}{:>16}{:>9}{:>11}{:>11}{:>12}",
        "Persona (medians)", "users", "signal", "pay gap", "card util", "recurring", "savings/mo"
    );
    for persona in Persona::ALL {
        let measured = &stats.personas[persona.index()];
        let show =
            |v: Option<f64>, unit: &dyn Fn(f64) -> String| v.map_or_else(|| "-".to_owned(), unit);
        let _ = writeln!(
            out,
            "  {:<18}{:>8}{:>16}{:>9}{:>11}{:>11}{:>12}",
            persona.name(),
            measured.users,
            format!("{}/{}", measured.showing, measured.users),
            show(measured.pay_gap_days.median(), &|v| format!("{v:.1} d")),
            show(measured.card_utilization.median(), &|v| format!(
                "{:.0}%",
                v * 100.0
            )),
            show(measured.recurring_merchants.median(), &|v| format!(
                "{v:.0}"
            )),
            show(
                measured.savings_inflow_monthly_cents.median(),
                &|v| dollars(v)
            ),
        );
    }
}

/// Each band of `targets` with the value `stats` observed for it (`None` when the data has
/// nothing to measure it on, which fails the band).
pub fn evaluate<'t>(
    stats: &Stats,
    profile: &Profile,
    targets: &'t Targets,
) -> anyhow::Result<Vec<(&'t Band, Option<f64>)>> {
    targets
        .bands
        .iter()
        .map(|band| {
            let value = stats
                .bands
                .measure(&band.measure, profile.common().window_days)
                .map_err(|e| anyhow::anyhow!("target `{}`: {e}", band.label))?;
            Ok((band, value))
        })
        .collect()
}

/// The bands table: observed, target, band and verdict per band.
fn render_bands(stats: &Stats, profile: &Profile, targets: &Targets) -> anyhow::Result<String> {
    let figure = |unit: &str, value: f64| match unit {
        "%" => format!("{value:.1}%"),
        "$" => format!("${value:.0}"),
        "x" => format!("{value:.2}x"),
        _ => format!("{value:.1}"),
    };
    let mut out = String::new();
    let users = stats.counts.users;
    let _ = writeln!(
        out,
        "{:<48}{:>11}{:>10}{:>20}  verdict",
        "Band", "observed", "target", "band"
    );
    let mut met = 0;
    let results = evaluate(stats, profile, targets)?;
    for (band, value) in &results {
        let holds = value.is_some_and(|v| band.holds(v));
        met += usize::from(holds);
        let range = if band.high >= 1_000.0 && band.unit == "x" {
            format!(">= {}", figure(&band.unit, band.low))
        } else {
            format!(
                "{}-{}",
                figure(&band.unit, band.low),
                figure(&band.unit, band.high)
            )
        };
        let _ = writeln!(
            out,
            "  {:<46}{:>11}{:>10}{:>20}  {}",
            band.label,
            value.map_or_else(|| "-".to_owned(), |v| figure(&band.unit, v)),
            band.target
                .map_or_else(|| "-".to_owned(), |t| figure(&band.unit, t)),
            range,
            if holds { "ok" } else { "MISSED" },
        );
    }
    let _ = writeln!(
        out,
        "Bands met: {met} of {}{}",
        results.len(),
        if users < targets.min_users {
            format!(
                " ({users} users; the bands are meant for {} or more)",
                targets.min_users
            )
        } else {
            String::new()
        }
    );
    Ok(out)
}
