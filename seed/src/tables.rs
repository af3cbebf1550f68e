//! The seeded tables, declared once, parents before children.
//!
//! [`with_seeded_tables!`] is the one list. It hands every entry to another macro, so each
//! consumer (this module's [`RowBatch`], [`RowCounts`] and [`Dataset`], the JSON encoders,
//! writer and reader, both loaders) expands the same list into its own code. An entry is
//! `table: Model`: the table name is at once the SQL table, the `users.json` section, the
//! `backend::schema` module and the [`RowBatch`] field, and the model is the `backend` row
//! type that is both the JSON record and the Diesel row. Two forms add to that:
//! - `[optional]`: a `users.json` may lack the section (files from before it existed);
//! - `as Record nests child: ChildModel`: the child table has no section of its own; its
//!   rows are written inside their parent's JSON records, as [`StreamRecord`] does with
//!   `transaction_ids`.
//!
//! After a `;`, `derived table: Model` entries are tables the loader fills from the rows of
//! the others ([`crate::changes`] derives `transaction_changes` from `transactions`): they
//! are loaded, emptied, keyed and checked like every seeded table, but have no section in
//! `users.json`.
//!
//! A new table is one line here, plus its migration, its model and its JSON encoder, which
//! the compiler asks for.

use backend::{
    Account, PersonaLabel, RecurringStream, RecurringStreamTransaction, Transaction,
    TransactionChange, User,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dataset::Meta;

/// Calls `$callback! { … }` with every seeded table, parents first (see the module's doc for
/// the entries' forms).
macro_rules! with_seeded_tables {
    ($callback:ident) => {
        $callback! {
            users: User,
            accounts: Account,
            transactions: Transaction,
            persona_labels: PersonaLabel [optional],
            recurring_streams: RecurringStream [optional]
                as StreamRecord nests recurring_stream_transactions: RecurringStreamTransaction,
            ;
            derived transaction_changes: TransactionChange,
        }
    };
}
pub(crate) use with_seeded_tables;

/// A seeded SQL table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Such as `persona_labels`.
    pub name: &'static str,
    /// Whether the loader derives its rows from other tables' (it has no `users.json`
    /// section).
    pub derived: bool,
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

/// A section of `users.json`: one seeded table's records (with the rows of the tables it
/// nests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The section's key, the name of its table.
    pub name: &'static str,
    /// Whether a `users.json` may lack it.
    pub optional: bool,
}

