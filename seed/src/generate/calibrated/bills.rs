//! Bills: rent or a mortgage every month, utilities whose amounts vary, and fixed monthly
//! bills (insurance, loans, subscriptions) that users start, cancel and switch as months
//! pass, each a recurring stream. Bills from checking move forward to a business day; a
//! card's merchants charge on the day.

use chrono::{Duration, NaiveDate};
use rand::RngExt;

use super::super::amounts::draw_log_normal;
use super::super::draws::{Purpose, UserDraws, pick, second_in, shuffle};
use super::super::recurring::Frequency;
use super::super::timeline::{Day, Life, Settle};
use super::card::Card;
use super::key;
use super::ledger::{CHECKING, Ledger};
use super::streams::{Series, Streams};
use crate::calendar::{Month, next_business_day};
use crate::profile::CalibratedProfile;

/// The series of a kind's draws about the whole user, apart from its rows' series.
const SETUP: u64 = 1 << 32;

/// How a monthly bill's amount is set.
#[derive(Debug, Clone, Copy)]
enum Amount {
    /// The same every month.
    Fixed(i64),
    /// Around a typical amount, by up to a share either way, drawn each month.
    Varies { typical: i64, variation: f64 },
}

/// A bill that falls due monthly on a day of the month.
#[derive(Debug, Clone)]
struct Monthly<'p> {
    /// Its rows' purpose and series; the occurrence is the month's number.
    purpose: Purpose,
    series: u32,
    account: u8,
    merchant: &'p str,
    category: &'p str,
    detailed: &'p str,
    day_of_month: u32,
    secs: i64,
    amount: Amount,
    stream: u16,
    /// The month of the next bill, its number since the timeline's first month, and the day
    /// it posts on.
    month: Month,
    number: u64,
    next: Day,
}

/// Where and when a monthly bill starts: its account, the month (and its number) of its first
/// bill, and the first day it may post on.
struct Start {
    account: u8,
    month: (Month, u64),
    from: Day,
}

/// A household's bills.
#[derive(Debug, Clone)]
pub(super) struct Bills<'p> {
    profile: &'p CalibratedProfile,
    start: NaiveDate,
    /// Net pay a month.
    monthly: i64,
    /// How many fixed bills the user holds at a time, inclusive.
    range: (u32, u32),
    housing: Monthly<'p>,
    utilities: Vec<Monthly<'p>>,
    /// Per fixed bill of the profile, its current instance if the user holds it.
    fixed: Vec<Option<Monthly<'p>>>,
    /// Fixed bills the user decided to start, which start the next month.
    queued: Vec<usize>,
}

impl<'p> Bills<'p> {
    /// Draws a household's housing, utilities and first fixed bills; the household is paid
    /// `monthly` a month and holds `card`, if any.
    pub(super) fn new(
        draws: &UserDraws,
        (profile, range): (&'p CalibratedProfile, (u32, u32)),
        (start, monthly): (NaiveDate, i64),
        card: Option<&Card<'_>>,
        streams: &mut Streams<'p>,
    ) -> Bills<'p> {
        let first = Start {
            account: CHECKING,
            month: (Month::of(start), 0),
            from: 0,
        };
        let housing = housing(draws, profile, monthly, streams);
        let housing = Monthly::begin(housing, start, &first);
        let utilities = (0..profile.utilities.len())
            .map(|u| Monthly::begin(utility(draws, profile, u, streams), start, &first))
            .collect();
        let mut bills = Bills {
            profile,
            start,
            monthly,
            range,
            housing,
            utilities,
            fixed: vec![None; profile.fixed_bills.len()],
            queued: Vec::new(),
        };
        let rng = &mut draws.at(Purpose::Subscription, 0, 0);
        let (lo, hi) = range;
        let count = rng.random_range(lo..=hi) as usize;
        let mut order: Vec<usize> = (0..profile.fixed_bills.len()).collect();
        shuffle(rng, &mut order);
        for &b in order.iter().take(count) {
            if bills.affordable(b) {
                bills.begin_fixed(draws, b, (first.month, 0), card, streams);
            }
        }
        bills
    }

