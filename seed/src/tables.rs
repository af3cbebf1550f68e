//! The seeded tables, declared once, parents before children.
//!
//! [`with_seeded_tables!`] is the one list: it hands `table: Model` pairs to another macro,
//! so each consumer (this module's [`RowBatch`] and [`RowCounts`], the JSON encoders, writer
//! and reader, both loaders) expands the same list into its own code. The table name is at
//! once the JSON section, the `backend::schema` module and the [`RowBatch`] field; the model
//! is the `backend` row type that is both the JSON record and the Diesel row. A new table is
//! one line here (plus its migration, its model and its JSON encoder, which the compiler asks
//! for).

use backend::{Account, PersonaLabel, Transaction, User};
use serde::{Deserialize, Serialize};

use crate::dataset::Meta;

/// Calls `$callback! { table: Model, ... }` with every seeded table, parents first. A table
/// marked `optional` may be missing from a `users.json` (files from before it existed).
macro_rules! with_seeded_tables {
    ($callback:ident) => {
        $callback! {
            users: User,
            accounts: Account,
            transactions: Transaction,
            persona_labels: PersonaLabel optional,
        }
    };
}
pub(crate) use with_seeded_tables;

/// A seeded table, by the name that is both its SQL table and its `users.json` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Such as `persona_labels`.
    pub name: &'static str,
    /// Whether a `users.json` may lack the section.
    pub optional: bool,
}

impl Table {
    /// The rows in words, for summaries: `persona labels`.
    pub fn label(&self) -> String {
        self.name.replace('_', " ")
    }

    /// One row in words, for error messages: `persona label`.
    pub fn singular(&self) -> String {
        let label = self.label();
        label.strip_suffix('s').unwrap_or(&label).to_owned()
    }

    /// The table called `name`, if it is seeded.
    pub fn named(name: &str) -> Option<Table> {
        TABLES.iter().copied().find(|t| t.name == name)
    }
}

/// Whether a table entry carries the `optional` marker.
macro_rules! is_optional {
    () => {
        false
    };
    (optional) => {
        true
    };
}

macro_rules! declare_tables {
    ($($table:ident: $model:ident $($optional:ident)?,)*) => {
        /// Every seeded table, parents before children: loads go in this order and empty the
        /// tables in reverse.
        pub const TABLES: &[Table] = &[$(Table {
            name: stringify!($table),
            optional: is_optional!($($optional)?),
        },)*];

        /// Rows on their way to a file or a database, in any mix of tables: one user's rows,
        /// a chunk of users, or a batch read from a file.
        #[derive(Debug, Default, Clone, PartialEq)]
        pub struct RowBatch {
            $(#[doc = concat!("Rows for `", stringify!($table), "`.")]
            pub $table: Vec<$model>,)*
        }

        impl RowBatch {
            /// Row counts per table.
            pub fn counts(&self) -> RowCounts {
                RowCounts { $($table: self.$table.len() as u64,)* }
            }

            /// Moves every row of `other` after these.
            pub fn append(&mut self, other: &mut RowBatch) {
                $(self.$table.append(&mut other.$table);)*
            }
        }

        /// How many rows of each table a step produced.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
        pub struct RowCounts {
            $(#[doc = concat!("Rows of `", stringify!($table), "`.")]
            pub $table: u64,)*
        }

        impl RowCounts {
            /// Adds another count to this one.
            pub fn add(&mut self, other: RowCounts) {
                $(self.$table += other.$table;)*
            }

            /// All rows together.
            pub fn total(&self) -> u64 {
                0 $(+ self.$table)*
            }

            /// Each table with its count, in [`TABLES`] order.
            pub fn per_table(&self) -> impl Iterator<Item = (Table, u64)> + use<> {
                TABLES.iter().copied().zip([$(self.$table,)*])
            }
        }

        /// A whole dataset in memory: the same JSON shape as `users.json`. The seeder itself
        /// streams and never builds one; tests and small tools use it to compare whole
        /// files. A missing section reads as empty (the streaming reader is the strict one).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Dataset {
            /// What produced the data.
            pub meta: Meta,
            $(#[doc = concat!("Every row of `", stringify!($table), "`.")]
            #[serde(default)]
            pub $table: Vec<$model>,)*
        }

        impl Dataset {
            /// A dataset holding `rows`.
            pub fn new(meta: Meta, rows: RowBatch) -> Dataset {
                Dataset { meta, $($table: rows.$table,)* }
            }
        }
    };
}
with_seeded_tables!(declare_tables);

impl std::fmt::Display for RowCounts {
    /// `50 users, 105 accounts, 3663 transactions, 50 persona labels`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (table, count)) in self.per_table().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            write!(f, "{separator}{count} {}", table.label())?;
        }
        Ok(())
    }
}

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
