//! A user's timeline: the life of every transaction laid on the calendar, from which the
//! rows as of any date, and the changes between two dates, are read.
//!
//! A generator draws a user's life from the timeline's start (the origin minus the window)
//! forward, never looking at the as-of date: what happens on a day depends only on the days
//! before it. The as-of date decides what is visible: a transaction dated `d` shows from as-of
//! day `d + 1`; a pending one shows until the day after it posts (its posted twin, with an id
//! of its own naming the pending one, shows from then) or drops; a correction changes a posted
//! row from the day after it is made. So the rows of a run as of D2 are exactly those of a
//! run as of D1 advanced to D2, and the changes in between are a function of the timeline
//! ([`Timeline::changes`]).

use backend::{Account, Change, PersonaLabel, Transaction, User};
use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::draws::{Purpose, UserDraws};
use super::recurring::{Frequency, Occurrence, Series};
use crate::calendar::SECONDS_PER_DAY;
use crate::persona::Persona;
use crate::tables::{RowBatch, RunRows};

/// A day of a timeline: days since its start. As-of day `a` shows what happened on days
/// before `a`.
pub type Day = i64;

/// What a transaction is: the purpose, series and occurrence its ids and draws are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    /// What kind of transaction: a paycheck, a purchase, a bill…
    pub purpose: Purpose,
    /// Which series within it: an account, a subscription, a payroll…
    pub series: u32,
    /// Which occurrence of the series.
    pub occurrence: u32,
}

/// How a transaction settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Posted on its day.
    Posted,
    /// Pending from its day until `lag` days later, when it posts as a twin of `amount`.
    Posts {
        /// Days from authorisation to posting.
        lag: Day,
        /// The posted amount (a tip added, a hold replaced by the final amount).
        amount: i64,
    },
    /// Pending from its day until `lag` days later, when it disappears.
    Drops {
        /// Days from authorisation to the authorisation's end.
        lag: Day,
    },
}

/// A bank's later correction of a posted transaction: until `day`, the posted row showed
/// other values; from the day after, it shows the life's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction<'p> {
    /// The day of the correction; after the posting day.
    pub day: Day,
    /// The merchant the posted row showed before (a raw card-network descriptor), if the
    /// correction cleans it.
    pub merchant: Option<String>,
    /// The category and detailed category the posted row showed before, if the correction
    /// changes them.
    pub category: Option<(&'p str, Option<&'p str>)>,
}

/// One transaction's life: authorised on `day`, settled as `settle` says, maybe corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Life<'p> {
    /// What it is.
    pub key: RowKey,
    /// Its account, an index into the timeline's accounts.
    pub account: u8,
    /// The day it happened.
    pub day: Day,
    /// Seconds into the day.
    pub secs: i64,
    /// Its amount as authorised (the pending row's), signed as stored.
    pub amount: i64,
    /// Its category.
    pub category: &'p str,
    /// Plaid's detailed category, where the generator knows it.
    pub detailed: Option<&'p str>,
    /// The merchant or payer.
    pub merchant: &'p str,
    /// The recurring series it belongs to, an index into the timeline's series.
    pub stream: Option<u16>,
    /// How it settles.
    pub settle: Settle,
    /// The bank's later correction of the posted row, if any.
    pub correction: Option<Correction<'p>>,
}

/// Which row of a life: the pending authorisation or the posted transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The authorisation, pending.
    Pending,
    /// The posted transaction.
    Posted,
}

/// What a life shows as of a day: which row, and whether a posted one is corrected yet.
pub type View = (Stage, bool);

/// One change to a user's transactions: the as-of day it is first visible at, what changed,
/// and which row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedChange {
    /// The first as-of day that shows the change.
    pub day: Day,
    /// What it did.
    pub change: Change,
    /// The transaction's id.
    pub id: String,
    /// Its account's id.
    pub account_id: String,
    /// The day the transaction is dated.
    pub dated: Day,
}

