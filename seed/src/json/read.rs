//! Reads `users.json` as a stream, handing rows on in batches; memory stays flat at any size.
//!
//! The file is read in blocks. A small framer walks the top-level object and its arrays
//! (keys, colons, commas, brackets), and serde_json parses each value, a section's record or
//! `meta`, from the block as a slice: a slice parser scans strings a word at a time, where a
//! reader parser takes the bytes one by one. A record cut by the block's end is parsed again
//! once the next block is in. An error names the line and column in the file, counted when
//! it happens.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::Context;
use backend::{Account, PersonaLabel, Transaction, User};
use serde::de::{self, DeserializeOwned};

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

/// Reads `path`, calling `sink` with the file's `meta` and batches of one section's rows, in
/// file order: a batch is handed on once it holds `batch_rows` rows, a stream counted with its
/// links, so it holds fewer than `batch_rows` plus its last record's rows (the section's last
/// batch may hold fewer). `meta` must come before the sections (the seeder always writes it
/// first), so that every batch is handed on with it. Fails with the line and column where the
/// file stops making sense, or with the sink's own error.
pub fn read_json(
    path: &Path,
    batch_rows: usize,
    sink: &mut RowSink<'_>,
) -> anyhow::Result<JsonSource> {
    read_in_blocks(path, batch_rows, sink, BLOCK)
}

/// [`read_json`], reading `block` bytes at a time.
fn read_in_blocks(
    path: &Path,
    batch_rows: usize,
    sink: &mut RowSink<'_>,
    block: usize,
) -> anyhow::Result<JsonSource> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut state = ReadState {
        sink,
        meta: None,
        batch_rows: batch_rows.max(1),
        counts: RowCounts::default(),
    };
    let mut blocks = Blocks::new(file, block);
    let meta = match read_top(&mut blocks, &mut state) {
        Ok(meta) => meta,
        Err(Failure::Sink(e)) => return Err(e),
        Err(Failure::Io(e)) => {
            return Err(super::io_error(e, &format!("read {}", path.display())));
        }
        Err(Failure::Json { message, at }) => {
            let (line, column) =
                position(path, at).with_context(|| format!("{}: {message}", path.display()))?;
            anyhow::bail!(
                "{}: {message} at line {line} column {column}",
                path.display()
            );
        }
    };
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

/// Why reading stopped.
enum Failure {
    /// The file is not a dataset: what is wrong, and the byte offset where, to be told as a
    /// line and column.
    Json { message: String, at: u64 },
    /// The file could not be read.
    Io(io::Error),
    /// The sink refused a batch.
    Sink(anyhow::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

struct ReadState<'a> {
    sink: &'a mut RowSink<'a>,
    /// The file's `meta`, once read.
    meta: Option<Meta>,
    batch_rows: usize,
    counts: RowCounts,
}

impl ReadState<'_> {
    fn emit(&mut self, batch: RowBatch) -> Result<(), Failure> {
        self.counts.add(batch.counts());
        let meta = self
            .meta
            .as_ref()
            .expect("sections are read only after meta");
        (self.sink)(meta, batch).map_err(Failure::Sink)
    }
}