/// Whether an entry is marked `[optional]`.
macro_rules! is_optional {
    () => {
        false
    };
    (optional) => {
        true
    };
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

macro_rules! declare_tables {
    ($($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Every seeded SQL table, parents before children: loads go in this order and empty
        /// the tables in reverse.
        pub const TABLES: &[Table] = &[$(
            Table { name: stringify!($table), derived: false },
            $(Table { name: stringify!($child), derived: false },)?
        )* $(Table { name: stringify!($derived), derived: true },)*];

        /// The sections of `users.json` after `meta`, in file order.
        pub const SECTIONS: &[Section] = &[$(Section {
            name: stringify!($table),
            optional: is_optional!($($flag)?),
        },)*];

        /// Rows on their way to a file or a database, in any mix of tables: one user's rows,
        /// a chunk of users, or a batch read from a file.
        #[derive(Debug, Default, Clone, PartialEq)]
        pub struct RowBatch {
            $(#[doc = concat!("Rows for `", stringify!($table), "`.")]
            pub $table: Vec<$model>,
            $(#[doc = concat!("Rows for `", stringify!($child), "`.")]
            pub $child: Vec<$child_model>,)?)*
            $(#[doc = concat!("Rows for `", stringify!($derived), "`, derived by the loader.")]
            pub $derived: Vec<$derived_model>,)*
        }

        impl RowBatch {
            /// Row counts per table.
            pub fn counts(&self) -> RowCounts {
                RowCounts { $($table: self.$table.len() as u64,
                    $($child: self.$child.len() as u64,)?)*
                    $($derived: self.$derived.len() as u64,)* }
            }

            /// Every row of `batches`, in order, moved into one batch allocated once.
            pub fn concat(mut batches: Vec<RowBatch>) -> RowBatch {
                let mut total = RowCounts::default();
                batches.iter().for_each(|batch| total.add(batch.counts()));
                let mut rows = RowBatch {
                    $($table: Vec::with_capacity(total.$table as usize),
                    $($child: Vec::with_capacity(total.$child as usize),)?)*
                    $($derived: Vec::with_capacity(total.$derived as usize),)*
                };
                batches.iter_mut().for_each(|batch| rows.append(batch));
                rows
            }

            /// Moves every row of `other` after these.
            pub fn append(&mut self, other: &mut RowBatch) {
                $(self.$table.append(&mut other.$table);
                $(self.$child.append(&mut other.$child);)?)*
                $(self.$derived.append(&mut other.$derived);)*
            }
        }

        /// How many rows of each table a step produced.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
        pub struct RowCounts {
            $(#[doc = concat!("Rows of `", stringify!($table), "`.")]
            pub $table: u64,
            $(#[doc = concat!("Rows of `", stringify!($child), "`.")]
            pub $child: u64,)?)*
            $(#[doc = concat!("Rows of `", stringify!($derived), "`.")]
            pub $derived: u64,)*
        }

        impl RowCounts {
            /// Adds another count to this one.
            pub fn add(&mut self, other: RowCounts) {
                $(self.$table += other.$table;
                $(self.$child += other.$child;)?)*
                $(self.$derived += other.$derived;)*
            }

            /// All rows together.
            pub fn total(&self) -> u64 {
                0 $(+ self.$table $(+ self.$child)?)* $(+ self.$derived)*
            }

            /// Each table with its count, in [`TABLES`] order.
            pub fn per_table(&self) -> impl Iterator<Item = (Table, u64)> + use<> {
                TABLES.iter().copied().zip([$(self.$table, $(self.$child,)?)* $(self.$derived,)*])
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
            $(#[doc = concat!("Every record of `", stringify!($table), "`.")]
            #[serde(default)]
            pub $table: Vec<record_type!($model $($record)?)>,)*
        }

        impl Dataset {
            /// The dataset holding `rows`.
            pub fn new(meta: Meta, rows: RowBatch) -> Dataset {
                Dataset {
                    meta,
                    $($table: records!(rows, $table $($record $child)?),)*
                }
            }

            /// The rows of every table.
            pub fn rows(&self) -> RowBatch {
                let mut rows = RowBatch::default();
                $(rows_of!(self, rows, $table $($record)?);)*
                rows
            }
        }
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

with_seeded_tables!(declare_tables);

impl std::fmt::Display for RowCounts {
    /// `50 users, 105 accounts, 3663 transactions, 50 persona labels, …`; a derived table
    /// only where it has rows (rows generated or written to a file have none).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self
            .per_table()
            .filter(|&(table, count)| !table.derived || count > 0);
        for (i, (table, count)) in shown.enumerate() {
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

/// A `recurring_streams` record of `users.json`: the stream's columns, and the ids of its
/// transactions, which the database holds as `recurring_stream_transactions` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamRecord {
    /// See [`RecurringStream`].
    pub id: String,
    /// See [`RecurringStream`].
    pub account_id: String,
    /// See [`RecurringStream`].
    pub direction: String,
    /// See [`RecurringStream`].
    pub merchant_name: String,
    /// See [`RecurringStream`].
    pub category: String,
    /// See [`RecurringStream`].
    pub frequency: String,
    /// See [`RecurringStream`].
    pub amount: i64,
    /// See [`RecurringStream`].
    pub first_date: NaiveDate,
    /// See [`RecurringStream`].
    pub last_date: NaiveDate,
    /// See [`RecurringStream`].
    pub next_date: NaiveDate,
    /// Its transactions, in the order they were written.
    pub transaction_ids: Vec<String>,
}

impl StreamRecord {
    /// The records of `streams`, each with its links from `links`.
    pub fn from_rows(
        streams: Vec<RecurringStream>,
        links: &[RecurringStreamTransaction],
    ) -> Vec<StreamRecord> {
        streams
            .into_iter()
            .map(|stream| {
                let transaction_ids = links
                    .iter()
                    .filter(|l| l.stream_id == stream.id)
                    .map(|l| l.transaction_id.clone())
                    .collect();
                StreamRecord::new(stream, transaction_ids)
            })
            .collect()
    }

    /// A record of `stream` with its transactions. Both this and [`StreamRecord::push_into`]
    /// name every field without `..`, so a column added to the model cannot be forgotten.
    pub fn new(stream: RecurringStream, transaction_ids: Vec<String>) -> StreamRecord {
        let RecurringStream {
            id,
            account_id,
            direction,
            merchant_name,
            category,
            frequency,
            amount,
            first_date,
            last_date,
            next_date,
        } = stream;
        StreamRecord {
            id,
            account_id,
            direction,
            merchant_name,
            category,
            frequency,
            amount,
            first_date,
            last_date,
            next_date,
            transaction_ids,
        }
    }

    /// Adds the stream's row and its links to `rows`.
    pub fn push_into(self, rows: &mut RowBatch) {
        let StreamRecord {
            id,
            account_id,
            direction,
            merchant_name,
            category,
            frequency,
            amount,
            first_date,
            last_date,
            next_date,
            transaction_ids,
        } = self;
        rows.recurring_stream_transactions
            .extend(
                transaction_ids
                    .into_iter()
                    .map(|transaction_id| RecurringStreamTransaction {
                        stream_id: id.clone(),
                        transaction_id,
                    }),
            );
        rows.recurring_streams.push(RecurringStream {
            id,
            account_id,
            direction,
            merchant_name,
            category,
            frequency,
            amount,
            first_date,
            last_date,
            next_date,
        });
    }
}
