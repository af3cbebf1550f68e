//! Bills: rent or a mortgage every month, utilities whose amounts vary, and
//! fixed monthly bills (insurance, loans, subscriptions), each a recurring stream; and ATM
//! fees.

use chrono::NaiveDate;
use rand::RngExt;

use super::super::draws::{pick, shuffle};
use super::{Entry, Kind, Ledger, NO_STREAM, StreamPlan, draw};
use crate::calendar::{Month, next_business_day};
use crate::catalog::Frequency;

impl<'c> Ledger<'c> {
    /// Schedules housing, utilities, the persona's fixed bills and any service fee.
    pub(super) fn pay_bills(&mut self) {
        let cal = self.cal;
        let housing = &cal.housing;
        let rng = &mut self.rng.bills;
        let mortgage = rng.random_range(0..100) < housing.mortgage_percent;
        let bp = draw(rng, &housing.share_of_income_bp);
        // Whole dollars, as leases and mortgage statements state them.
        let rent = (self.net_monthly * bp / 10_000 / 100).max(1) * 100;
        let (merchant, category) = if mortgage {
            (pick(rng, &housing.lenders), "LOAN_PAYMENTS")
        } else {
            (pick(rng, &housing.landlords), "RENT_AND_UTILITIES")
        };
        // Each lease or loan has its own due day: with one day for everyone, how many fall in
        // the window would depend on where the window starts.
        let day_of_month = rng.random_range(1..=28);
        let secs = rng.random_range(3_600..6 * 3_600);
        self.monthly(0, day_of_month, true, merchant, category, secs, &[rent]);

        let months = self.months_spanned();
        for utility in &cal.utilities {
            let rng = &mut self.rng.bills;
            let typical = draw(rng, &utility.monthly_cents);
            let merchant = pick(rng, &utility.merchants);
            let day_of_month = rng.random_range(3..=28);
            let secs = rng.random_range(3_600..6 * 3_600);
            let v = f64::from(utility.variation_percent) / 100.0;
            // One amount per month the schedule may hold, around the drawn typical amount; the
            // stream reports the median of the amounts billed.
            let amounts: Vec<i64> = (0..months)
                .map(|_| {
                    let factor = 1.0
                        + if v > 0.0 {
                            rng.random_range(-v..v)
                        } else {
                            0.0
                        };
                    ((typical as f64 * factor).round() as i64).max(1)
                })
                .collect();
            self.monthly(
                0,
                day_of_month,
                true,
                merchant,
                utility.category,
                secs,
                &amounts,
            );
        }

        let rng = &mut self.rng.bills;
        let (lo, hi) = self.params.fixed_bills;
        let count = rng.random_range(lo..=hi) as usize;
        let mut order: Vec<usize> = (0..cal.fixed_bills.len()).collect();
        shuffle(rng, &mut order);
        let card = self.card_in_use();
        let limit = self.card_plan.as_ref().map_or(0, |p| p.limit);
        for &b in order.iter().take(count) {
            let rng = &mut self.rng.bills;
            let bill = &cal.fixed_bills[b];
            let amount = rng.random_range(bill.amount_cents.0..=bill.amount_cents.1);
            // A bill goes on the card only if it is small beside the limit, so bills (which
            // are never declined) cannot carry a card past its intended utilisation.
            let card = card.filter(|_| amount * 50 <= limit);
            let day_of_month = rng.random_range(1..=28);
            let secs = rng.random_range(3_600..6 * 3_600);
            // Card merchants charge on any day; banks move money on business days.
            match card.filter(|_| bill.card) {
                Some(card) => self.monthly(
                    card,
                    day_of_month,
                    false,
                    &bill.merchant,
                    bill.category,
                    secs,
                    &[amount],
                ),
                None => self.monthly(
                    0,
                    day_of_month,
                    true,
                    &bill.merchant,
                    bill.category,
                    secs,
                    &[amount],
                ),
            }
        }

        // ATM fees: a few, on random days, each a slightly different amount (a surcharge
        // plus the bank's fee), so no two read as one recurring charge.
        let rng = &mut self.rng.bills;
        let (fees, fee_cents) = (cal.savings.atm_fees, cal.savings.atm_fee_cents);
        let count = rng.random_range(fees.0..=fees.1);
        for _ in 0..count {
            let day = rng.random_range(0..self.days);
            let amount = rng.random_range(fee_cents.0..=fee_cents.1);
            let secs = rng.random_range(9 * 3_600..21 * 3_600);
            self.entries.push(Entry {
                account: 0,
                day,
                secs,
                amount,
                category: "BANK_FEES",
                merchant: "ATM Fee",
                kind: Kind::Fee,
                stream: NO_STREAM,
                pending: false,
            });
        }
    }

    /// How many months the window touches, plus slack: enough amounts for any monthly
    /// schedule.
    fn months_spanned(&self) -> usize {
        (self.days / 28 + 3) as usize
    }

    /// A monthly bill of one amount (or `amounts` in turn) as a stream, whose typical amount
    /// is the median of what was billed.
    #[allow(clippy::too_many_arguments)]
    fn monthly(
        &mut self,
        account: u8,
        day_of_month: u32,
        business: bool,
        merchant: &'c str,
        category: &'static str,
        secs: i64,
        amounts: &[i64],
    ) {
        let (dates, next_date) = self.month_dates(day_of_month, business);
        let stream = self.add_stream(StreamPlan {
            account,
            merchant,
            category,
            frequency: Frequency::Monthly,
            next_date,
        });
        for (i, date) in dates.into_iter().enumerate() {
            let day = self.day_of(date);
            self.push(Entry {
                account,
                day,
                secs,
                amount: amounts[i % amounts.len()],
                category,
                merchant,
                kind: Kind::Bill,
                stream,
                pending: false,
            });
        }
    }

    /// The dates within the window of a monthly schedule on `day_of_month` (1 to 28), moved
    /// forward to a business day if `business`, and the first date on or after the as-of date.
    pub(super) fn month_dates(
        &self,
        day_of_month: u32,
        business: bool,
    ) -> (Vec<NaiveDate>, NaiveDate) {
        let as_of = self.as_of;
        let mut month = Month::of(self.window_start).previous();
        let mut dates = Vec::with_capacity(8);
        loop {
            let nominal = month.day(day_of_month);
            let date = if business {
                next_business_day(nominal)
            } else {
                nominal
            };
            if date >= as_of {
                return (dates, date);
            }
            if date >= self.window_start {
                dates.push(date);
            }
            month = month.next();
        }
    }
}