/// A recurring series as scheduled: what its stream reports besides its transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPlan<'p> {
    /// Its account, an index into the timeline's accounts.
    pub account: u8,
    /// The payer or payee.
    pub merchant: &'p str,
    /// Its transactions' category.
    pub category: &'p str,
    /// Its cadence.
    pub frequency: Frequency,
    /// Every day a transaction of it posts on, in order, through at least one day past the
    /// last as-of day asked for (so the next one after any of them is known). A series that
    /// ends (a cancelled subscription) holds last the day its next transaction would have
    /// posted on, with no transaction: its stream shows until that day, then no more.
    pub schedule: Vec<Day>,
    /// What its stream's id is keyed by (the series of [`Purpose::Stream`]): what the series
    /// is, for a generator whose series come and go; its place in the timeline's series when
    /// `None`.
    pub key: Option<u64>,
}

/// A user's whole timeline, and their accounts as of each day asked for.
#[derive(Debug, Clone)]
pub struct Timeline<'p> {
    /// The user's draws and ids.
    pub draws: UserDraws,
    /// The timeline's first day (the origin minus the window).
    pub start: NaiveDate,
    /// The user.
    pub user: User,
    /// The persona the user was dealt.
    pub persona: Persona,
    /// The accounts as of each as-of day asked for, in the order asked.
    pub accounts_at: Vec<Vec<Account>>,
    /// Every transaction's life, in any order.
    pub lives: Vec<Life<'p>>,
    /// The recurring series.
    pub series: Vec<SeriesPlan<'p>>,
}

impl Life<'_> {
    /// The id of one of its rows.
    fn id(&self, draws: &UserDraws, stage: Stage) -> String {
        let k = self.key;
        draws.id(
            k.purpose,
            u64::from(k.series),
            u64::from(k.occurrence),
            stage as u64,
        )
    }

    /// The day it posts, unless it drops.
    pub fn posting_day(&self) -> Option<Day> {
        match self.settle {
            Settle::Posted => Some(self.day),
            Settle::Posts { lag, .. } => Some(self.day + lag),
            Settle::Drops { .. } => None,
        }
    }

    /// The day its authorisation ends, for a life that pends.
    fn pending_until(&self) -> Option<Day> {
        match self.settle {
            Settle::Posted => None,
            Settle::Posts { lag, .. } | Settle::Drops { lag } => Some(self.day + lag),
        }
    }

    /// The day and amount of the row as-of day `a` shows, if it shows one.
    pub fn visible_at(&self, a: Day) -> Option<(Day, i64)> {
        let (stage, _) = self.stage_at(a)?;
        let amount = match (stage, self.settle) {
            (Stage::Posted, Settle::Posts { amount, .. }) => amount,
            _ => self.amount,
        };
        Some((self.dated(stage), amount))
    }

    /// The day its row of `stage` is dated: the posted twin of a pending one is dated when it
    /// posts.
    fn dated(&self, stage: Stage) -> Day {
        match (stage, self.settle) {
            (Stage::Posted, Settle::Posts { lag, .. }) => self.day + lag,
            _ => self.day,
        }
    }

    /// Which of its rows as-of day `a` shows, and whether a posted one is corrected yet.
    fn stage_at(&self, a: Day) -> Option<View> {
        if a <= self.day {
            return None;
        }
        if let Some(until) = self.pending_until()
            && a <= until
        {
            return Some((Stage::Pending, false));
        }
        let posted = self.posting_day()?;
        let corrected = self.correction.as_ref().is_none_or(|c| a > c.day);
        (a > posted).then_some((Stage::Posted, corrected))
    }

    /// The row of `stage`, corrected or not.
    fn row(&self, timeline: &Timeline<'_>, stage: Stage, corrected: bool) -> Transaction {
        let id = self.id(&timeline.draws, stage);
        self.row_named(
            timeline,
            (stage, corrected),
            id,
            self.moment(timeline, stage),
        )
    }

    /// The moment its row of `stage` is dated.
    fn moment(&self, timeline: &Timeline<'_>, stage: Stage) -> NaiveDateTime {
        timeline.at(self.dated(stage), self.secs)
    }

    /// The row `view` names, whose id and date the caller already made.
    fn row_named(
        &self,
        timeline: &Timeline<'_>,
        (stage, corrected): View,
        id: String,
        date: NaiveDateTime,
    ) -> Transaction {
        let amount = match (stage, self.settle) {
            (Stage::Posted, Settle::Posts { amount, .. }) => amount,
            _ => self.amount,
        };
        let before = self.correction.as_ref().filter(|_| !corrected);
        let merchant = before.and_then(|c| c.merchant.as_deref());
        let (category, detailed) = before
            .and_then(|c| c.category)
            .unwrap_or((self.category, self.detailed));
        let pending_id = matches!(self.settle, Settle::Posts { .. }) && stage == Stage::Posted;
        Transaction {
            id,
            account_id: timeline.account_id(self.account).to_owned(),
            date,
            amount,
            category: category.to_owned(),
            merchant_name: merchant.unwrap_or(self.merchant).to_owned(),
            pending: stage == Stage::Pending,
            pending_transaction_id: pending_id.then(|| self.id(&timeline.draws, Stage::Pending)),
            category_detailed: detailed.map(str::to_owned),
        }
    }

    /// The day each of its changes is first visible at, in order, with the change.
    fn events(&self) -> Vec<(Day, Change, Stage, bool)> {
        let mut events = Vec::with_capacity(4);
        let corrected = self.correction.is_none();
        match self.settle {
            Settle::Posted => events.push((self.day + 1, Change::Added, Stage::Posted, corrected)),
            Settle::Posts { lag, .. } => {
                events.push((self.day + 1, Change::Added, Stage::Pending, false));
                events.push((self.day + lag + 1, Change::Removed, Stage::Pending, false));
                events.push((self.day + lag + 1, Change::Added, Stage::Posted, corrected));
            }
            Settle::Drops { lag } => {
                events.push((self.day + 1, Change::Added, Stage::Pending, false));
                events.push((self.day + lag + 1, Change::Removed, Stage::Pending, false));
            }
        }
        if let Some(correction) = &self.correction {
            events.push((correction.day + 1, Change::Modified, Stage::Posted, true));
        }
        events
    }
}

