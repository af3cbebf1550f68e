//! What a destructive command must prove before it deletes anything: that the database is
//! on this machine, that the users it would delete were seeded, and that it waits only a
//! bounded time for another connection's lock.

use std::time::Duration;

use backend::DatabaseUrl;

use crate::tables::TABLES;

/// How long a load waits for another connection to release the tables before it gives up.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A command that deletes rows, which must not reach a remote server by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destructive {
    /// A replacing load: the seeded tables are emptied first.
    Replace,
    /// `reset-db`: every migration is reverted and re-applied.
    Reset,
    /// `seed advance`: pending transactions are deleted, posted ones updated.
    Advance,
}

impl Destructive {
    /// What it does to the seeded tables, in words.
    pub(crate) fn what(self) -> String {
        let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let tables = tables.join(", ");
        match self {
            Destructive::Replace => format!("replace {tables}"),
            Destructive::Reset => format!("drop and re-create {tables}"),
            Destructive::Advance => format!("advance {tables}"),
        }
    }
}

/// Refuses a destructive command on a database that is not on this machine (see
/// [`DatabaseUrl::is_local`]) unless `allow_remote` is set, saying what it would drop and
/// which host decided. It runs before any connection is made. Appending loads (shards)
/// delete nothing and need no permission.
pub fn refuse_remote(
    target: &DatabaseUrl,
    action: Destructive,
    allow_remote: bool,
) -> anyhow::Result<()> {
    match target.explain_not_local() {
        Some(remote) if !allow_remote => anyhow::bail!(
            "refusing to {} in {remote}: the host is not local; pass --allow-remote",
            action.what()
        ),
        _ => Ok(()),
    }
}

/// An order-independent digest of user ids: the wrapping sum of a 64-bit hash of each id.
/// A run records the digest of the users it wrote; the digests of several runs add up to
/// the digest of all their users, which the unseeded guard compares with the digest of the
/// `users` table. It detects accidents (an application's users, a lost or foreign
/// `seed_runs` row), not forgery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserDigest(u64);

impl UserDigest {
    /// Adds one user's id.
    pub fn add(&mut self, id: &str) {
        self.0 = self.0.wrapping_add(hash(id.as_bytes()));
    }

    /// Adds the users another digest holds.
    pub fn merge(&mut self, other: UserDigest) {
        self.0 = self.0.wrapping_add(other.0);
    }

    /// The digest as `seed_runs.user_ids_digest` holds it: 16 lower-case hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// A digest as [`UserDigest::to_hex`] wrote it.
    pub fn from_hex(hex: &str) -> Option<UserDigest> {
        (hex.len() == 16)
            .then(|| u64::from_str_radix(hex, 16).ok())
            .flatten()
            .map(UserDigest)
    }
}

/// FNV-1a over the bytes, then the finaliser of SplitMix64, so that ids differing in one
/// character land far apart and a sum of hashes does not cancel by accident. Fixed here,
/// not `std`'s hasher, because the digests are stored and compared across versions.
fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// What `seed_runs.user_ids_digest` holds for runs recorded before runs recorded their users
/// (migration `2026-12-05-000006_seed_runs_users` writes it): such rows vouch for a number of
/// users, not for which.
pub const BEFORE_USER_DIGESTS: &str = "before-user-digests";

/// What the rows of `seed_runs` record of the users, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Rows of `seed_runs`.
    pub runs: i64,
    /// Users the runs wrote, in all.
    pub users: i64,
    /// The digest of their ids.
    pub digest: UserDigest,
    /// Whether a row from before runs recorded their users is among them: then only the
    /// number of users can be compared.
    pub by_number_only: bool,
}

