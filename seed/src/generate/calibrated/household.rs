//! One household's timeline, run forward a day at a time from the timeline's start: what
//! happens on a day is decided from the books as the days before left them, never from
//! how far the timeline is drawn.

use backend::{Account, User};
use chrono::{Datelike, Duration, NaiveDate};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::super::amounts::draw_log_normal;
use super::super::draws::{Purpose, UserDraws, second_in};
use super::super::settle::Settler;
use super::super::timeline::{Day, Life, Settle, Timeline};
use super::super::{GenConfig, accounts, identity};
use super::bills::Bills;
use super::budget::Budget;
use super::card::Card;
use super::ledger::{CHECKING, Ledger};
use super::payroll::{Paycheck, Payroll};
use super::savings::{Saver, Savings, draw_share};
use super::shopping::{Purchase, Shopping};
use super::streams::{Series, Streams};
use super::vocabulary::{ATM_FEE, INCOME, OVERDRAFT_FEE, Side};
use super::{key, percent_in};
use crate::calendar::{DAYS_PER_MONTH, Month};
use crate::catalog::AccountKind;
use crate::persona::Persona;
use crate::profile::calibrated::CalibratedPersona;
use crate::profile::{Authorization, CalibratedProfile};

/// Days a payroll's schedule is drawn past the last day of the timeline, so its stream's
/// next date is known: more than the longest gap between paydays (a month, moved back to a
/// business day).
const LOOKAHEAD: Day = 40;

/// The kinds of bank fees on checking, whose numbers key their rows (a card's are 0 and 1).
const OVERDRAFT: u32 = 2;
const ATM: u32 = 3;

/// A refund waiting for its day.
#[derive(Debug, Clone)]
struct Refund<'c> {
    day: Day,
    life: Life<'c>,
}

/// The next ATM fee: when it comes, its number and its draws.
#[derive(Debug, Clone)]
struct AtmFees {
    next_at: f64,
    number: u64,
    rng: Pcg64,
}

/// One household in the making.
pub(super) struct Household<'c> {
    profile: &'c CalibratedProfile,
    persona: Persona,
    draws: UserDraws,
    settler: Settler,
    start: NaiveDate,
    at: Vec<Day>,
    until: Day,
    user: User,
    accounts: Vec<Account>,
    accounts_at: Vec<Vec<Account>>,
    ledger: Ledger<'c>,
    budget: Budget,
    payroll: Payroll<'c>,
    /// The payroll's stream, if it has one.
    payroll_stream: Option<u16>,
    bills: Bills<'c>,
    shopping: Shopping<'c>,
    savings: Option<Savings<'c>>,
    card: Option<Card<'c>>,
    streams: Streams<'c>,
    refunds: Vec<Refund<'c>>,
    atm: AtmFees,
    /// Whether what savings hold counts as at hand (a gig earner's savings are their pay).
    savings_at_hand: bool,
    /// What debit purchases leave in checking at least, so bills find it there.
    reserve: i64,
}

/// A household's accounts before they have balances: which of them exist.
struct Holdings {
    accounts: Vec<Account>,
    savings: Option<u8>,
    card: Option<u8>,
}

