//! PostgreSQL's binary COPY as the loader writes it: each seeded model's rows encoded as
//! COPY tuples, gathered per table across batches, and sent in few, large statements.
//!
//! Diesel's `copy_from(..).from_insertable(..)` costs one COPY statement per table and batch
//! (each with its own parse, table open and bulk-insert state on the server) and hands libpq
//! one message per row. Here a table's tuples from many batches wait in one buffer
//! ([`CopyBuffers`]); once the buffers hold [`FLUSH_BYTES`], or the rows end, each table's
//! are sent in one `COPY … FROM STDIN (FORMAT binary)`, parents first, in pieces of
//! [`PIECE`] bytes. Parents first keeps an appending load, whose keys stay in place, valid
//! at every statement; rows keep their order within a table.
//!
//! The tuples are PostgreSQL's binary send formats (`text` as its UTF-8 bytes, `int8` and
//! `float8` as eight big-endian bytes, `bool` as one byte, `date` as days and `timestamp`
//! as microseconds since 2000-01-01, NULL as the length -1). Each field's Rust type is tied
//! to its column's SQL type in `backend::schema` ([`CopyValue`]), so a model and a schema
//! that disagree fail to compile, and each model is destructured without `..`, so a field
//! added to a model and not sent fails to compile too. The server checks every value it
//! receives (a date out of its range, a string that is not UTF-8) and rejects the
//! statement, which fails the load.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Double, Nullable, Text, Timestamp};

use super::postgres::{ChangeRow, describe};
use crate::changes::AddedChanges;
use crate::tables::{RowBatch, with_seeded_tables};

/// Bytes of tuples, over every table, that send the buffers: about a sixteenth of a
/// 10,000-user story load (265 MB of tuples), so such a load makes about sixteen statements
/// per table instead of 157, while the buffers stay a small part of the loader's memory.
pub(super) const FLUSH_BYTES: usize = 16 << 20;

/// Bytes per `PQputCopyData` call: large enough that neither side pays per message, small
/// enough that libpq never grows its output buffer to hold a whole table.
const PIECE: usize = 128 << 10;

/// The binary COPY header: the signature, no flags, no header extension.
const HEADER: &[u8; 19] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The binary COPY trailer: a field count of -1.
const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// 2000-01-01, PostgreSQL's epoch for dates, and its midnight, the epoch for timestamps:
/// constants, not worked out again for every value.
const PG_EPOCH_DATE: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
const PG_EPOCH: NaiveDateTime = PG_EPOCH_DATE.and_time(NaiveTime::MIN);

/// A Rust value as a field of SQL type `ST` in a binary COPY tuple: its length, then its
/// bytes.
pub(super) trait CopyValue<ST> {
    /// Appends the field to `out`.
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()>;
}

/// A field holding `bytes`: their length, then themselves.
fn put_bytes(bytes: &[u8], out: &mut Vec<u8>) -> anyhow::Result<()> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| anyhow::anyhow!("a value of {} bytes, over COPY's limit", bytes.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

impl CopyValue<Text> for String {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        put_bytes(self.as_bytes(), out)
    }
}

impl CopyValue<Text> for &str {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        put_bytes(self.as_bytes(), out)
    }
}

impl CopyValue<BigInt> for i64 {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        put_bytes(&self.to_be_bytes(), out)
    }
}

impl CopyValue<Double> for f64 {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        put_bytes(&self.to_bits().to_be_bytes(), out)
    }
}

impl CopyValue<Bool> for bool {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        put_bytes(&[u8::from(*self)], out)
    }
}

impl CopyValue<Date> for NaiveDate {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        let days = self.signed_duration_since(PG_EPOCH_DATE).num_days();
        let days = i32::try_from(days).map_err(|_| anyhow::anyhow!("date {self} out of range"))?;
        put_bytes(&days.to_be_bytes(), out)
    }
}

impl CopyValue<Timestamp> for NaiveDateTime {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        let micros = self
            .signed_duration_since(PG_EPOCH)
            .num_microseconds()
            .ok_or_else(|| anyhow::anyhow!("timestamp {self} out of range"))?;
        put_bytes(&micros.to_be_bytes(), out)
    }
}

impl<ST, T: CopyValue<ST>> CopyValue<Nullable<ST>> for Option<T> {
    fn put(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
        match self {
            Some(value) => value.put(out),
            None => {
                out.extend_from_slice(&(-1i32).to_be_bytes());
                Ok(())
            }
        }
    }
}

/// A seeded model whose rows travel as binary COPY tuples.
pub(super) trait CopyRow {
    /// The table, for messages.
    const TABLE: &'static str;

    /// Appends this row's tuple to `out`.
    fn encode(&self, out: &mut Vec<u8>) -> anyhow::Result<()>;

    /// Sends `tuples`, whole tuples of this model, in one COPY statement.
    fn copy(conn: &mut PgConnection, tuples: &[u8]) -> QueryResult<usize>;
}