impl Recorded {
    /// Adds one `seed_runs` row's `user_count` and `user_ids_digest`. A row without them (not
    /// written by a seeder that records users) records no users.
    pub fn add(&mut self, count: Option<i64>, digest: Option<&str>) {
        self.runs += 1;
        let Some(count) = count else {
            return;
        };
        match digest {
            Some(BEFORE_USER_DIGESTS) => {
                self.users = self.users.saturating_add(count);
                self.by_number_only = true;
            }
            Some(hex) => {
                if let Some(digest) = UserDigest::from_hex(hex) {
                    self.users = self.users.saturating_add(count);
                    self.digest.merge(digest);
                }
            }
            None => {}
        }
    }
}

/// Refuses to delete users that no seed run recorded, which may be an application's own
/// data: `users` rows whose ids digest to `digest`, compared with what `seed_runs` recorded
/// (`None`: there is no `seed_runs` table). The table must hold exactly the users the runs
/// wrote (the same number and digest; only the number for runs recorded before runs recorded
/// their users, where fewer is fine too). The error names how many users no run recorded.
/// The check runs inside the transaction, under the lock; `--allow-unseeded` skips it.
pub(crate) fn refuse_unseeded(
    action: Destructive,
    users: i64,
    digest: UserDigest,
    recorded: Option<&Recorded>,
) -> anyhow::Result<()> {
    match unseeded(users, digest, recorded) {
        None => Ok(()),
        Some(why) => anyhow::bail!(
            "refusing to {}: {why}, which may be an application's own data; pass \
             --allow-unseeded to delete them",
            action.what()
        ),
    }
}