impl<'c> Household<'c> {
    /// User `index`'s household, to be run far enough to show each as-of day in `at`.
    pub(super) fn new(
        profile: &'c CalibratedProfile,
        config: &GenConfig,
        index: u64,
        at: &[Day],
    ) -> Household<'c> {
        let persona = config.persona_of(index);
        let params = profile.persona(persona);
        let draws = UserDraws::new(config.seed, index);
        let start = config.start();
        let until = at.iter().copied().max().unwrap_or(0);
        let midnight = start.and_hms_opt(0, 0, 0).expect("midnight exists");
        let user = identity::new_user(
            &mut draws.of(Purpose::Identity),
            &profile.common,
            index,
            midnight,
        );
        let holdings = open_accounts(&draws, profile, params, &user);
        let monthly = draw_log_normal(
            &mut draws.at(Purpose::Payroll, 1, 0),
            &profile.income.net_monthly_cents,
        );
        let plans = Plans::draw(
            &draws,
            (profile, params),
            (start, until),
            monthly,
            &holdings,
        );
        let mut household = Household {
            profile,
            persona,
            draws,
            settler: Settler::new(profile.common.pending, profile.common.corrections, start),
            start,
            at: at.to_vec(),
            until,
            user,
            accounts_at: vec![Vec::new(); at.len()],
            ledger: Ledger::new(Vec::new(), Vec::new()),
            budget: Budget::new(profile.budget, monthly, 0),
            payroll: plans.payroll,
            payroll_stream: plans.payroll_stream,
            bills: plans.bills,
            shopping: plans.shopping,
            savings: None,
            card: None,
            streams: plans.streams,
            refunds: Vec::new(),
            atm: atm_fees(&draws, profile, 0),
            savings_at_hand: params.pay.is_none(),
            reserve: 0,
            accounts: Vec::new(),
        };
        household.open_books(holdings, plans.card, monthly);
        household
    }

    /// Draws the cushions and savings habits, and opens the books at balances where the
    /// household's budget settles, so its first months look like the rest.
    fn open_books(&mut self, holdings: Holdings, card: Option<(Card<'c>, i64)>, monthly: i64) {
        let profile = self.profile;
        let terms = &profile.savings;
        let gig = self.savings_at_hand;
        let rng = &mut self
            .draws
            .at(Purpose::Balances, AccountKind::Checking.index() as u64, 0);
        let cushion = if gig {
            (monthly as f64 * percent_in(rng, terms.gig_cushion_percent)).round() as i64
        } else {
            monthly * draw_log_normal(rng, &terms.checking_cushion_percent) / 100
        };
        let saver = match (gig, self.persona) {
            (true, _) => Saver::Gig,
            (false, Persona::SavingsBuilder) => Saver::Builder,
            _ => Saver::Usual,
        };
        let rng = &mut self
            .draws
            .at(Purpose::Balances, AccountKind::Savings.index() as u64, 0);
        let share = draw_share(rng, terms, saver);
        let usual = draw_log_normal(rng, &terms.savings_opening_cents);
        self.savings = holdings
            .savings
            .map(|account| Savings::new(terms, (account, saver), share, (usual, cushion), monthly));
        self.reserve = match &self.savings {
            Some(savings) => savings.reserve(),
            None if gig => cushion,
            None => cushion * i64::from(terms.low_percent) / 100,
        };
        let usual = if self.savings.is_some() { usual } else { 0 };
        // A gig earner's savings hold their pay between payments: a typical gap's pay (the
        // middle of the gap range) after a payment, drawn down to nothing by the next, so on
        // average half of it on top of what they keep there anyway.
        let (lo, hi) = profile.income.gig_gap_days;
        let typical_gap = (lo + hi) as f64 / 2.0;
        let between = (monthly as f64 * typical_gap / DAYS_PER_MONTH / 2.0) as i64;
        let target = cushion + if gig { usual + between } else { 0 };
        self.budget = Budget::new(profile.budget, monthly, target);
        let deposits = if gig || holdings.savings.is_none() {
            0
        } else {
            (monthly as f64 * share) as i64
        };
        let purchases = self.shopping.monthly().0.round() as i64;
        let settled = self
            .budget
            .settled_at_hand(self.bills.monthly() + deposits, purchases);
        let (card, card_opening) = card.unzip();
        let owed = card
            .as_ref()
            .zip(card_opening)
            .map_or(0, |(card, opening)| card.beyond_usual(opening));
        // A gig earner's first payment comes within days: their savings open where they are
        // just before a payment, a gap's spending below where the budget settles on average.
        let (checking, savings) = if gig {
            (cushion, (settled - between - cushion).max(0))
        } else {
            (settled.max(0) + owed, usual)
        };
        let mut openings = vec![checking];
        let mut cards = vec![false];
        if holdings.savings.is_some() {
            openings.push(savings);
            cards.push(false);
        }
        if let Some(opening) = card_opening {
            openings.push(opening);
            cards.push(true);
        }
        self.ledger = Ledger::new(cards, openings);
        self.card = card;
        self.accounts = holdings.accounts;
    }

    /// Runs the household's days and returns its timeline.
    pub(super) fn run(mut self) -> Timeline<'c> {
        for day in 0..self.until {
            self.capture(day);
            self.ledger.begin_day();
            self.morning(day);
            self.pay(day);
            let books = (&mut self.ledger, &self.draws);
            self.bills
                .due(books, self.card.as_ref(), &mut self.streams, day);
            if let Some(card) = self.card.as_mut() {
                card.pay(&mut self.ledger, &self.draws, day);
                card.charge_late_fee(&mut self.ledger, &self.draws, day);
            }
            self.shop(day);
            self.ledger.settle(day);
            self.refund(day);
            self.charge_fees(day);
            if let Some(card) = self.card.as_mut() {
                card.close(&mut self.ledger, &self.draws, day);
            }
        }
        self.capture(self.until);
        self.bills.finish(&mut self.streams);
        let lives = self.ledger.lives;
        let series = self.streams.finish();
        Timeline {
            draws: self.draws,
            start: self.start,
            user: self.user,
            persona: self.persona,
            accounts_at: self.accounts_at,
            lives,
            series,
        }
    }

    /// The accounts as of day `a`, for each as-of day that is `a`: the books as the days
    /// before it left them.
    fn capture(&mut self, a: Day) {
        for (i, &day) in self.at.iter().enumerate() {
            if day != a {
                continue;
            }
            self.accounts_at[i] = self
                .accounts
                .iter()
                .enumerate()
                .map(|(slot, base)| match &self.card {
                    Some(card) if usize::from(card.account) == slot => {
                        card.account_at(&self.ledger, base, a)
                    }
                    _ => Account {
                        balance: self.ledger.balance(slot as u8),
                        ..base.clone()
                    },
                })
                .collect();
        }
    }

    /// The start of a day: on a month's first day, bills may start or stop and a saver may
    /// take back what savings hold beyond their usual level; a low checking account is
    /// refilled; the budget factor follows what is at hand.
    fn morning(&mut self, day: Day) {
        let date = self.start + Duration::days(day);
        if date.day() == 1 {
            let first = Month::of(self.start);
            let number = u64::from((date.year() - first.year) as u32 * 12 + date.month())
                - u64::from(first.month);
            let card = self.card.as_ref();
            self.bills
                .churn(&self.draws, (day, number), card, &mut self.streams);
            if let Some(savings) = &self.savings {
                savings.withdraw(&mut self.ledger, &self.draws, day, number);
            }
        }
        if let Some(savings) = &self.savings {
            savings.refill(&mut self.ledger, &self.draws, day);
        }
        let mut at_hand = self.ledger.available(CHECKING);
        if let Some(card) = &self.card {
            at_hand -= card.owed_at_hand(&self.ledger);
        }
        if let Some(savings) = self.savings.as_ref().filter(|_| self.savings_at_hand) {
            at_hand += self.ledger.available(savings.account());
        }
        self.budget.follow(at_hand);
    }

    /// Pay due today, and what of it goes to savings.
    fn pay(&mut self, day: Day) {
        let Some(pay) = self.payroll.due(day, &self.draws) else {
            return;
        };
        self.ledger.post(paycheck(&pay, day, self.payroll_stream));
        let Some(savings) = &self.savings else {
            return;
        };
        match self.payroll.per_year() {
            Some(per_year) => savings.deposit(&mut self.ledger, &self.draws, (day, &pay), per_year),
            None => savings.park(&mut self.ledger, &self.draws, day, pay.number),
        }
    }

    /// The purchases of the day: each on the card if its user puts it there and the card
    /// takes it, else from checking if checking can pay for it, else declined (and not
    /// shown, as Plaid shows no declined authorisation).
    fn shop(&mut self, day: Day) {
        let factor = self.budget.factor();
        for purchase in self.shopping.today(&self.draws, day, factor) {
            let group = purchase.group;
            let authorised = match group.authorization {
                Authorization::Hold(hold) => hold,
                _ => purchase.amount,
            };
            let account = match &self.card {
                Some(card)
                    if group.card_ok
                        && card.takes(&self.ledger, authorised, purchase.card_roll) =>
                {
                    card.account
                }
                _ if self.ledger.available(CHECKING) - authorised >= self.reserve => CHECKING,
                _ => continue,
            };
            self.authorise(purchase, account, day);
        }
    }

    /// Records a purchase on `account`: it pends for its lag, may have a voided authorisation
    /// beside it, may be corrected once posted, and may be refunded later.
    fn authorise(&mut self, purchase: Purchase<'c>, account: u8, day: Day) {
        let group = purchase.group;
        let k = purchase.key;
        let series = (k.purpose as u64) << 32 | u64::from(k.series);
        let occurrence = u64::from(k.occurrence);
        let rng = &mut self.draws.at(Purpose::Settlement, series, occurrence);
        let lag = self.settler.draw_lag(rng);
        let settled = self
            .settler
            .pend(rng, day, lag, purchase.amount, group.authorization);
        let life = Life {
            key: k,
            account,
            day,
            secs: purchase.secs,
            amount: settled.amount,
            category: group.category,
            detailed: Some(group.detailed.as_str()),
            merchant: purchase.merchant,
            stream: None,
            settle: settled.settle,
            correction: None,
        };
        if let Some(void) = self.settler.void(rng, day) {
            let key = key(Purpose::Void, k.series, occurrence);
            self.ledger.authorise(Life {
                key,
                settle: void,
                ..life.clone()
            });
        }
        let Settle::Posts { lag, amount } = settled.settle else {
            unreachable!("a purchase posts")
        };
        let rng = &mut self.draws.at(Purpose::Correction, series, occurrence);
        let correction = self
            .settler
            .correct(rng, day + lag, purchase.merchant, group.category);
        if let Some(after) = purchase.refund_after {
            let rng = &mut self
                .draws
                .at(Purpose::Refund, u64::from(k.series), occurrence);
            let refund = Life {
                key: key(Purpose::Refund, k.series, occurrence),
                day: day + lag + after,
                secs: second_in(rng, self.profile.shopping.refund_hours),
                amount: -amount,
                settle: Settle::Posted,
                ..life.clone()
            };
            self.refunds.push(Refund {
                day: refund.day,
                life: refund,
            });
        }
        self.ledger.authorise(Life { correction, ..life });
    }

    /// Refunds due today.
    fn refund(&mut self, day: Day) {
        let mut i = 0;
        while i < self.refunds.len() {
            if self.refunds[i].day == day {
                let refund = self.refunds.swap_remove(i);
                self.ledger.post(refund.life);
            } else {
                i += 1;
            }
        }
    }

    /// ATM fees due today, then an overdraft fee if checking went below zero today.
    fn charge_fees(&mut self, day: Day) {
        let fees = &self.profile.fees;
        while self.atm.next_at < (day + 1) as f64 {
            let rng = &mut self.atm.rng;
            let amount = rng.random_range(fees.atm_fee_cents.0..=fees.atm_fee_cents.1);
            let secs = second_in(rng, fees.atm_hours);
            let fee = bank_fee((ATM, self.atm.number), (day, secs), amount, ATM_FEE);
            self.ledger.post(fee);
            self.atm =
                atm_fees(&self.draws, self.profile, self.atm.number + 1).after(self.atm.next_at);
        }
        if self.ledger.overdrawn_today() {
            let rng = &mut self
                .draws
                .at(Purpose::Fee, u64::from(OVERDRAFT), day as u64);
            let secs = second_in(rng, fees.overdraft_hours);
            let fee = bank_fee(
                (OVERDRAFT, day as u64),
                (day, secs),
                fees.overdraft_fee_cents,
                OVERDRAFT_FEE,
            );
            self.ledger.post(fee);
        }
    }
}

