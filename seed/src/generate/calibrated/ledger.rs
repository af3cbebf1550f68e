//! A household's books as its timeline runs: each account's posted balance and pending
//! authorisations, every transaction's life, and checking's postings of the day being run.

use super::super::timeline::{Day, Life, Settle};

/// The books: what each account holds (or owes), what is authorised but not yet posted, and
/// the lives recorded so far.
///
/// A posted transaction moves its account's balance on its posting day; an authorisation
/// holds its amount from its day until it posts (moving the balance by the posted amount,
/// a tip or a final fuel amount included) or drops. So the balance as of any day is the
/// opening balance plus what posted before that day, exactly.
#[derive(Debug)]
pub(super) struct Ledger<'p> {
    /// Whether each account is a card, whose balance is what it owes.
    cards: Vec<bool>,
    /// Posted balance per account: what a depository account holds, what a card owes.
    posted: Vec<i64>,
    /// Pending authorisations per account, money out positive.
    held: Vec<i64>,
    /// Authorisations that settle on a later day.
    settling: Vec<Settling>,
    /// Checking's balance at the start of the day being run.
    opened: i64,
    /// Checking's postings of the day being run: (seconds into the day, amount out).
    today: Vec<(i64, i64)>,
    /// Every life recorded.
    pub(super) lives: Vec<Life<'p>>,
}

/// An authorisation waiting to settle.
#[derive(Debug, Clone, Copy)]
struct Settling {
    /// The day it posts or drops.
    day: Day,
    account: u8,
    /// What it holds meanwhile.
    held: i64,
    /// What it posts, and when in the day; `None` if it drops.
    posts: Option<(i64, i64)>,
}

/// Checking is the first account of every user.
pub(super) const CHECKING: u8 = 0;

impl<'p> Ledger<'p> {
    /// Books whose accounts are cards where `cards` says so, opening at `openings`.
    pub(super) fn new(cards: Vec<bool>, openings: Vec<i64>) -> Ledger<'p> {
        let n = cards.len();
        Ledger {
            cards,
            posted: openings,
            held: vec![0; n],
            settling: Vec::with_capacity(32),
            opened: 0,
            today: Vec::with_capacity(16),
            lives: Vec::with_capacity(512),
        }
    }

    /// The posted balance of `account`.
    pub(super) fn balance(&self, account: u8) -> i64 {
        self.posted[usize::from(account)]
    }

    /// What a depository account can pay now: its posted balance less pending authorisations.
    pub(super) fn available(&self, account: u8) -> i64 {
        self.posted[usize::from(account)] - self.held[usize::from(account)]
    }

    /// What a card owes counting pending authorisations: what its available credit is
    /// measured against.
    pub(super) fn owed(&self, account: u8) -> i64 {
        self.posted[usize::from(account)] + self.held[usize::from(account)]
    }

    /// Starts a day: checking's postings are watched from its balance now.
    pub(super) fn begin_day(&mut self) {
        self.opened = self.posted[usize::from(CHECKING)];
        self.today.clear();
    }

    /// Records a life that posts on its day, and moves its account's balance.
    pub(super) fn post(&mut self, life: Life<'p>) {
        debug_assert_eq!(life.settle, Settle::Posted);
        self.apply(life.account, life.amount, life.secs);
        self.lives.push(life);
    }

    /// Records a life that pends: its amount is held until it posts or drops.
    pub(super) fn authorise(&mut self, life: Life<'p>) {
        let (lag, posts) = match life.settle {
            Settle::Posts { lag, amount } => (lag, Some((amount, life.secs))),
            Settle::Drops { lag } => (lag, None),
            Settle::Posted => unreachable!("an authorisation pends"),
        };
        self.held[usize::from(life.account)] += life.amount;
        self.settling.push(Settling {
            day: life.day + lag,
            account: life.account,
            held: life.amount,
            posts,
        });
        self.lives.push(life);
    }

    /// Settles the authorisations due on `day`: their holds end, and those that post move
    /// their accounts' balances.
    pub(super) fn settle(&mut self, day: Day) {
        let mut i = 0;
        while i < self.settling.len() {
            let s = self.settling[i];
            if s.day != day {
                i += 1;
                continue;
            }
            self.settling.swap_remove(i);
            self.held[usize::from(s.account)] -= s.held;
            if let Some((amount, secs)) = s.posts {
                self.apply(s.account, amount, secs);
            }
        }
    }

    /// Whether checking went below zero at any posting of the day being run, its postings
    /// taken in time order, money in first where two share a second (as banks post credits
    /// before debits).
    pub(super) fn overdrawn_today(&mut self) -> bool {
        self.today.sort_unstable();
        let mut balance = self.opened;
        self.today.iter().any(|&(_, amount)| {
            balance -= amount;
            balance < 0
        })
    }

    /// Moves `account`'s posted balance by a transaction of `amount` (money out positive).
    fn apply(&mut self, account: u8, amount: i64, secs: i64) {
        let a = usize::from(account);
        if self.cards[a] {
            self.posted[a] += amount;
        } else {
            self.posted[a] -= amount;
            if account == CHECKING {
                self.today.push((secs, amount));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::draws::Purpose;
    use super::super::key;
    use super::*;

    fn life(account: u8, day: Day, secs: i64, amount: i64, settle: Settle) -> Life<'static> {
        Life {
            key: key(Purpose::Purchase, 0, day as u64),
            account,
            day,
            secs,
            amount,
            category: "FOOD_AND_DRINK",
            detailed: None,
            merchant: "Cafe",
            stream: None,
            settle,
            correction: None,
        }
    }

    #[test]
    fn holds_last_until_the_authorisation_posts_or_drops() {
        let mut ledger = Ledger::new(vec![false, true], vec![10_000, 500]);
        ledger.begin_day();
        ledger.authorise(life(
            0,
            3,
            100,
            2_000,
            Settle::Posts {
                lag: 2,
                amount: 2_400,
            },
        ));
        ledger.authorise(life(1, 3, 200, 700, Settle::Drops { lag: 1 }));
        assert_eq!((ledger.balance(0), ledger.available(0)), (10_000, 8_000));
        assert_eq!((ledger.balance(1), ledger.owed(1)), (500, 1_200));
        ledger.settle(4);
        assert_eq!(ledger.owed(1), 500, "the voided authorisation dropped");
        ledger.settle(5);
        assert_eq!((ledger.balance(0), ledger.available(0)), (7_600, 7_600));
    }

    #[test]
    fn an_overdraft_is_seen_in_time_order_with_money_in_first() {
        let mut ledger = Ledger::new(vec![false], vec![1_000]);
        ledger.begin_day();
        ledger.post(life(0, 0, 500, -2_000, Settle::Posted));
        ledger.post(life(0, 0, 500, 2_500, Settle::Posted));
        assert!(
            !ledger.overdrawn_today(),
            "the pay arrived in the same second"
        );
        ledger.begin_day();
        ledger.post(life(0, 1, 100, 1_000, Settle::Posted));
        ledger.post(life(0, 1, 50, 600, Settle::Posted));
        assert!(ledger.overdrawn_today());
    }
}