/// Why `users` rows whose ids digest to `digest` are not all users that `recorded` runs
/// wrote, in words; `None` when they are (or there are none).
pub(crate) fn unseeded(
    users: i64,
    digest: UserDigest,
    recorded: Option<&Recorded>,
) -> Option<String> {
    if users == 0 {
        return None;
    }
    let rows = |n: i64| {
        if n == 1 {
            "1 row".to_owned()
        } else {
            format!("{n} rows")
        }
    };
    let users_word = |n: i64| {
        if n == 1 {
            "1 user".to_owned()
        } else {
            format!("{n} users")
        }
    };
    Some(match recorded {
        None => format!(
            "users holds {} that no seed run recorded (there is no seed_runs table)",
            rows(users)
        ),
        Some(r) if r.runs == 0 => format!(
            "users holds {} that no seed run recorded (seed_runs is empty)",
            rows(users)
        ),
        Some(r) if users > r.users => format!(
            "users holds {}, {} more than the {} that seed runs recorded: {} that no seed run \
             recorded",
            rows(users),
            users - r.users,
            r.users,
            users_word(users - r.users)
        ),
        Some(r) if r.by_number_only || (users == r.users && digest == r.digest) => return None,
        Some(r) => format!(
            "users holds {} that are not the {} that seed runs recorded: at least 1 user that \
             no seed run recorded",
            rows(users),
            r.users
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_destructive_commands_on_remote_hosts() {
        let remote = DatabaseUrl::parse("postgres://u:secret@db.example.com/app").unwrap();
        let error = refuse_remote(&remote, Destructive::Replace, false)
            .unwrap_err()
            .to_string();
        // Every seeded table, in their order: the run table of this crate's unit tests
        // (`run_tables.rs`) among them.
        let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let tables = tables.join(", ");
        assert!(tables.contains("test_merchants, ") && tables.ends_with(", transaction_changes"));
        assert_eq!(
            error,
            format!(
                "refusing to replace {tables} in PostgreSQL database \"app\" on \
                 db.example.com:5432 (host from the URL): the host is not local; pass \
                 --allow-remote"
            )
        );
        let error = refuse_remote(&remote, Destructive::Reset, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("refusing to drop and re-create {tables} in")),
            "{error}"
        );
        assert!(!error.contains("secret"));
        assert!(refuse_remote(&remote, Destructive::Replace, true).is_ok());
        assert!(refuse_remote(&remote, Destructive::Reset, true).is_ok());
        for local in [
            "postgres://127.0.0.1/app",
            "postgres://localhost/app",
            "data/x.db",
        ] {
            let local = DatabaseUrl::parse(local).unwrap();
            assert!(refuse_remote(&local, Destructive::Replace, false).is_ok());
            assert!(refuse_remote(&local, Destructive::Reset, false).is_ok());
        }
    }

    #[test]
    fn refuses_users_that_no_seed_run_recorded() {
        let digest = |ids: &[&str]| {
            let mut digest = UserDigest::default();
            ids.iter().for_each(|id| digest.add(id));
            digest
        };
        let run = |ids: &[&str]| {
            let mut recorded = Recorded::default();
            recorded.add(Some(ids.len() as i64), Some(&digest(ids).to_hex()));
            recorded
        };
        let refusal = |users: &[&str], recorded: Option<&Recorded>| {
            refuse_unseeded(
                Destructive::Replace,
                users.len() as i64,
                digest(users),
                recorded,
            )
            .err()
            .map(|e| e.to_string())
        };
        let seeded = run(&["a", "b", "c"]);
        // The same users, in any order, pass; none at all pass whatever was recorded.
        assert_eq!(refusal(&["c", "a", "b"], Some(&seeded)), None);
        assert_eq!(refusal(&[], None), None);
        // Two more, one swapped, none recorded, no table.
        let more = refusal(&["a", "b", "c", "x", "y"], Some(&seeded)).unwrap();
        assert!(
            more.contains(
                "users holds 5 rows, 2 more than the 3 that seed runs recorded: 2 users that no \
                 seed run recorded, which may be an application's own data"
            ),
            "{more}"
        );
        let swapped = refusal(&["a", "b", "x"], Some(&seeded)).unwrap();
        assert!(
            swapped.contains("users holds 3 rows that are not the 3 that seed runs recorded"),
            "{swapped}"
        );
        let empty = refusal(&["a"], Some(&Recorded::default())).unwrap();
        assert!(
            empty.contains("users holds 1 row that no seed run recorded (seed_runs is empty)"),
            "{empty}"
        );
        let none = refusal(&["a"], None).unwrap();
        assert!(none.contains("(there is no seed_runs table)"), "{none}");
        assert!(
            more.ends_with("pass --allow-unseeded to delete them"),
            "{more}"
        );
        // Runs add up; a row in the old shape (no count) records nothing.
        let mut two = run(&["a", "b"]);
        two.add(Some(1), Some(&digest(&["c"]).to_hex()));
        two.add(None, None);
        assert_eq!(refusal(&["a", "b", "c"], Some(&two)), None);
        assert!(refusal(&["a", "b", "c", "d"], Some(&two)).is_some());
        // Rows from before runs recorded their users: the number only, and fewer is fine.
        let mut old = Recorded::default();
        old.add(Some(3), Some(BEFORE_USER_DIGESTS));
        assert_eq!(refusal(&["x", "y", "z"], Some(&old)), None);
        assert_eq!(refusal(&["x"], Some(&old)), None);
        assert!(
            refusal(&["w", "x", "y", "z"], Some(&old))
                .unwrap()
                .contains("1 more than the 3")
        );
    }

    #[test]
    fn digests_ignore_order_and_round_trip() {
        let mut forward = UserDigest::default();
        let mut backward = UserDigest::default();
        let ids: Vec<String> = (0..1_000).map(|i| format!("user-{i}")).collect();
        ids.iter().for_each(|id| forward.add(id));
        ids.iter().rev().for_each(|id| backward.add(id));
        assert_eq!(forward, backward);
        assert_eq!(UserDigest::from_hex(&forward.to_hex()), Some(forward));
        let mut one_less = UserDigest::default();
        ids[1..].iter().for_each(|id| one_less.add(id));
        assert_ne!(one_less, forward);
        assert_eq!(UserDigest::from_hex("not hex at all!!"), None);
    }
}
