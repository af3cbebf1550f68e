//! What a `users.json` says of itself (its `meta` object, and the shard a file holds), and
//! [`Dataset`], a whole file in memory.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use backend::{Account, PersonaLabel, Transaction, User};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::tables::{RowBatch, StreamRecord, with_seeded_tables};

/// Names the generator in `meta.generator`. Bump the version whenever output changes.
pub const GENERATOR: &str = concat!("spendsense-seed ", env!("CARGO_PKG_VERSION"));

/// The `meta` object at the top of `users.json`: what produced the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, from = "MetaRecord")]
pub struct Meta {
    /// The `--seed` the data was generated with.
    pub seed: u64,
    /// The `--as-of` date: the data shows every user's timeline up to the day before it.
    pub as_of: NaiveDate,
    /// Where every user's timeline starts: the as-of date of the run that first seeded the
    /// data (`--origin`; the as-of date itself for a fresh run).
    pub origin: NaiveDate,
    /// How many users the file holds.
    pub num_users: u64,
    /// The generator's name and version; output changes only with this string.
    pub generator: String,
    /// The profile the data was drawn from: a built-in profile's name (`story`,
    /// `calibrated`) or a profile file's name. Files written before it was recorded were all
    /// drawn from `story`.
    #[serde(default = "story")]
    pub profile: String,
    /// Which share of a larger run the file holds; absent for a whole run, so the bytes of
    /// an unsharded file do not change.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<Shard>,
    /// For a shard, the index of its first user in the whole run (absent for a whole run,
    /// whose users start at 0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_user: Option<u64>,
}

/// `meta` as a file holds it: files written before timelines existed have no `origin`,
/// which makes their as-of date the origin.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaRecord {
    seed: u64,
    as_of: NaiveDate,
    origin: Option<NaiveDate>,
    num_users: u64,
    generator: String,
    #[serde(default = "story")]
    profile: String,
    #[serde(default)]
    shard: Option<Shard>,
    #[serde(default)]
    first_user: Option<u64>,
}

impl From<MetaRecord> for Meta {
    fn from(record: MetaRecord) -> Meta {
        let MetaRecord {
            seed,
            as_of,
            origin,
            num_users,
            generator,
            profile,
            shard,
            first_user,
        } = record;
        Meta {
            seed,
            as_of,
            origin: origin.unwrap_or(as_of),
            num_users,
            generator,
            profile,
            shard,
            first_user,
        }
    }
}

impl Meta {
    /// The `meta` of a whole run of `num_users` users drawn from `profile` by this generator,
    /// as of `as_of` on timelines that start at `origin`.
    pub fn new(
        profile: &str,
        seed: u64,
        as_of: NaiveDate,
        origin: NaiveDate,
        num_users: u64,
    ) -> Meta {
        Meta {
            seed,
            as_of,
            origin,
            num_users,
            generator: GENERATOR.to_owned(),
            profile: profile.to_owned(),
            shard: None,
            first_user: None,
        }
    }
}

fn story() -> String {
    "story".to_owned()
}

/// Shard `index` of `count` (1-based): a contiguous slice of a run's user indexes, so that
/// `count` processes, each generating one shard, produce exactly the rows of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The most shards a run may be split into: the change log's sequence numbers keep each
    /// shard's changes apart in 12 bits.
    pub const MAX_COUNT: u64 = 4096;

    /// Shard `index` of `count`; fails unless 1 ≤ index ≤ count ≤ [`Shard::MAX_COUNT`].
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count} does not exist (expected K/N with 1 <= K <= N)"
            ));
        }
        if count > Shard::MAX_COUNT {
            return Err(format!(
                "shard {index}/{count}: a run is split into at most {} shards",
                Shard::MAX_COUNT
            ));
        }
        Ok(Shard { index, count })
    }

    /// This shard's 1-based number.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// How many shards the run is split into.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The global user indexes of this shard in a run of `num_users`:
    /// `[floor((K-1)·num_users/N), floor(K·num_users/N))`. Consecutive shards meet exactly,
    /// and their sizes differ by at most one.
    pub fn users(&self, num_users: u64) -> Range<u64> {
        let bound =
            |k: u64| (u128::from(k) * u128::from(num_users) / u128::from(self.count)) as u64;
        bound(self.index - 1)..bound(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let (index, count) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not K/N"))?;
        let number = |n: &str| {
            n.trim()
                .parse::<u64>()
                .map_err(|_| format!("{s:?} is not K/N"))
        };
        Shard::new(number(index)?, number(count)?)
    }
}

impl TryFrom<String> for Shard {
    type Error = String;