/// The column a field is sent to: its namesake, or the one named after the colon.
macro_rules! column {
    ($table:ident, $field:ident) => {
        backend::schema::$table::$field
    };
    ($table:ident, $field:ident: $column:ident) => {
        backend::schema::$table::$column
    };
}

/// [`CopyRow`] for each model, its fields in the order the COPY lists their columns.
macro_rules! copy_rows {
    ($($model:ty => $table:ident { $($field:ident $(: $column:ident)?),* $(,)? })*) => {$(
        impl CopyRow for $model {
            const TABLE: &'static str = stringify!($table);

            fn encode(&self, out: &mut Vec<u8>) -> anyhow::Result<()> {
                let Self { $($field),* } = self;
                let fields = [$(stringify!($field)),*].len() as i16;
                out.extend_from_slice(&fields.to_be_bytes());
                $(<_ as CopyValue<
                    <column!($table, $field $(: $column)?) as Expression>::SqlType,
                >>::put($field, out)?;)*
                Ok(())
            }

            fn copy(conn: &mut PgConnection, tuples: &[u8]) -> QueryResult<usize> {
                diesel::copy_from(backend::schema::$table::table)
                    .from_raw_data(($(column!($table, $field $(: $column)?),)*), |out| {
                        send(out, tuples)
                    })
                    .with_format(CopyFormat::Binary)
                    .execute(conn)
            }
        }
    )*};
}

copy_rows! {
    backend::User => users { id, name, email, consent, created_at }
    backend::Account => accounts {
        id, user_id, name, account_type: type_, subtype, mask, balance, currency,
        credit_limit, apr, min_payment, is_overdue, last_statement_balance,
        last_statement_issue_date, next_payment_due_date, last_payment_amount,
        last_payment_date,
    }
    backend::Transaction => transactions {
        id, account_id, date, amount, category, merchant_name, pending,
        pending_transaction_id, category_detailed,
    }
    backend::PersonaLabel => persona_labels { user_id, persona }
    backend::RecurringStream => recurring_streams {
        id, account_id, direction, merchant_name, category, frequency, amount, first_date,
        last_date, next_date,
    }
    backend::RecurringStreamTransaction => recurring_stream_transactions {
        stream_id, transaction_id
    }
    backend::TransactionChange => transaction_changes {
        seq, transaction_id, account_id, change, as_of
    }
    ChangeRow<'_> => transaction_changes { seq, transaction_id, account_id, change, as_of }
}

/// The statement's data: the header, `tuples` in pieces, the trailer.
fn send(out: &mut dyn Write, tuples: &[u8]) -> QueryResult<()> {
    let io = |e: std::io::Error| diesel::result::Error::SerializationError(Box::new(e));
    out.write_all(HEADER).map_err(io)?;
    for piece in tuples.chunks(PIECE) {
        out.write_all(piece).map_err(io)?;
    }
    out.write_all(&TRAILER).map_err(io)
}

/// One table's tuples waiting to be sent.
#[derive(Default)]
struct Tuples(Vec<u8>);

impl Tuples {
    fn add<M: CopyRow>(&mut self, rows: &[M]) -> anyhow::Result<()> {
        rows.iter().try_for_each(|row| row.encode(&mut self.0))
    }

    /// Sends the tuples, if any, as rows of `M`, and empties the buffer (keeping its memory
    /// for the next ones).
    fn send<M: CopyRow>(&mut self, conn: &mut PgConnection) -> anyhow::Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        M::copy(conn, &self.0)
            .map_err(|e| anyhow::anyhow!("copy {}: {}", M::TABLE, describe(&e)))?;
        self.0.clear();
        Ok(())
    }
}

macro_rules! copy_buffers {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Each user table's tuples waiting to be sent (the run's rows are written apart,
        /// as soon as they come).
        #[derive(Default)]
        pub(super) struct CopyBuffers {
            $($table: Tuples,
            $($child: Tuples,)?)*
            $($derived: Tuples,)*
        }

        impl CopyBuffers {
            /// Encodes a batch's user rows, and the `added` changes of its transactions.
            /// Sends everything waiting once that is [`FLUSH_BYTES`] or more.
            pub(super) fn add(
                &mut self,
                conn: &mut PgConnection,
                batch: &RowBatch,
                added: &AddedChanges,
            ) -> anyhow::Result<()> {
                $(self.$table.add(&batch.$table)?;
                $(self.$child.add(&batch.$child)?;)?)*
                $(self.$derived.add(&batch.$derived)?;)*
                self.transaction_changes.add(&ChangeRow::added(added, &batch.transactions))?;
                if self.bytes() >= FLUSH_BYTES {
                    self.send(conn)?;
                }
                Ok(())
            }

            fn bytes(&self) -> usize {
                0 $(+ self.$table.0.len() $(+ self.$child.0.len())?)* $(+ self.$derived.0.len())*
            }

            /// Sends every table's tuples, parents first.
            pub(super) fn send(&mut self, conn: &mut PgConnection) -> anyhow::Result<()> {
                $(self.$table.send::<backend::$model>(conn)?;
                $(self.$child.send::<backend::$child_model>(conn)?;)?)*
                $(self.$derived.send::<backend::$derived_model>(conn)?;)*
                Ok(())
            }
        }
    };
}

