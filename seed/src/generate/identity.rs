//! Who a user is: a name, an email on a reserved domain, and when they signed up.

use backend::User;
use chrono::{Duration, NaiveDateTime};
use fake::Fake;
use fake::faker::name::en::{FirstName, LastName};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::draws::uuid_v4;
use crate::calendar::SECONDS_PER_DAY;
use crate::catalog;
use crate::profile::Common;

/// User `index`, signed up before the window opens: every user has the whole window of
/// history, so no transaction predates its user and every account can hold its transactions.
pub(super) fn new_user(
    rng: &mut Pcg64,
    common: &Common,
    index: u64,
    window_start: NaiveDateTime,
) -> User {
    let first: String = FirstName().fake_with_rng(rng);
    let last: String = LastName().fake_with_rng(rng);
    let domain = catalog::EMAIL_DOMAINS[rng.random_range(0..catalog::EMAIL_DOMAINS.len())];
    let history = (common.signup_days - common.window_days) * SECONDS_PER_DAY;
    User {
        id: uuid_v4(rng),
        email: format!(
            "{}.{}.{index}@{domain}",
            email_part(&first),
            email_part(&last)
        ),
        name: format!("{first} {last}"),
        consent: false,
        created_at: window_start - Duration::seconds(rng.random_range(1..=history)),
    }
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