/// What the top-level object is expected to be, for messages.
fn expected() -> String {
    let names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
    format!("expected an object with meta and {}", names.join(", "))
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

/// A message as serde words it, through serde_json's own error type.
fn serde_message(error: serde_json::Error) -> String {
    error.to_string()
}

/// Reads the top-level object: `meta`, then the sections, each at most once.
fn read_top(blocks: &mut Blocks, state: &mut ReadState<'_>) -> Result<Meta, Failure> {
    match blocks.next_byte()? {
        Some(b'{') => blocks.advance(1),
        _ => return Err(blocks.fail(expected())),
    }
    let mut seen = [false; SECTIONS.len()];
    let mut first = true;
    loop {
        match blocks.next_byte()? {
            Some(b'}') if first => {
                blocks.advance(1);
                break;
            }
            Some(b'"') => {}
            Some(_) => return Err(blocks.fail("key must be a string".into())),
            None => return Err(blocks.fail("EOF while parsing an object".into())),
        }
        let key_at = blocks.at();
        let key: String = blocks.value(String::new)?;
        // What is wrong with a key is placed at the key.
        let fail_key = |message: String| Failure::Json {
            message,
            at: key_at,
        };
        match blocks.next_byte()? {
            Some(b':') => blocks.advance(1),
            Some(_) => return Err(blocks.fail("expected `:`".into())),
            None => return Err(blocks.fail("EOF while parsing an object".into())),
        }
        if key == "meta" {
            if state.meta.is_some() {
                return Err(fail_key(serde_message(de::Error::duplicate_field("meta"))));
            }
            state.meta = Some(blocks.value(|| "meta: ".to_owned())?);
        } else {
            let Some(section) = SECTIONS.iter().position(|s| s.name == key) else {
                return Err(fail_key(serde_message(de::Error::unknown_field(
                    &key, &KEYS,
                ))));
            };
            if state.meta.is_none() {
                return Err(fail_key(format!(
                    "section `{key}` comes before `meta`; meta must come first"
                )));
            }
            if std::mem::replace(&mut seen[section], true) {
                return Err(fail_key(format!("duplicate section `{key}`")));
            }
            read_section(blocks, SECTIONS[section], state)?;
        }
        first = false;
        match blocks.next_byte()? {
            Some(b',') => blocks.advance(1),
            Some(b'}') => {
                blocks.advance(1);
                break;
            }
            Some(_) => return Err(blocks.fail("expected `,` or `}`".into())),
            None => return Err(blocks.fail("EOF while parsing an object".into())),
        }
    }
    if blocks.next_byte()?.is_some() {
        return Err(blocks.fail("trailing characters".into()));
    }
    // A section marked optional may be missing: files written before it existed lack it.
    for (section, seen) in SECTIONS.iter().zip(seen) {
        if !seen && !section.optional {
            return Err(blocks.fail(serde_message(de::Error::missing_field(section.name))));
        }
    }
    state
        .meta
        .take()
        .ok_or_else(|| blocks.fail(serde_message(de::Error::missing_field("meta"))))
}

macro_rules! read_section {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Reads the array of `section`'s records, handing their rows on in batches.
        fn read_section(
            blocks: &mut Blocks,
            section: Section,
            state: &mut ReadState<'_>,
        ) -> Result<(), Failure> {
            $(if section.name == stringify!($run) {
                return read_rows::<$run_model>(blocks, section, state, |batch, row| {
                    batch.run.$run.push(row);
                    1
                });
            })*
            $(if section.name == stringify!($table) {
                return read_records!(blocks, section, state, $table: $model $($record)?);
            })*
            unreachable!("every section has a branch")
        }
    };
}

/// Reads one section: records that are rows, or records that [`StreamRecord::push_into`]
/// and its kind split into rows.
macro_rules! read_records {
    ($blocks:ident, $section:ident, $state:ident, $table:ident: $model:ident) => {
        read_rows::<$model>($blocks, $section, $state, |batch, row| {
            batch.$table.push(row);
            1
        })
    };
    ($blocks:ident, $section:ident, $state:ident, $table:ident: $model:ident $record:ident) => {
        read_rows::<$record>($blocks, $section, $state, |batch, record| {
            record.push_into(batch)
        })
    };
}
with_seeded_tables!(read_section);