with_seeded_tables!(copy_buffers);

#[cfg(test)]
mod tests {
    use super::*;

    /// A field as PostgreSQL's documentation defines it: the length, then the bytes.
    fn field(bytes: &[u8]) -> Vec<u8> {
        [&(bytes.len() as i32).to_be_bytes()[..], bytes].concat()
    }

    const NULL: [u8; 4] = [0xff; 4];

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn values_take_postgres_binary_send_formats() {
        let put = |f: &dyn Fn(&mut Vec<u8>) -> anyhow::Result<()>| {
            let mut out = Vec::new();
            f(&mut out).unwrap();
            out
        };
        // Days and microseconds count from 2000-01-01, backwards too.
        let day = |d: NaiveDate| put(&|out| CopyValue::<Date>::put(&d, out));
        assert_eq!(day(date(2000, 1, 1)), field(&0i32.to_be_bytes()));
        assert_eq!(day(date(2000, 1, 2)), field(&1i32.to_be_bytes()));
        assert_eq!(day(date(1999, 12, 31)), field(&(-1i32).to_be_bytes()));
        assert_eq!(day(date(2025, 6, 1)), field(&9283i32.to_be_bytes()));
        let moment = date(1999, 12, 31)
            .and_hms_micro_opt(23, 59, 59, 500_000)
            .unwrap();
        assert_eq!(
            put(&|out| CopyValue::<Timestamp>::put(&moment, out)),
            field(&(-500_000i64).to_be_bytes())
        );
        let moment = date(2000, 1, 2).and_hms_opt(0, 0, 1).unwrap();
        assert_eq!(
            put(&|out| CopyValue::<Timestamp>::put(&moment, out)),
            field(&86_401_000_000i64.to_be_bytes())
        );
        assert_eq!(
            put(&|out| CopyValue::<BigInt>::put(&-2i64, out)),
            field(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])
        );
        assert_eq!(
            put(&|out| CopyValue::<Double>::put(&1.5f64, out)),
            field(&[0x3f, 0xf8, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(put(&|out| CopyValue::<Bool>::put(&true, out)), field(&[1]));
        assert_eq!(put(&|out| CopyValue::<Bool>::put(&false, out)), field(&[0]));
        let text = "Café".to_owned();
        assert_eq!(
            put(&|out| CopyValue::<Text>::put(&text, out)),
            field("Café".as_bytes())
        );
        assert_eq!(put(&|out| CopyValue::<Text>::put(&"", out)), field(b""));
        let none: Option<i64> = None;
        assert_eq!(
            put(&|out| CopyValue::<Nullable<BigInt>>::put(&none, out)),
            NULL
        );
        assert_eq!(
            put(&|out| CopyValue::<Nullable<BigInt>>::put(&Some(7i64), out)),
            field(&7i64.to_be_bytes())
        );
    }

    #[test]
    fn a_row_is_its_field_count_then_its_fields_in_column_order() {
        let transaction = backend::Transaction {
            id: "t1".into(),
            account_id: "a1".into(),
            date: date(2000, 1, 1).and_hms_opt(0, 0, 2).unwrap(),
            amount: 1234,
            category: "INCOME".into(),
            merchant_name: "Acme".into(),
            pending: true,
            pending_transaction_id: None,
            category_detailed: Some("INCOME_WAGES".into()),
        };
        let mut out = Vec::new();
        transaction.encode(&mut out).unwrap();
        let expected = [
            &9i16.to_be_bytes()[..],
            &field(b"t1"),
            &field(b"a1"),
            &field(&2_000_000i64.to_be_bytes()),
            &field(&1234i64.to_be_bytes()),
            &field(b"INCOME"),
            &field(b"Acme"),
            &field(&[1]),
            &NULL,
            &field(b"INCOME_WAGES"),
        ]
        .concat();
        assert_eq!(out, expected);
    }

    #[test]
    fn a_statement_is_the_header_the_tuples_and_the_trailer() {
        let tuples: Vec<u8> = (0..=255u8).cycle().take(PIECE * 2 + 3).collect();
        let mut sent = Vec::new();
        send(&mut sent, &tuples).unwrap();
        assert_eq!(&sent[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(&sent[11..19], &[0; 8], "no flags, no header extension");
        assert_eq!(&sent[19..sent.len() - 2], &tuples[..]);
        assert_eq!(&sent[sent.len() - 2..], &[0xff, 0xff]);
    }
}