/// What a household does with its money, drawn before its first day: how it is paid, its
/// habits, its card and its bills, with the recurring series they form.
struct Plans<'c> {
    payroll: Payroll<'c>,
    payroll_stream: Option<u16>,
    shopping: Shopping<'c>,
    /// The card and its balance at the timeline's start.
    card: Option<(Card<'c>, i64)>,
    bills: Bills<'c>,
    streams: Streams<'c>,
}

impl<'c> Plans<'c> {
    fn draw(
        draws: &UserDraws,
        (profile, params): (&'c CalibratedProfile, &CalibratedPersona),
        (start, until): (NaiveDate, Day),
        monthly: i64,
        holdings: &Holdings,
    ) -> Plans<'c> {
        let rng = &mut draws.at(Purpose::Payroll, 0, 0);
        let horizon = (start, until + LOOKAHEAD);
        let payroll = Payroll::new(rng, profile, params.pay, horizon, monthly);
        let shopping = Shopping::new(draws, &profile.shopping, &profile.purchases, monthly);
        let card = holdings.card.map(|account| {
            let rng = &mut draws.at(Purpose::Balances, AccountKind::CreditCard.index() as u64, 0);
            let eligible = shopping.monthly().1;
            Card::new(rng, &profile.cards, params, (account, start), eligible)
        });
        let mut streams = Streams::default();
        let payroll_stream = payroll.stream().map(|(employer, frequency, days)| {
            let stream = streams.add(Series::Payroll, (CHECKING, employer, INCOME), frequency);
            streams.set_schedule(stream, days);
            stream
        });
        let card_ref = card.as_ref().map(|(card, _)| card);
        let bills = Bills::new(
            draws,
            (profile, params.fixed_bills),
            (start, monthly),
            card_ref,
            &mut streams,
        );
        Plans {
            payroll,
            payroll_stream,
            shopping,
            card,
            bills,
            streams,
        }
    }
}