impl<'p> Timeline<'p> {
    /// The id of account `account`.
    fn account_id(&self, account: u8) -> &str {
        &self.accounts_at[0][usize::from(account)].id
    }

    /// The moment `secs` into day `day`.
    pub fn at(&self, day: Day, secs: i64) -> NaiveDateTime {
        self.start.and_hms_opt(0, 0, 0).expect("midnight exists")
            + Duration::seconds(day * SECONDS_PER_DAY + secs)
    }

    /// The date of day `day`.
    pub fn date(&self, day: Day) -> NaiveDate {
        self.start + Duration::days(day)
    }

    /// The row of life `life` that as-of day `a` shows, if it shows one dated on or after
    /// day `from`.
    pub fn row_at(&self, life: usize, a: Day, from: Day) -> Option<Transaction> {
        let (stage, corrected) = self.view_at(life, a, from)?;
        Some(self.lives[life].row(self, stage, corrected))
    }

    /// What life `life` shows as-of day `a`, if it shows a row dated on or after day `from`.
    pub fn view_at(&self, life: usize, a: Day, from: Day) -> Option<View> {
        let life = &self.lives[life];
        let view = life.stage_at(a)?;
        (life.dated(view.0) >= from).then_some(view)
    }

    /// The row of life `life` that `view` names.
    pub fn row(&self, life: usize, (stage, corrected): View) -> Transaction {
        self.lives[life].row(self, stage, corrected)
    }

    /// The transactions as-of day `a` shows, dated on or after day `from`, in output order
    /// (by account, then date, then id), with the life each belongs to, index for index.
    /// Only small keys are sorted; each row is made once, in its place.
    pub fn transactions_at(&self, a: Day, from: Day) -> (Vec<usize>, Vec<Transaction>) {
        /// Where a shown row goes, and what makes it.
        struct Shown {
            account: u8,
            date: NaiveDateTime,
            id: String,
            life: usize,
            view: View,
        }
        let mut shown: Vec<Shown> = (0..self.lives.len())
            .filter_map(|life| {
                let view = self.view_at(life, a, from)?;
                let row = &self.lives[life];
                Some(Shown {
                    account: row.account,
                    date: row.moment(self, view.0),
                    id: row.id(&self.draws, view.0),
                    life,
                    view,
                })
            })
            .collect();
        // Ids are unique, so no two keys are equal and an unstable sort gives the one order.
        shown.sort_unstable_by(|x, y| (x.account, x.date, &x.id).cmp(&(y.account, y.date, &y.id)));
        let lives = shown.iter().map(|s| s.life).collect();
        let rows = shown
            .into_iter()
            .map(|s| self.lives[s.life].row_named(self, s.view, s.id, s.date))
            .collect();
        (lives, rows)
    }