    /// What the household's bills come to a month, as it starts.
    pub(super) fn monthly(&self) -> i64 {
        let amount = |m: &Monthly<'_>| match m.amount {
            Amount::Fixed(a) => a,
            Amount::Varies { typical, .. } => typical,
        };
        let fixed: i64 = self.fixed.iter().flatten().map(amount).sum();
        amount(&self.housing) + self.utilities.iter().map(amount).sum::<i64>() + fixed
    }

    /// Posts the bills that fall due on `day`. A bill on a card that cannot take it (the card
    /// owes its limit) is declined there, and the merchant bills the user's checking account,
    /// its backup, from then on: a new stream, from the next business day.
    pub(super) fn due(
        &mut self,
        (ledger, draws): (&mut Ledger<'p>, &UserDraws),
        card: Option<&Card<'_>>,
        streams: &mut Streams<'p>,
        day: Day,
    ) {
        let start = self.start;
        let all = std::iter::once(&mut self.housing)
            .chain(self.utilities.iter_mut())
            .chain(self.fixed.iter_mut().flatten());
        for bill in all {
            while bill.next == day {
                let life = bill.life(draws);
                if let Some(card) = card.filter(|c| c.account == bill.account)
                    && !card.fits(ledger, life.amount)
                {
                    bill.move_to_checking(streams, start);
                    continue;
                }
                ledger.post(life);
                streams.schedule(bill.stream, day);
                bill.advance(start);
            }
        }
    }

    /// At the start of month `number` (on `day`, its first day): the bills decided on last
    /// month start; then, now and then, the user decides to start a fixed bill, cancels one,
    /// or switches one for another. A bill decided on starts the month after, so a cancelled
    /// bill and its replacement never bill in the same month (and two of them never read as
    /// two recurring merchants of one window). Every draw is made whatever the household
    /// holds, so what it holds changes no other draw.
    pub(super) fn churn(
        &mut self,
        draws: &UserDraws,
        (day, number): (Day, u64),
        card: Option<&Card<'_>>,
        streams: &mut Streams<'p>,
    ) {
        let month = (Month::of(self.start + Duration::days(day)), number);
        for b in std::mem::take(&mut self.queued) {
            self.begin_fixed(draws, b, (month, day), card, streams);
        }
        let terms = self.profile.bills;
        let n = self.fixed.len();
        if n == 0 {
            return;
        }
        let rng = &mut draws.at(Purpose::Subscription, SETUP, number);
        let mut roll = |percent: u32| rng.random::<f64>() * 100.0 < f64::from(percent);
        let (start, cancel, switch) = (
            roll(terms.start_percent),
            roll(terms.cancel_percent),
            roll(terms.switch_percent),
        );
        let (new, gone, swapped, switched_to) = (
            rng.random_range(0..n),
            rng.random::<f64>(),
            rng.random::<f64>(),
            rng.random_range(0..n),
        );
        let (lo, hi) = self.range;
        if cancel && self.held() > lo as usize {
            self.end_fixed(gone, streams);
        }
        if start && self.held() + self.queued.len() < hi as usize && self.free(new) {
            self.queued.push(new);
        }
        if switch && self.held() > 0 && self.free(switched_to) {
            self.end_fixed(swapped, streams);
            self.queued.push(switched_to);
        }
    }

    /// Whether fixed bill `b` is neither held nor about to start, and the user can afford
    /// it.
    fn free(&self, b: usize) -> bool {
        self.fixed[b].is_none() && !self.queued.contains(&b) && self.affordable(b)
    }

    /// Whether the user takes on fixed bill `b` at all: its highest amount is within the
    /// share of pay a user commits to one bill.
    fn affordable(&self, b: usize) -> bool {
        let most = self.profile.fixed_bills[b].amount_cents.1;
        most * 10_000 <= self.monthly * self.profile.bills.max_income_bp
    }

    /// Ends the schedules of the bills still running: each holds, last, its next day.
    pub(super) fn finish(&self, streams: &mut Streams<'p>) {
        let all = std::iter::once(&self.housing)
            .chain(self.utilities.iter())
            .chain(self.fixed.iter().flatten());
        for bill in all {
            streams.schedule(bill.stream, bill.next);
        }
    }

    /// How many fixed bills the household holds.
    fn held(&self) -> usize {
        self.fixed.iter().flatten().count()
    }

    /// Starts fixed bill `b` in month `month`, from day `from`: its amount, day of the month
    /// and hour drawn for this start, on the card if it is one a card takes.
    fn begin_fixed(
        &mut self,
        draws: &UserDraws,
        b: usize,
        (month, from): ((Month, u64), Day),
        card: Option<&Card<'_>>,
        streams: &mut Streams<'p>,
    ) {
        let profile = self.profile;
        let bill = &profile.fixed_bills[b];
        let rng = &mut draws.at(Purpose::Subscription, b as u64 + 1, month.1);
        let (lo, hi) = profile.bills.due_days;
        let day_of_month = rng.random_range(lo..=hi);
        let secs = second_in(rng, profile.bills.hours);
        let amount = rng.random_range(bill.amount_cents.0..=bill.amount_cents.1);
        let account = match card {
            Some(card) if bill.card && card.carries_bill(amount) => card.account,
            _ => CHECKING,
        };
        let what = (account, bill.merchant.as_str(), bill.category);
        let series = Series::FixedBill {
            bill: b,
            month: month.1,
        };
        let stream = streams.add(series, what, Frequency::Monthly);
        let monthly = Monthly {
            purpose: Purpose::SubscriptionBill,
            series: b as u32,
            account,
            merchant: &bill.merchant,
            category: bill.category,
            detailed: &bill.detailed,
            day_of_month,
            secs,
            amount: Amount::Fixed(amount),
            stream,
            month: month.0,
            number: month.1,
            next: 0,
        };
        let start = Start {
            account,
            month,
            from,
        };
        self.fixed[b] = Some(Monthly::begin(monthly, self.start, &start));
    }

    /// Cancels the held fixed bill at `at` (a fraction of the held ones): its schedule ends
    /// with the day its next bill would have posted on.
    fn end_fixed(&mut self, at: f64, streams: &mut Streams<'p>) {
        let held: Vec<usize> = (0..self.fixed.len())
            .filter(|&b| self.fixed[b].is_some())
            .collect();
        if held.is_empty() {
            return;
        }
        let b = held[((at * held.len() as f64) as usize).min(held.len() - 1)];
        let bill = self.fixed[b].take().expect("a held bill");
        streams.schedule(bill.stream, bill.next);
    }
}