/// Which accounts a user holds: checking always; savings and a card as the persona requires
/// or the profile's shares draw.
fn open_accounts(
    draws: &UserDraws,
    profile: &CalibratedProfile,
    params: &CalibratedPersona,
    user: &User,
) -> Holdings {
    let rng = &mut draws.at(Purpose::Account, 0, 0);
    let shares = &profile.accounts;
    let savings = params.requires_savings || rng.random_range(0..100) < shares.savings_percent;
    let card = params.requires_card || rng.random_range(0..100) < shares.card_percent;
    let mut kinds = vec![AccountKind::Checking];
    let mut holdings = Holdings {
        accounts: Vec::new(),
        savings: None,
        card: None,
    };
    if savings {
        holdings.savings = Some(kinds.len() as u8);
        kinds.push(AccountKind::Savings);
    }
    if card {
        holdings.card = Some(kinds.len() as u8);
        kinds.push(AccountKind::CreditCard);
    }
    holdings.accounts = kinds
        .iter()
        .map(|&kind| {
            let rng = &mut draws.at(Purpose::Account, kind.index() as u64 + 1, 0);
            accounts::new_account(rng, user, kind)
        })
        .collect();
    holdings
}

/// A paycheck into checking, of `stream` if its payroll has one.
fn paycheck<'c>(pay: &Paycheck<'c>, day: Day, stream: Option<u16>) -> Life<'c> {
    Life {
        key: pay.key,
        account: CHECKING,
        day,
        secs: pay.secs,
        amount: -pay.amount,
        category: INCOME,
        detailed: Some(pay.detailed),
        merchant: pay.merchant,
        stream,
        settle: Settle::Posted,
        correction: None,
    }
}

/// A bank fee of `kind` on checking.
fn bank_fee<'c>(
    (kind, occurrence): (u32, u64),
    (day, secs): (Day, i64),
    amount: i64,
    how: Side,
) -> Life<'c> {
    how.posted(
        key(Purpose::Fee, kind, occurrence),
        (CHECKING, day, secs),
        amount,
    )
}

/// ATM fee `number`'s draws, with its gap from the one before drawn first.
fn atm_fees(draws: &UserDraws, profile: &CalibratedProfile, number: u64) -> AtmFees {
    let mut rng = draws.at(Purpose::Fee, u64::from(ATM), number);
    let rate = profile.fees.atm_per_month;
    let gap = if rate > 0.0 {
        -libm::log(1.0 - rng.random::<f64>()) * DAYS_PER_MONTH / rate
    } else {
        f64::INFINITY
    };
    AtmFees {
        next_at: gap,
        number,
        rng,
    }
}

impl AtmFees {
    /// This fee, coming its gap after `previous`.
    fn after(mut self, previous: f64) -> AtmFees {
        self.next_at += previous;
        self
    }
}
