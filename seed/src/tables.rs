//! The seeded tables, declared once, parents before children.
//!
//! [`with_seeded_tables!`] is the one list. It hands every entry to another macro, so each
//! consumer (this module's [`RowBatch`] and [`RowCounts`], the
//! `Dataset` of `dataset.rs`, the run's generator, the JSON encoders, writer and
//! reader, both loaders) expands the same list into its own code. The list has three
//! groups, separated by `;`, one per [`TableKind`]:
//!
//! 1. `run table: path::Model = generator,`: a table whose rows belong to the run,
//!    not to a user (a directory of merchants, say). The generator is a pure function of
//!    the run, `fn(&GenConfig) -> Vec<Model>` (seed, profile, dates; no I/O), which
//!    `generate::generate_run` calls once per run, before any user. The path names it from
//!    the `generate` module, where every generator lives.
//!    Every shard of a run calls it too and gets the same rows. Its section comes before
//!    the users' in `users.json`, so a loader reading a file meets the run's rows before
//!    the rows that may reference them. A replacing load writes them like any rows; an
//!    appending load (a shard) adds those the database lacks and refuses one that differs
//!    from the row already there, so shards loaded in any order, or in parallel, leave the
//!    rows of one unsharded load (see the `load` module). Their JSON is serde_json's own: a run
//!    has few such rows, so their model needs no hand-written encoder. `seed advance` moves
//!    the users' rows and keeps the run's, so these should not depend on the as-of date.
//! 2. `table: Model`: a table whose rows belong to a user, generated with the user. The
//!    name is at once the SQL table, the `users.json` section, the `backend::schema` module
//!    and the [`RowBatch`] field; the model is the `backend` row type that is both the JSON
//!    record and the Diesel row. Two forms add to that:
//!    - `[optional]` (on a run table too): a `users.json` may lack the section (files from
//!      before it existed);
//!    - `as Record nests child: ChildModel`: the child table has no section of its own; its
//!      rows are written inside their parent's JSON records, as [`StreamRecord`] does with
//!      `transaction_ids`.
//! 3. `derived table: Model`: a table the loader fills from the rows of the others
//!    (`changes.rs` derives `transaction_changes` from `transactions`), with no
//!    section in `users.json`.
//!
//! Whatever its kind, a table is emptied by a replacing load (and by `reset-db`, through its
//! migration), keyed and checked, foreign keys included, by every load, and counted in
//! [`RowCounts`], so in every summary and `seed_runs` record.
//!
//! Adding a table: its migration, its model in `backend` (`backend/src/schema.rs` is what
//! `diesel print-schema` prints), and one line here. A run table needs only its generator
//! besides (its model derives `Debug`, `Clone`, `PartialEq`, serde's `Serialize` and
//! `Deserialize`, and Diesel's `Queryable`, `Selectable` and `Insertable`). A user table
//! needs its JSON encoder (`json/encode.rs`) and its rows in the timeline's snapshot
//! (`generate/timeline.rs`), both of which the compiler asks for. This crate's unit
//! tests put a run table of their own in the list (`with_test_tables!`, in `lib.rs`), which
//! their databases create by SQL (`run_tables.rs`).