/// Reads one section's array of records into batches of rows, adding each record to a
/// [`RowBatch`] with `push`, which says how many rows the record made. A batch is handed on
/// once it holds `batch_rows` rows or more: a stream counts with its links, so that a batch
/// of streams is no larger in memory than a batch of transactions.
fn read_rows<T: DeserializeOwned>(
    blocks: &mut Blocks,
    section: Section,
    state: &mut ReadState<'_>,
    push: fn(&mut RowBatch, T) -> usize,
) -> Result<(), Failure> {
    match blocks.next_byte()? {
        Some(b'[') => blocks.advance(1),
        Some(_) => return Err(blocks.fail(format!("expected an array of {}", section.name))),
        None => return Err(blocks.fail("EOF while parsing a value".into())),
    }
    let mut batch = RowBatch::default();
    let mut in_batch = 0;
    let mut index = 0u64;
    if blocks.next_byte()? == Some(b']') {
        blocks.advance(1);
        return Ok(());
    }
    loop {
        let record: T = blocks.value(|| format!("{} element {index}: ", section.name))?;
        in_batch += push(&mut batch, record);
        index += 1;
        if in_batch >= state.batch_rows {
            state.emit(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
        match blocks.next_byte()? {
            Some(b',') => {
                blocks.advance(1);
                if blocks.next_byte()? == Some(b']') {
                    return Err(blocks.fail("trailing comma".into()));
                }
            }
            Some(b']') => {
                blocks.advance(1);
                break;
            }
            Some(_) => return Err(blocks.fail("expected `,` or `]`".into())),
            None => return Err(blocks.fail("EOF while parsing a list".into())),
        }
    }
    if in_batch > 0 {
        state.emit(batch)?;
    }
    Ok(())
}

/// Bytes of the file read so far and not yet consumed.
struct Blocks {
    file: File,
    buf: Vec<u8>,
    /// The first byte not yet consumed.
    start: usize,
    /// The end of the bytes read.
    end: usize,
    /// The file offset of `buf[0]`.
    offset: u64,
    /// Whether the file has been read to its end.
    eof: bool,
}

/// Bytes read at a time; a value longer than this makes the buffer grow to hold it whole.
const BLOCK: usize = 1 << 20;

impl Blocks {
    fn new(file: File, block: usize) -> Blocks {
        Blocks {
            file,
            buf: vec![0; block.max(1)],
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
    }

    /// Reads more of the file after the bytes held, moving those to the front (or growing
    /// the buffer when they fill it). Returns false at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.offset += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let read = loop {
            match self.file.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read?,
            }
        };
        self.end += read;
        self.eof = read == 0;
        Ok(read > 0)
    }

    /// Skips whitespace and returns the next byte, not consuming it; None at the end of the
    /// file.
    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        loop {
            while self.start < self.end {
                match self.buf[self.start] {
                    b' ' | b'\n' | b'\r' | b'\t' => self.start += 1,
                    byte => return Ok(Some(byte)),
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn advance(&mut self, n: usize) {
        self.start += n;
    }

    /// The file offset of the next byte not consumed.
    fn at(&self) -> u64 {
        self.offset + self.start as u64
    }

    fn fail(&self, message: String) -> Failure {
        Failure::Json {
            message,
            at: self.at(),
        }
    }

    /// Parses the next value, after whitespace, as a `T`; an error's message starts with
    /// what `context` says.
    fn value<T: DeserializeOwned>(
        &mut self,
        context: impl FnOnce() -> String,
    ) -> Result<T, Failure> {
        if self.next_byte()?.is_none() {
            return Err(self.fail(format!("{}EOF while parsing a value", context())));
        }
        loop {
            let held = &self.buf[self.start..self.end];
            let mut values = serde_json::Deserializer::from_slice(held).into_iter::<T>();
            let (parsed, used, held) = (values.next(), values.byte_offset(), held.len());
            // A value cut by the end of the bytes held, or one that ends where they do (a
            // number may go on in the next block), is parsed again with more bytes.
            let cut = match &parsed {
                Some(Ok(_)) => used == held,
                Some(Err(e)) => e.is_eof(),
                None => true,
            };
            if cut && self.fill()? {
                continue;
            }
            match parsed {
                Some(Ok(value)) => {
                    self.start += used;
                    return Ok(value);
                }
                Some(Err(e)) => {
                    // serde_json counts lines and columns from the start of the slice: the
                    // error is placed from its own count.
                    let message = e.to_string();
                    let place = format!(" at line {} column {}", e.line(), e.column());
                    let message = message.strip_suffix(&place).unwrap_or(&message);
                    let held = &self.buf[self.start..self.end];
                    let at = self.at() + offset_of(held, e.line(), e.column());
                    return Err(Failure::Json {
                        message: format!("{}{message}", context()),
                        at,
                    });
                }
                None => {
                    return Err(self.fail(format!("{}EOF while parsing a value", context())));
                }
            }
        }
    }
}

/// The offset in `bytes` of serde_json's `line` (from 1) and `column` (a line's bytes
/// counted from 1, and 0 before its first).
fn offset_of(bytes: &[u8], line: usize, column: usize) -> u64 {
    let mut at = 0;
    for _ in 1..line {
        match bytes[at..].iter().position(|&b| b == b'\n') {
            Some(newline) => at += newline + 1,
            None => return bytes.len() as u64,
        }
    }
    (at + column.saturating_sub(1)).min(bytes.len()) as u64
}

/// The line (from 1) and column (serde_json's count: bytes into the line, the byte at
/// `at` included) of the byte at offset `at` of the file at `path`. Only an error asks, so
/// the file is read again rather than lines counted while it is parsed.
fn position(path: &Path, at: u64) -> io::Result<(u64, u64)> {
    let mut file = File::open(path)?.take(at);
    let mut buf = vec![0; BLOCK];
    let (mut line, mut column) = (1, 0);
    loop {
        let read = file.read(&mut buf)?;
        if read == 0 {
            break;
        }
        let block = &buf[..read];
        match block.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                line += block.iter().filter(|&&b| b == b'\n').count() as u64;
                column = (read - last - 1) as u64;
            }
            None => column += read as u64,
        }
    }
    Ok((line, column + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use crate::generate::{GenConfig, generate_run, generate_user};
    use crate::profile::Profile;
    use chrono::NaiveDate;

    /// A dataset of both profiles' users, with every section filled.
    fn dataset() -> Dataset {
        let as_of = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let config = GenConfig::with_profile(7, as_of, Profile::calibrated());
        let meta = config.meta(4);
        let run = RowBatch {
            run: generate_run(&config),
            ..RowBatch::default()
        };
        let users = (0..4).map(|i| generate_user(&config, i));
        Dataset::from_batches(meta, std::iter::once(run).chain(users))
    }

    fn read(path: &Path, block: usize) -> anyhow::Result<Dataset> {
        let mut rows = RowBatch::default();
        let source = read_in_blocks(
            path,
            5,
            &mut |_, mut batch| {
                rows.append(&mut batch);
                Ok(())
            },
            block,
        )?;
        Ok(Dataset::new(source.meta, rows))
    }

    #[test]
    fn values_cut_by_any_block_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let data = dataset();
        assert!(!data.transactions.is_empty() && !data.recurring_streams.is_empty());
        let path = dir.path().join("d.json");
        for bytes in [
            serde_json::to_vec_pretty(&data).unwrap(),
            serde_json::to_vec(&data).unwrap(),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            for block in [1, 2, 3, 7, 64, 1000, 4096, BLOCK] {
                assert_eq!(read(&path, block).unwrap(), data, "block of {block}");
            }
        }
    }

    #[test]
    fn a_batch_of_streams_counts_their_links_as_rows() {
        let dir = tempfile::tempdir().unwrap();
        let data = dataset();
        let path = dir.path().join("d.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&data).unwrap()).unwrap();
        let batch_rows = 20;
        let mut batches = Vec::new();
        read_in_blocks(
            &path,
            batch_rows,
            &mut |_, batch| {
                batches.push(batch.counts());
                Ok(())
            },
            BLOCK,
        )
        .unwrap();
        let streams: Vec<&RowCounts> = batches.iter().filter(|c| c.recurring_streams > 0).collect();
        // Several batches of streams, each carrying links; none but the last stops short of
        // `batch_rows`, and none goes past it by more than its last stream's rows.
        assert!(streams.len() > 2, "{streams:?}");
        assert!(streams.iter().all(|c| c.recurring_stream_transactions > 0));
        let longest = data
            .recurring_streams
            .iter()
            .map(|s| 1 + s.transaction_ids.len() as u64)
            .max()
            .unwrap();
        for (i, counts) in streams.iter().enumerate() {
            let rows = counts.total();
            assert!(rows < batch_rows as u64 + longest, "{counts:?}");
            if i + 1 < streams.len() {
                assert!(rows >= batch_rows as u64, "{counts:?}");
            }
        }
        let links: u64 = streams
            .iter()
            .map(|c| c.recurring_stream_transactions)
            .sum();
        let expected: usize = data
            .recurring_streams
            .iter()
            .map(|s| s.transaction_ids.len())
            .sum();
        assert_eq!(links, expected as u64);
    }

    /// The ` at line L column C` of an error's message.
    fn place(message: &str) -> &str {
        &message[message.rfind(" at line ").expect(message)..]
    }

    #[test]
    fn an_error_is_placed_where_serde_json_places_it_in_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = dataset();
        let text = serde_json::to_string_pretty(&data).unwrap();
        let id = &data.transactions[3].id;
        let at = text.find(id.as_str()).unwrap();
        let amount = at + text[at..].find("\"amount\": ").unwrap();
        let end = amount + text[amount..].find(',').unwrap();
        let broken = [
            // A value of the wrong type inside a record.
            format!("{}\"amount\": \"lots\"{}", &text[..amount], &text[end..]),
            // A record's syntax broken: a comma gone.
            format!("{}\"amount\": 5 {}", &text[..amount], &text[end + 1..]),
            // The file cut in a record.
            text[..amount + 3].to_owned(),
        ];
        let path = dir.path().join("bad.json");
        for broken in broken {
            std::fs::write(&path, &broken).unwrap();
            let whole = serde_json::from_str::<Dataset>(&broken)
                .unwrap_err()
                .to_string();
            for block in [3, 64, BLOCK] {
                let error = format!("{:#}", read(&path, block).unwrap_err());
                assert_eq!(place(&error), place(&whole), "{error} / {whole}");
                assert_eq!(error.lines().count(), 1, "{error}");
            }
        }
    }

    #[test]
    fn the_top_level_shape_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        let meta = r#"{"seed": 1, "as_of": "2025-01-01", "num_users": 0, "generator": "g"}"#;
        // Every section, empty, but the one named.
        let sections_but = |left_out: &str| {
            let sections: Vec<String> = SECTIONS
                .iter()
                .filter(|s| s.name != left_out)
                .map(|s| format!(r#""{}": []"#, s.name))
                .collect();
            sections.join(", ")
        };
        let sections = sections_but("");
        let user = serde_json::to_string(&dataset().users[0]).unwrap();
        for (text, expected) in [
            ("[1, 2]".to_owned(), "expected an object with meta and "),
            (
                format!(r#"{{"meta": {meta}, {sections}}} x"#),
                "trailing characters at line 1",
            ),
            (
                format!(r#"{{{sections}, "meta": {meta}}}"#),
                "comes before `meta`; meta must come first",
            ),
            (
                format!(r#"{{"meta": {meta}, "users": [], "users": []}}"#),
                "duplicate section `users`",
            ),
            (
                format!(r#"{{"meta": {meta}, "cars": []}}"#),
                "unknown field `cars`, expected one of `meta`, ",
            ),
            (
                format!(r#"{{"meta": {meta}, "users": [,]}}"#),
                "users element 0: expected value",
            ),
            (
                format!(r#"{{"meta": {meta}, "users": [] "accounts": []}}"#),
                "expected `,` or `}`",
            ),
            (
                format!(r#"{{"meta": {meta}, "users": [{user}, ]}}"#),
                "trailing comma",
            ),
            (
                format!(r#"{{"meta": {meta}, "users": []"#),
                "EOF while parsing an object",
            ),
            (
                format!(r#"{{"meta": {meta}, {}}}"#, sections_but("transactions")),
                "missing field `transactions`",
            ),
        ] {
            std::fs::write(&path, &text).unwrap();
            let error = format!("{:#}", read(&path, 4).unwrap_err());
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.contains(" at line 1 column "), "{text}: {error}");
        }
        // Whitespace anywhere between tokens, and no sections with rows.
        let text = format!("\n {{ \"meta\" :\t{meta} ,\r\n{sections} }}\n\n");
        std::fs::write(&path, &text).unwrap();
        let read = read(&path, 2).unwrap();
        assert_eq!(read.meta.num_users, 0);
    }
}