/// Rent or a mortgage: a share of income in whole dollars (cents in a dollar), as leases and
/// mortgage statements state them.
fn housing<'p>(
    draws: &UserDraws,
    profile: &'p CalibratedProfile,
    monthly: i64,
    streams: &mut Streams<'p>,
) -> Monthly<'p> {
    let housing = &profile.housing;
    let rng = &mut draws.at(Purpose::Housing, SETUP, 0);
    let mortgage = rng.random_range(0..100) < housing.mortgage_percent;
    let bp = draw_log_normal(rng, &housing.share_of_income_bp);
    let rent = (monthly * bp / 10_000 / 100).max(1) * 100;
    let (merchant, category, detailed) = if mortgage {
        (
            pick(rng, &housing.lenders),
            "LOAN_PAYMENTS",
            &housing.mortgage_detailed,
        )
    } else {
        (
            pick(rng, &housing.landlords),
            "RENT_AND_UTILITIES",
            &housing.rent_detailed,
        )
    };
    let (lo, hi) = housing.due_days;
    let day_of_month = rng.random_range(lo..=hi);
    let secs = second_in(rng, profile.bills.hours);
    let stream = streams.add(
        Series::Housing,
        (CHECKING, merchant, category),
        Frequency::Monthly,
    );
    Monthly {
        purpose: Purpose::Housing,
        series: 0,
        account: CHECKING,
        merchant,
        category,
        detailed,
        day_of_month,
        secs,
        amount: Amount::Fixed(rent),
        stream,
        month: Month { year: 0, month: 1 },
        number: 0,
        next: 0,
    }
}

