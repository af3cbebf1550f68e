//! Reads `users.json` as a stream, handing rows on in batches; memory stays flat at any size.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::marker::PhantomData;
use std::path::Path;

use anyhow::Context;
use backend::{Account, PersonaLabel, Transaction, User};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::dataset::{Meta, RowBatch, RowCounts};

/// What a whole file held, once it has been read to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSource {
    /// The file's `meta` object.
    pub meta: Meta,
    /// Rows per table.
    pub counts: RowCounts,
}

/// Reads `path`, calling `sink` with batches of at most `batch_rows` rows of one table, in
/// file order. Fails with the line and column where the file stops making sense, or with the
/// sink's own error.
pub fn read_json(
    path: &Path,
    batch_rows: usize,
    sink: &mut dyn FnMut(RowBatch) -> anyhow::Result<()>,
) -> anyhow::Result<JsonSource> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = ReadState {
        sink,
        batch_rows: batch_rows.max(1),
        sink_error: None,
        counts: RowCounts::default(),
    };
    let result = (&mut de)
        .deserialize_map(TopVisitor { state: &mut state })
        .and_then(|meta| {
            de.end()?;
            Ok(meta)
        });
    let describe = |e: serde_json::Error| anyhow::anyhow!("{}: {}", path.display(), e);
    match result {
        Ok(meta) => {
            let counts = state.counts;
            if meta.num_users != counts.users {
                anyhow::bail!(
                    "{}: meta.num_users is {} but the file holds {} users",
                    path.display(),
                    meta.num_users,
                    counts.users
                );
            }
            Ok(JsonSource { meta, counts })
        }
        Err(e) => match state.sink_error.take() {
            Some(sink_error) => Err(sink_error),
            None => Err(describe(e)),
        },
    }
}

struct ReadState<'a> {
    sink: &'a mut dyn FnMut(RowBatch) -> anyhow::Result<()>,
    batch_rows: usize,
    sink_error: Option<anyhow::Error>,
    counts: RowCounts,
}

impl ReadState<'_> {
    fn emit<E: de::Error>(&mut self, batch: RowBatch) -> Result<(), E> {
        self.counts.add(batch.counts());
        (self.sink)(batch).map_err(|e| {
            self.sink_error = Some(e);
            E::custom("loading stopped")
        })
    }
}

const SECTIONS: &[&str] = &[
    "meta",
    "users",
    "accounts",
    "transactions",
    "persona_labels",
];

struct TopVisitor<'s, 'a> {
    state: &'s mut ReadState<'a>,
}

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = Meta;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with meta, users, accounts, transactions and persona_labels")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
        let mut meta = None;
        let mut seen = [false; 4];
        while let Some(key) = map.next_key::<String>()? {
            let section = match key.as_str() {
                "meta" => {
                    if meta.is_some() {
                        return Err(de::Error::duplicate_field("meta"));
                    }
                    meta = Some(map.next_value::<Meta>()?);
                    continue;
                }
                "users" => 0,
                "accounts" => 1,
                "transactions" => 2,
                "persona_labels" => 3,
                other => {
                    return Err(de::Error::unknown_field(other, SECTIONS));
                }
            };
            if std::mem::replace(&mut seen[section], true) {
                return Err(de::Error::custom(format!("duplicate section `{key}`")));
            }
            let state = &mut *self.state;
            match section {
                0 => map.next_value_seed(Rows::<User>::new(state, key))?,
                1 => map.next_value_seed(Rows::<Account>::new(state, key))?,
                2 => map.next_value_seed(Rows::<Transaction>::new(state, key))?,
                _ => map.next_value_seed(Rows::<PersonaLabel>::new(state, key))?,
            }
        }
        // persona_labels may be missing: files written before personas existed lack it.
        for (name, seen) in ["users", "accounts", "transactions"].iter().zip(seen) {
            if !seen {
                return Err(de::Error::missing_field(name));
            }
        }
        meta.ok_or_else(|| de::Error::missing_field("meta"))
    }
}

/// A row type that knows where its batch goes.
trait Row: de::DeserializeOwned {
    fn batch(rows: Vec<Self>) -> RowBatch;
}

impl Row for User {
    fn batch(rows: Vec<Self>) -> RowBatch {
        RowBatch {
            users: rows,
            ..RowBatch::default()
        }
    }
}

impl Row for Account {
    fn batch(rows: Vec<Self>) -> RowBatch {
        RowBatch {
            accounts: rows,
            ..RowBatch::default()
        }
    }
}

impl Row for PersonaLabel {
    fn batch(rows: Vec<Self>) -> RowBatch {
        RowBatch {
            persona_labels: rows,
            ..RowBatch::default()
        }
    }
}

impl Row for Transaction {
    fn batch(rows: Vec<Self>) -> RowBatch {
        RowBatch {
            transactions: rows,
            ..RowBatch::default()
        }
    }
}

struct Rows<'s, 'a, T> {
    state: &'s mut ReadState<'a>,
    section: String,
    row: PhantomData<T>,
}

impl<'s, 'a, T> Rows<'s, 'a, T> {
    fn new(state: &'s mut ReadState<'a>, section: String) -> Self {
        Rows {
            state,
            section,
            row: PhantomData,
        }
    }
}

impl<'de, T: Row> DeserializeSeed<'de> for Rows<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Row> Visitor<'de> for Rows<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.section)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut rows = Vec::with_capacity(self.state.batch_rows);
        let mut index = 0u64;
        loop {
            let row = seq.next_element::<T>().map_err(|e| {
                // serde_json adds the line and column again to the wrapped error.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                de::Error::custom(format!("{} element {index}: {message}", self.section))
            })?;
            let Some(row) = row else { break };
            rows.push(row);
            index += 1;
            if rows.len() == self.state.batch_rows {
                let full = std::mem::replace(&mut rows, Vec::with_capacity(self.state.batch_rows));
                self.state.emit(T::batch(full))?;
            }
        }
        if !rows.is_empty() {
            self.state.emit(T::batch(rows))?;
        }
        Ok(())
    }
}
