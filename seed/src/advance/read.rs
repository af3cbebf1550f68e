//! A seeded database read back as the rows its date shows, a chunk of users at a time, in
//! the order and shape of `users.json` (for `seed stats --database-url`).
//!
//! The database may hold more than a run as of its date generates: an advanced database
//! keeps the history before the window. Only the window's transactions are read, so a
//! database seeded at D1 and advanced to D2 measures as a run as of D2 on the same timelines
//! does; its recurring streams are read as held (they span the history too).

use anyhow::Context;
use backend::schema::{
    accounts, persona_labels, recurring_stream_transactions, recurring_streams, transactions, users,
};
use backend::{
    Account, AnyConnection, DatabaseUrl, PersonaLabel, RecurringStream, RecurringStreamTransaction,
    Transaction, User,
};
use chrono::Duration;
use diesel::prelude::*;

use super::state::DatabaseState;
use crate::dataset::{GENERATOR, Meta};
use crate::tables::RowBatch;

/// Users read per query.
const CHUNK_USERS: i64 = 500;

/// Reads the database at `url` as of its date, `window_days` of transactions before it,
/// handing `add` one batch per chunk of users; returns the `meta` a run as of that date
/// would write. Its users must all stand at one date.
pub fn read_as_of(
    url: &DatabaseUrl,
    window_days: impl FnOnce(&str) -> anyhow::Result<i64>,
    add: &mut dyn FnMut(RowBatch) -> anyhow::Result<()>,
) -> anyhow::Result<Meta> {
    let mut conn = url.connect()?;
    if let Some(reason) = crate::database::unseeded_users(&mut conn)? {
        anyhow::bail!("{reason}");
    }
    let state = DatabaseState::read(&mut conn)?;
    let users = state.users()?;
    let as_of = match state.ranges.as_slice() {
        [] => anyhow::bail!("the database holds no users"),
        [first, rest @ ..] => {
            if let Some(other) = rest.iter().find(|r| r.as_of != first.as_of) {
                anyhow::bail!(
                    "the database's users stand at {} and {}: advance them to one date first",
                    first.as_of,
                    other.as_of
                );
            }
            first.as_of
        }
    };
    let window = window_days(&state.profile)?;
    let from = (as_of - Duration::days(window))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let mut after: Option<String> = None;
    loop {
        let batch = read_chunk(&mut conn, after.as_deref(), from)?;
        let Some(last) = batch.users.last() else {
            break;
        };
        after = Some(last.id.clone());
        add(batch)?;
    }
    Ok(Meta {
        seed: state.seed,
        as_of,
        origin: state.origin,
        num_users: users.end - users.start,
        generator: GENERATOR.to_owned(),
        profile: state.profile,
        shard: None,
        first_user: None,
    })
}

/// The users after `after` (by id), up to a chunk, with their accounts, the transactions
/// dated from `from` on (by account, then date, then id, as the file orders them), persona
/// labels, streams and links.
fn read_chunk(
    conn: &mut AnyConnection,
    after: Option<&str>,
    from: chrono::NaiveDateTime,
) -> anyhow::Result<RowBatch> {
    let mut query = users::table
        .select(User::as_select())
        .order(users::id)
        .limit(CHUNK_USERS)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_owned()));
    }
    let users: Vec<User> = query.load(conn).context("read users")?;
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let accounts: Vec<Account> = accounts::table
        .filter(accounts::user_id.eq_any(&ids))
        .select(Account::as_select())
        .order((accounts::user_id, accounts::id))
        .load(conn)
        .context("read accounts")?;
    let account_ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    let transactions: Vec<Transaction> = transactions::table
        .filter(transactions::account_id.eq_any(&account_ids))
        .filter(transactions::date.ge(from))
        .select(Transaction::as_select())
        .order((
            transactions::account_id,
            transactions::date,
            transactions::id,
        ))
        .load(conn)
        .context("read transactions")?;
    let persona_labels: Vec<PersonaLabel> = persona_labels::table
        .filter(persona_labels::user_id.eq_any(&ids))
        .select(PersonaLabel::as_select())
        .load(conn)
        .context("read persona labels")?;
    let recurring_streams: Vec<RecurringStream> = recurring_streams::table
        .filter(recurring_streams::account_id.eq_any(&account_ids))
        .select(RecurringStream::as_select())
        .order(recurring_streams::id)
        .load(conn)
        .context("read recurring streams")?;
    let stream_ids: Vec<&str> = recurring_streams.iter().map(|s| s.id.as_str()).collect();
    let recurring_stream_transactions: Vec<RecurringStreamTransaction> =
        recurring_stream_transactions::table
            .filter(recurring_stream_transactions::stream_id.eq_any(&stream_ids))
            .select(RecurringStreamTransaction::as_select())
            .load(conn)
            .context("read recurring stream links")?;
    Ok(RowBatch {
        users,
        accounts,
        transactions,
        persona_labels,
        recurring_streams,
        recurring_stream_transactions,
        ..RowBatch::default()
    })
}