    fn try_from(s: String) -> Result<Shard, String> {
        s.parse()
    }
}

impl From<Shard> for String {
    fn from(shard: Shard) -> String {
        shard.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_user_exactly_once() {
        for num_users in [0, 1, 2, 7, 30, 100, 1_001] {
            for count in 1..=7 {
                let mut next = 0;
                for index in 1..=count {
                    let range = Shard::new(index, count).unwrap().users(num_users);
                    assert_eq!(range.start, next, "{index}/{count} of {num_users}");
                    assert!(range.end - range.start <= num_users / count + 1);
                    next = range.end;
                }
                assert_eq!(next, num_users);
            }
        }
    }

    #[test]
    fn parses_and_prints_shards() {
        assert_eq!("2/3".parse::<Shard>().unwrap().users(30), 10..20);
        assert_eq!("3/3".parse::<Shard>().unwrap().to_string(), "3/3");
        assert!("4096/4096".parse::<Shard>().is_ok());
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "-1/2", "", "1/4097"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shard_is_absent_from_unsharded_meta() {
        let mut meta = Meta {
            seed: 1,
            as_of: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            origin: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            num_users: 3,
            generator: "g".into(),
            profile: "story".into(),
            shard: None,
            first_user: None,
        };
        assert_eq!(
            serde_json::to_string(&meta).unwrap(),
            r#"{"seed":1,"as_of":"2026-01-02","origin":"2026-01-02","num_users":3,"generator":"g","profile":"story"}"#
        );
        let old = r#"{"seed":1,"as_of":"2026-01-02","num_users":3,"generator":"g"}"#;
        assert_eq!(
            serde_json::from_str::<Meta>(old).unwrap().origin,
            meta.as_of,
            "a file from before timelines starts its timelines at its as-of date"
        );
        meta.shard = Some(Shard::new(2, 5).unwrap());
        let json = serde_json::to_string(&meta).unwrap();
        assert!(json.ends_with(r#""shard":"2/5"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Meta>(&json).unwrap(), meta);
    }
}

/// The JSON record type of an entry: its model, or the record type it names with `as`.
macro_rules! record_type {
    ($model:ident) => {
        $model
    };
    ($model:ident $record:ident) => {
        $record
    };
}

/// The records of a section from its table's rows (and its child's).
macro_rules! records {
    ($rows:ident, $table:ident) => {
        $rows.$table
    };
    ($rows:ident, $table:ident $record:ident $child:ident) => {
        $record::from_rows($rows.$table, &$rows.$child)
    };
}

/// Adds a section's records to a batch as rows.
macro_rules! rows_of {
    ($dataset:ident, $rows:ident, $table:ident) => {
        $rows.$table.extend($dataset.$table.iter().cloned())
    };
    ($dataset:ident, $rows:ident, $table:ident $record:ident) => {
        for record in &$dataset.$table {
            record.clone().push_into(&mut $rows);
        }
    };
}

/// Declares [`Dataset`] from the list of seeded tables ([`with_seeded_tables!`]).
macro_rules! declare_dataset {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// A whole dataset in memory: the same JSON shape as `users.json`. The seeder itself
        /// streams and never builds one; tests and small tools use it to compare whole
        /// files. A missing section reads as empty (the streaming reader is the strict one).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Dataset {
            /// What produced the data.
            pub meta: Meta,
            $(#[doc = concat!("Every record of `", stringify!($run), "`.")]
            #[serde(default)]
            pub $run: Vec<$run_model>,)*
            $(#[doc = concat!("Every record of `", stringify!($table), "`.")]
            #[serde(default)]
            pub $table: Vec<record_type!($model $($record)?)>,)*
        }

        impl Dataset {
            /// The dataset holding `rows`.
            pub fn new(meta: Meta, rows: RowBatch) -> Dataset {
                Dataset {
                    meta,
                    $($run: rows.run.$run,)*
                    $($table: records!(rows, $table $($record $child)?),)*
                }
            }

            /// The rows of every table.
            pub fn rows(&self) -> RowBatch {
                let mut rows = RowBatch::default();
                $(rows.run.$run.extend(self.$run.iter().cloned());)*
                $(rows_of!(self, rows, $table $($record)?);)*
                rows
            }
        }
    };
}

with_seeded_tables!(declare_dataset);

impl Dataset {
    /// Collects generated users' rows into one dataset.
    pub fn from_batches(meta: Meta, batches: impl IntoIterator<Item = RowBatch>) -> Self {
        let mut rows = RowBatch::default();
        for mut batch in batches {
            rows.append(&mut batch);
        }
        Dataset::new(meta, rows)
    }
}