    /// Adds series `s`'s recurring stream as-of day `a` and its links to `out`, given the
    /// rows as-of day `a` shows of (at least) the series' lives, by life. A recurring stream
    /// is its posted transactions, as Plaid reports them; a pending one joins its stream when
    /// it posts.
    pub fn push_stream<'r>(
        &self,
        s: usize,
        a: Day,
        rows: impl Iterator<Item = (usize, &'r Transaction)>,
        out: &mut RowBatch,
    ) {
        let plan = &self.series[s];
        // A series whose schedule holds no day from the as-of day on has ended (a cancelled
        // subscription, a bill moved off a card): its stream no longer shows.
        let Some(&next) = plan.schedule.iter().find(|&&d| d >= a) else {
            return;
        };
        let mut occurrences: Vec<Occurrence<'_>> = rows
            .filter(|(i, t)| self.lives[*i].stream == Some(s as u16) && !t.pending)
            .map(|(_, t)| Occurrence {
                transaction_id: &t.id,
                date: t.date.date(),
                amount: t.amount,
            })
            .collect();
        occurrences.sort_by_key(|o| (o.date, o.transaction_id));
        let series = Series {
            account_id: self.account_id(plan.account),
            merchant_name: plan.merchant,
            category: plan.category,
            frequency: plan.frequency,
            next_date: self.date(next),
        };
        let id = self
            .draws
            .id(Purpose::Stream, plan.key.unwrap_or(s as u64), 0, 0);
        series.push_stream(id, &occurrences, out);
    }

    /// The user's rows as-of day `a`, with the accounts of as-of `which` (an index into the
    /// days the timeline was asked for), showing transactions dated on or after day `from`.
    pub fn snapshot(&self, which: usize, a: Day, from: Day) -> RowBatch {
        let (lives, transactions) = self.transactions_at(a, from);
        let mut streams = RowBatch::default();
        for s in 0..self.series.len() {
            let rows = lives.iter().copied().zip(&transactions);
            self.push_stream(s, a, rows, &mut streams);
        }
        RowBatch {
            run: RunRows::default(),
            users: vec![self.user.clone()],
            accounts: self.accounts_at[which].clone(),
            transactions,
            persona_labels: vec![PersonaLabel {
                user_id: self.user.id.clone(),
                persona: self.persona.name().to_owned(),
            }],
            recurring_streams: streams.recurring_streams,
            recurring_stream_transactions: streams.recurring_stream_transactions,
            transaction_changes: Vec::new(),
        }
    }

    /// Every change to the user's transactions first visible at an as-of day in
    /// `(from, to]`, ordered by that day, then by what changed (removals, additions,
    /// modifications) and the row's id.
    pub fn changes(&self, from: Day, to: Day) -> Vec<TimedChange> {
        let mut changes: Vec<TimedChange> = self
            .lives
            .iter()
            .flat_map(|life| {
                life.events()
                    .into_iter()
                    .filter(|&(day, ..)| from < day && day <= to)
                    .map(move |(day, change, stage, _)| TimedChange {
                        day,
                        change,
                        id: life.id(&self.draws, stage),
                        account_id: self.account_id(life.account).to_owned(),
                        dated: life.dated(stage),
                    })
            })
            .collect();
        let order = |c: &Change| match c {
            Change::Removed => 0,
            Change::Added => 1,
            Change::Modified => 2,
        };
        changes.sort_by(|x, y| {
            (x.day, order(&x.change), &x.id).cmp(&(y.day, order(&y.change), &y.id))
        });
        changes
    }
}
