//! Reads `users.json` as a stream, handing rows on in batches; memory stays flat at any size.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use backend::{Account, PersonaLabel, Transaction, User};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::dataset::Meta;
use crate::tables::{RowBatch, RowCounts, SECTIONS, Section, StreamRecord, with_seeded_tables};

/// What a whole file held, once it has been read to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSource {
    /// The file's `meta` object.
    pub meta: Meta,
    /// Rows per table.
    pub counts: RowCounts,
}

/// What [`read_json`] hands each batch of rows to, with the file's `meta`.
pub type RowSink<'a> = dyn FnMut(&Meta, RowBatch) -> anyhow::Result<()> + 'a;

/// Reads `path`, calling `sink` with the file's `meta` and batches of at most `batch_rows`
/// rows of one table, in file order. `meta` must come before the sections (the seeder
/// always writes it first), so that every batch is handed on with it. Fails with the line
/// and column where the file stops making sense, or with the sink's own error.
pub fn read_json(
    path: &Path,
    batch_rows: usize,
    sink: &mut RowSink<'_>,
) -> anyhow::Result<JsonSource> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = ReadState {
        sink,
        meta: None,
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
    sink: &'a mut RowSink<'a>,
    /// The file's `meta`, once read.
    meta: Option<Meta>,
    batch_rows: usize,
    sink_error: Option<anyhow::Error>,
    counts: RowCounts,
}

impl ReadState<'_> {
    fn emit<E: de::Error>(&mut self, batch: RowBatch) -> Result<(), E> {
        self.counts.add(batch.counts());
        let meta = self
            .meta
            .as_ref()
            .expect("sections are read only after meta");
        (self.sink)(meta, batch).map_err(|e| {
            self.sink_error = Some(e);
            E::custom("loading stopped")
        })
    }
}

struct TopVisitor<'s, 'a> {
    state: &'s mut ReadState<'a>,
}

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = Meta;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        write!(f, "an object with meta and {}", names.join(", "))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
        let mut seen = [false; SECTIONS.len()];
        while let Some(key) = map.next_key::<String>()? {
            if key == "meta" {
                if self.state.meta.is_some() {
                    return Err(de::Error::duplicate_field("meta"));
                }
                self.state.meta = Some(map.next_value::<Meta>()?);
                continue;
            }
            let Some(section) = SECTIONS.iter().position(|s| s.name == key) else {
                return Err(de::Error::unknown_field(&key, &KEYS));
            };
            if self.state.meta.is_none() {
                return Err(de::Error::custom(format!(
                    "section `{key}` comes before `meta`; meta must come first"
                )));
            }
            if std::mem::replace(&mut seen[section], true) {
                return Err(de::Error::custom(format!("duplicate section `{key}`")));
            }
            read_section(&mut map, SECTIONS[section], &mut *self.state)?;
        }
        // A section marked optional may be missing: files written before it existed lack it.
        for (section, seen) in SECTIONS.iter().zip(seen) {
            if !seen && !section.optional {
                return Err(de::Error::missing_field(section.name));
            }
        }
        self.state
            .meta
            .take()
            .ok_or_else(|| de::Error::missing_field("meta"))
    }
}

/// Every key the top-level object may have.
const KEYS: [&str; SECTIONS.len() + 1] = {
    let mut names = ["meta"; SECTIONS.len() + 1];
    let mut i = 0;
    while i < SECTIONS.len() {
        names[i + 1] = SECTIONS[i].name;
        i += 1;
    }
    names
};

macro_rules! read_section {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Reads the array of `section`'s records, handing their rows on in batches.
        fn read_section<'de, A: MapAccess<'de>>(
            map: &mut A,
            section: Section,
            state: &mut ReadState<'_>,
        ) -> Result<(), A::Error> {
            $(if section.name == stringify!($run) {
                return map.next_value_seed(Rows::<$run_model>::new(state, section, |batch, row| {
                    batch.run.$run.push(row)
                }));
            })*
            $(if section.name == stringify!($table) {
                return read_records!(map, section, state, $table: $model $($record)?);
            })*
            unreachable!("every section has a branch")
        }
    };
}

/// Reads one section: records that are rows, or records that [`StreamRecord::push_into`]
/// and its kind split into rows.
macro_rules! read_records {
    ($map:ident, $section:ident, $state:ident, $table:ident: $model:ident) => {
        $map.next_value_seed(Rows::<$model>::new($state, $section, |batch, row| {
            batch.$table.push(row)
        }))
    };
    ($map:ident, $section:ident, $state:ident, $table:ident: $model:ident $record:ident) => {
        $map.next_value_seed(Rows::<$record>::new($state, $section, |batch, record| {
            record.push_into(batch)
        }))
    };
}
with_seeded_tables!(read_section);

/// Reads one section's records into batches of rows, adding each record to a [`RowBatch`]
/// with `push`.
struct Rows<'s, 'a, T> {
    state: &'s mut ReadState<'a>,
    section: Section,
    push: fn(&mut RowBatch, T),
}

impl<'s, 'a, T> Rows<'s, 'a, T> {
    fn new(state: &'s mut ReadState<'a>, section: Section, push: fn(&mut RowBatch, T)) -> Self {
        Rows {
            state,
            section,
            push,
        }
    }
}

impl<'de, T: de::DeserializeOwned> DeserializeSeed<'de> for Rows<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: de::DeserializeOwned> Visitor<'de> for Rows<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.section.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = RowBatch::default();
        let mut in_batch = 0;
        let mut index = 0u64;
        loop {
            let record = seq.next_element::<T>().map_err(|e| {
                // serde_json adds the line and column again to the wrapped error.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                de::Error::custom(format!("{} element {index}: {message}", self.section.name))
            })?;
            let Some(record) = record else { break };
            (self.push)(&mut batch, record);
            index += 1;
            in_batch += 1;
            if in_batch == self.state.batch_rows {
                self.state.emit(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        if in_batch > 0 {
            self.state.emit(batch)?;
        }
        Ok(())
    }
}