/// Utility `u`: a payee, a typical amount and a due day, drawn once.
fn utility<'p>(
    draws: &UserDraws,
    profile: &'p CalibratedProfile,
    u: usize,
    streams: &mut Streams<'p>,
) -> Monthly<'p> {
    let utility = &profile.utilities[u];
    let rng = &mut draws.at(Purpose::Utility, SETUP + u as u64, 0);
    let typical = draw_log_normal(rng, &utility.monthly_cents);
    let merchant = pick(rng, &utility.merchants);
    let (lo, hi) = utility.due_days;
    let day_of_month = rng.random_range(lo..=hi);
    let secs = second_in(rng, profile.bills.hours);
    let what = (CHECKING, merchant, utility.category);
    let stream = streams.add(Series::Utility(u), what, Frequency::Monthly);
    Monthly {
        purpose: Purpose::Utility,
        series: u as u32,
        account: CHECKING,
        merchant,
        category: utility.category,
        detailed: &utility.detailed,
        day_of_month,
        secs,
        amount: Amount::Varies {
            typical,
            variation: f64::from(utility.variation_percent) / 100.0,
        },
        stream,
        month: Month { year: 0, month: 1 },
        number: 0,
        next: 0,
    }
}

impl<'p> Monthly<'p> {
    /// `bill` set to start as `first` says: its first bill is the first on or after the
    /// start's day.
    fn begin(mut bill: Monthly<'p>, start: NaiveDate, first: &Start) -> Monthly<'p> {
        bill.account = first.account;
        (bill.month, bill.number) = first.month;
        bill.next = bill.day(start);
        while bill.next < first.from {
            bill.advance(start);
        }
        bill
    }

    /// The day this month's bill posts on: its day of the month, moved forward to a business
    /// day when checking pays it.
    fn day(&self, start: NaiveDate) -> Day {
        let nominal = self.month.day(self.day_of_month);
        let date = if self.account == CHECKING {
            next_business_day(nominal)
        } else {
            nominal
        };
        (date - start).num_days()
    }

    /// Moves the bill from a card that declined it to checking: the card's series ends with
    /// the day it would have posted on, and a new one starts on checking, whose bills post on
    /// business days (this month's on the first from the declined day).
    fn move_to_checking(&mut self, streams: &mut Streams<'p>, start: NaiveDate) {
        streams.schedule(self.stream, self.next);
        let what = (CHECKING, self.merchant, self.category);
        let series = Series::MovedBill {
            bill: self.series as usize,
            month: self.number,
        };
        self.stream = streams.add(series, what, Frequency::Monthly);
        self.account = CHECKING;
        self.next = self.day(start);
    }

    /// Moves to next month's bill.
    fn advance(&mut self, start: NaiveDate) {
        self.month = self.month.next();
        self.number += 1;
        self.next = self.day(start);
    }

    /// This month's bill.
    fn life(&self, draws: &UserDraws) -> Life<'p> {
        let amount = match self.amount {
            Amount::Fixed(amount) => amount,
            Amount::Varies { typical, variation } => {
                let rng = &mut draws.at(self.purpose, u64::from(self.series), self.number);
                let factor = if variation > 0.0 {
                    1.0 + rng.random_range(-variation..variation)
                } else {
                    1.0
                };
                ((typical as f64 * factor).round() as i64).max(1)
            }
        };
        Life {
            key: key(self.purpose, self.series, self.number),
            account: self.account,
            day: self.next,
            secs: self.secs,
            amount,
            category: self.category,
            detailed: Some(self.detailed),
            merchant: self.merchant,
            stream: Some(self.stream),
            settle: Settle::Posted,
            correction: None,
        }
    }
}