use backend::{
    Account, PersonaLabel, RecurringStream, RecurringStreamTransaction, Transaction,
    TransactionChange, User,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Calls `$callback! { … }` with every seeded table, parents first (see the module's doc for
/// the entries' forms).
macro_rules! with_seeded_tables {
    ($callback:ident) => {
        $crate::with_test_tables! { $callback
            // The run's tables, `run table: path::Model = generator,`: none yet.
            ;
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

/// What a seeded table's rows belong to, which decides how they are generated and loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// The run: generated once from the run's seed, profile and dates, the same in every
    /// shard, and written by an appending load only where the database lacks them.
    Run,
    /// A user: generated with the user, in the user's shard.
    User,
    /// Derived by the loader from other tables' rows; no `users.json` section.
    Derived,
}

/// A seeded SQL table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Such as `persona_labels`.
    pub name: &'static str,
    /// What its rows belong to.
    pub kind: TableKind,
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

macro_rules! declare_tables {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Every seeded SQL table, parents before children (the run's tables first): loads go
        /// in this order and empty the tables in reverse.
        pub const TABLES: &[Table] = &[
            $(Table { name: stringify!($run), kind: TableKind::Run },)*
            $(Table { name: stringify!($table), kind: TableKind::User },
            $(Table { name: stringify!($child), kind: TableKind::User },)?)*
            $(Table { name: stringify!($derived), kind: TableKind::Derived },)*
        ];

        /// The sections of `users.json` after `meta`, in file order: the run's tables, then
        /// the users'.
        pub const SECTIONS: &[Section] = &[
            $(Section { name: stringify!($run), optional: is_optional!($($run_flag)?) },)*
            $(Section { name: stringify!($table), optional: is_optional!($($flag)?) },)*
        ];

        /// The rows of the run's tables (see [`TableKind::Run`]).
        #[derive(Debug, Default, Clone, PartialEq)]
        pub struct RunRows {
            $(#[doc = concat!("Rows for `", stringify!($run), "`.")]
            pub $run: Vec<$run_model>,)*
        }

        impl RunRows {
            /// Whether there are none.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$run.is_empty())*
            }
        }

        /// Rows on their way to a file or a database, in any mix of tables: one user's rows,
        /// a chunk of users, the run's rows, or a batch read from a file.
        #[derive(Debug, Default, Clone, PartialEq)]
        pub struct RowBatch {
            /// Rows of the run's tables.
            pub run: RunRows,
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
                RowCounts { $($run: self.run.$run.len() as u64,)*
                    $($table: self.$table.len() as u64,
                    $($child: self.$child.len() as u64,)?)*
                    $($derived: self.$derived.len() as u64,)* }
            }

            /// Every row of `batches`, in order, moved into one batch allocated once.
            pub fn concat(mut batches: Vec<RowBatch>) -> RowBatch {
                let mut total = RowCounts::default();
                batches.iter().for_each(|batch| total.add(batch.counts()));
                let mut rows = RowBatch {
                    run: RunRows { $($run: Vec::with_capacity(total.$run as usize),)* },
                    $($table: Vec::with_capacity(total.$table as usize),
                    $($child: Vec::with_capacity(total.$child as usize),)?)*
                    $($derived: Vec::with_capacity(total.$derived as usize),)*
                };
                batches.iter_mut().for_each(|batch| rows.append(batch));
                rows
            }

            /// Moves every row of `other` after these.
            pub fn append(&mut self, other: &mut RowBatch) {
                $(self.run.$run.append(&mut other.run.$run);)*
                $(self.$table.append(&mut other.$table);
                $(self.$child.append(&mut other.$child);)?)*
                $(self.$derived.append(&mut other.$derived);)*
            }
        }

        /// How many rows of each table a step produced.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
        pub struct RowCounts {
            $(#[doc = concat!("Rows of `", stringify!($run), "`.")]
            pub $run: u64,)*
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
                $(self.$run += other.$run;)*
                $(self.$table += other.$table;
                $(self.$child += other.$child;)?)*
                $(self.$derived += other.$derived;)*
            }

            /// All rows together.
            pub fn total(&self) -> u64 {
                0 $(+ self.$run)* $(+ self.$table $(+ self.$child)?)* $(+ self.$derived)*
            }

            /// Each table with its count, in [`TABLES`] order.
            pub fn per_table(&self) -> impl Iterator<Item = (Table, u64)> + use<> {
                TABLES.iter().copied().zip([
                    $(self.$run,)* $(self.$table, $(self.$child,)?)* $(self.$derived,)*
                ])
            }
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
            .filter(|&(table, count)| table.kind != TableKind::Derived || count > 0);
        for (i, (table, count)) in shown.enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            write!(f, "{separator}{count} {}", table.label())?;
        }
        Ok(())
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

    /// Adds the stream's row and its links to `rows`; returns how many rows that is.
    pub fn push_into(self, rows: &mut RowBatch) -> usize {
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
        let links = transaction_ids.len();
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
        1 + links
    }
}
