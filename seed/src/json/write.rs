//! Writes `users.json` from encoded chunks, atomically: temp files, then one rename.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::assemble::{Piece, assemble, copy_pieces};
#[cfg_attr(not(test), allow(unused_imports))]
use super::encode::encode_serialized;
use super::encode::{Record, encode_nested, nested_pretty};
use crate::dataset::Meta;
use crate::tables::{RowBatch, SECTIONS, with_seeded_tables};

/// One or more users' records, already encoded as JSON array elements, one buffer per section
/// in [`SECTIONS`] order. Each record starts with `,\n    `; the writer drops the comma of a
/// section's first record.
#[derive(Debug, PartialEq, Eq)]
pub struct EncodedRows {
    sections: Vec<Vec<u8>>,
}

impl Default for EncodedRows {
    fn default() -> Self {
        EncodedRows {
            sections: vec![Vec::new(); SECTIONS.len()],
        }
    }
}

impl EncodedRows {
    /// Empties the buffers, keeping their memory.
    pub fn clear(&mut self) {
        self.sections.iter_mut().for_each(Vec::clear);
    }

    /// Appends another chunk's records after these.
    pub fn append(&mut self, other: &EncodedRows) {
        for (mine, theirs) in self.sections.iter_mut().zip(&other.sections) {
            mine.extend_from_slice(theirs);
        }
    }

    /// Bytes of records held.
    pub fn len(&self) -> usize {
        self.sections.iter().map(Vec::len).sum()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

macro_rules! encode_rows {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Appends every row of `rows` to `out`, as pretty JSON array elements two levels
        /// deep, a nested table's rows inside their parents' records. The run's few rows go
        /// through serde_json itself; the users' through their hand-written encoders.
        pub fn encode_rows(rows: &RowBatch, out: &mut EncodedRows) {
            let mut buffers = out.sections.iter_mut();
            $(let buffer = buffers.next().expect("a buffer per section");
            for row in &rows.run.$run {
                encode_serialized(row, buffer);
            })*
            $(let buffer = buffers.next().expect("a buffer per section");
            encode_section!(rows, buffer, $table $($child)?);)*
        }
    };
}

/// One section's records: each row on its own, or each with its children.
macro_rules! encode_section {
    ($rows:ident, $buffer:ident, $table:ident) => {
        for row in &$rows.$table {
            row.encode($buffer);
        }
    };
    ($rows:ident, $buffer:ident, $table:ident $child:ident) => {
        encode_nested(&$rows.$table, &$rows.$child, $buffer)
    };
}
with_seeded_tables!(encode_rows);

/// A section of the file that is written to its own temp file until the end. Dropping it
/// removes the temp file, unless its path was handed on (left empty).
struct Section {
    path: PathBuf,
    file: BufWriter<File>,
    empty: bool,
}

impl Section {
    fn create(path: PathBuf) -> io::Result<Section> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Section {
            path,
            file: BufWriter::with_capacity(1 << 20, file),
            empty: true,
        })
    }

    fn write(&mut self, encoded: &[u8]) -> io::Result<()> {
        if encoded.is_empty() {
            return Ok(());
        }
        let encoded = if self.empty { &encoded[1..] } else { encoded };
        self.empty = false;
        self.file.write_all(encoded)
    }

    fn close(&mut self) -> io::Result<()> {
        self.file
            .write_all(if self.empty { b"]" } else { b"\n  ]" })
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Where the JSON goes: a file, replaced atomically, or standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonOut {
    /// A regular file (or one to create), by the path of the file itself: a symbolic link
    /// is resolved first, so the link stays and its target is replaced.
    File(PathBuf),
    /// Standard output (`--out -`).
    Stdout,
}

/// Streams a dataset into `users.json`. Nothing appears at the destination until
/// [`PreparedJson::swap_in`]: the file there stays the old one if anything fails before.
pub struct JsonWriter {
    /// The file to replace; `None` for standard output.
    destination: Option<PathBuf>,
    /// One per section in [`SECTIONS`] order; the first also holds the header. At the end
    /// they are put together in a file of their own ([`assemble`]).
    sections: Vec<Section>,
    bytes: u64,
}

impl JsonWriter {
    /// Starts a new file for `out`, writing the header with `meta`. The temporary files are
    /// made next to the destination, so the final rename stays on one file system; for
    /// standard output, in the system's temporary directory.
    pub fn create(out: &JsonOut, meta: &Meta) -> anyhow::Result<JsonWriter> {
        let (dir, name, destination) = temp_place(out)?;
        let dir = dir.as_path();
        remove_stale_temp_files(dir, &name);
        if let Some(destination) = &destination {
            drop_cached_pages(destination);
        }
        let mut sections = Vec::with_capacity(SECTIONS.len());
        for (i, section) in SECTIONS.iter().enumerate() {
            let part = if i == 0 { "main" } else { section.name };
            let path = dir.join(temp_name(&name, part));
            let section = Section::create(path.clone())
                .map_err(|e| crate::json::io_error(e, &format!("create {}", path.display())))?;
            sections.push(section);
        }
        let mut writer = JsonWriter {
            destination,
            sections,
            bytes: 0,
        };
        let header = format!(
            "{{\n  \"meta\": {},\n  \"{}\": [",
            nested_pretty(meta, 1),
            SECTIONS[0].name
        );
        writer.sections[0]
            .file
            .write_all(header.as_bytes())
            .context("write json header")?;
        Ok(writer)
    }

    /// Appends encoded records.
    pub fn write(&mut self, encoded: &EncodedRows) -> anyhow::Result<()> {
        for ((file, section), records) in self
            .sections
            .iter_mut()
            .zip(SECTIONS)
            .zip(&encoded.sections)
        {
            file.write(records).map_err(|e| {
                crate::json::io_error(e, &format!("write the {} of the JSON", section.name))
            })?;
        }
        self.bytes += encoded.len() as u64;
        Ok(())
    }

    /// Assembles the complete file next to the destination and syncs it to disk. For
    /// standard output, only closes the sections: they go out one after the other at the
    /// swap, so the run never holds a second copy of them on disk, nor waits for one.
    pub fn finish(mut self) -> anyhow::Result<PreparedJson> {
        let Some(destination) = self.destination.clone() else {
            let rest = self
                .close_all()
                .map_err(|e| crate::json::io_error(e, "write the JSON for standard output"))?;
            let prepared = PreparedJson {
                temp: std::mem::take(&mut self.sections[0].path),
                rest,
                destination: None,
                bytes: self.bytes,
                done: false,
            };
            // Every temp file now belongs to `prepared`.
            self.sections
                .iter_mut()
                .for_each(|s| s.path = PathBuf::new());
            return Ok(prepared);
        };
        let temp = sibling(&destination, "file");
        if let Err(e) = self.assemble(&temp) {
            let _ = fs::remove_file(&temp);
            return Err(crate::json::io_error(
                e,
                &format!("write {}", destination.display()),
            ));
        }
        Ok(PreparedJson {
            temp,
            rest: Vec::new(),
            destination: Some(destination),
            bytes: self.bytes,
            done: false,
        })
    }

    /// Closes every section; returns the later ones' temp files, each with the bytes that go
    /// before it in the file ([`FILE_END`] follows the last).
    fn close_all(&mut self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut rest = Vec::with_capacity(SECTIONS.len() - 1);
        for (i, (file, section)) in self.sections.iter_mut().zip(SECTIONS).enumerate() {
            file.close()?;
            file.file.flush()?;
            if i > 0 {
                rest.push((format!(",\n  \"{}\": [", section.name), file.path.clone()));
            }
        }
        Ok(rest)
    }

    /// Puts the file together at `path`, next to the destination, from the sections' temp
    /// files ([`assemble`]), syncs it to disk and removes the temp files.
    fn assemble(&mut self, path: &Path) -> io::Result<()> {
        let rest = self.close_all()?;
        let later = rest
            .iter()
            .zip(&self.sections[1..])
            .map(|((before, _), section)| (before.as_str(), section.file.get_ref()));
        let pieces = file_pieces(self.sections[0].file.get_ref(), later)?;
        let file = assemble(path, &pieces)?;
        drop(pieces);
        // The temp files go while the file syncs, rather than after (the kernel drops a
        // file's cached pages, written or not, as its last descriptor closes).
        let sections = std::mem::take(&mut self.sections);
        std::thread::scope(|scope| {
            scope.spawn(move || drop(sections));
            file.sync_all()
        })
    }
}

/// Asks the kernel, on a thread of its own, to drop the pages it caches of the file at
/// `path`, which this run will replace. The file itself is untouched: it stays the
/// destination until the swap, and stays so if the run fails. Only its copy in memory goes,
/// while generation runs, rather than when the swap unlinks it at the run's end, with
/// nothing else running beside it (318 MiB of 10,000 story users: about 25 ms of 70). Dirty
/// pages are not dropped, and if the advice fails the pages go at the unlink, as before.
fn drop_cached_pages(path: &Path) {
    let Ok(file) = File::open(path) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
    });
}

/// The file's last bytes, after its last section.
const FILE_END: &[u8] = b"\n}\n";

/// The whole file as pieces: `main` (the header and the first section), then each later
/// section's file with the bytes that go before it, then [`FILE_END`].
fn file_pieces<'a>(
    main: &'a File,
    later: impl IntoIterator<Item = (&'a str, &'a File)>,
) -> io::Result<Vec<Piece<'a>>> {
    let piece = |file: &'a File| Ok::<_, io::Error>(Piece::File(file, file.metadata()?.len()));
    let mut pieces = vec![piece(main)?];
    for (before, file) in later {
        pieces.push(Piece::Bytes(before.as_bytes()));
        pieces.push(piece(file)?);
    }
    pieces.push(Piece::Bytes(FILE_END));
    Ok(pieces)
}

/// Removes the temp files that killed runs left next to `destination` (see
/// [`remove_stale_temp_files`]); for a run that writes it only at its end.
pub fn remove_stale_temp_files_of(destination: &Path) {
    if let (Some(dir), Some(name)) = (destination.parent(), destination.file_name()) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        remove_stale_temp_files(dir, &name.to_string_lossy());
    }
}

/// Removes temp files that a killed run (SIGKILL, power loss) left next to the destination:
/// those whose process no longer exists. Only where `/proc` tells which processes live.
fn remove_stale_temp_files(dir: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let Some((_, pid)) = rest.rsplit_once(".tmp-") else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A complete `users.json` waiting next to its destination for the final rename.
pub struct PreparedJson {
    temp: PathBuf,
    /// For standard output: the later sections' temp files, each with the bytes that go
    /// before it, written after `temp`; the file's last bytes follow them.
    rest: Vec<(String, PathBuf)>,
    destination: Option<PathBuf>,
    bytes: u64,
    done: bool,
}

impl PreparedJson {
    /// A JSON file that `write` writes for `out`: written next to its destination (standard
    /// output's goes to the temporary directory) and synced, ready to swap in with a commit,
    /// as `users.json` is.
    pub fn write(
        out: &JsonOut,
        write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<PreparedJson> {
        let (temp, destination) = match out {
            JsonOut::File(destination) => (sibling(destination, "new"), Some(destination.clone())),
            JsonOut::Stdout => (
                std::env::temp_dir().join(format!(".seed-stdout.json.tmp-{}", std::process::id())),
                None,
            ),
        };
        let what = temp.display().to_string();
        let file =
            File::create(&temp).map_err(|e| crate::json::io_error(e, &format!("create {what}")))?;
        let mut prepared = PreparedJson {
            temp,
            rest: Vec::new(),
            destination,
            bytes: 0,
            done: false,
        };
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| crate::json::io_error(e.into_error(), &format!("write {what}")))?;
        file.sync_all()
            .map_err(|e| crate::json::io_error(e, &format!("write {what}")))?;
        prepared.bytes = file.metadata().map_or(0, |m| m.len());
        Ok(prepared)
    }

    /// Bytes of records written (not counting the enclosing structure).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Puts the new file in the destination's place, keeping the old file aside (a hard link,
    /// or a copy where links do not work) until [`SwappedJson::keep`] deletes it or
    /// [`SwappedJson::restore`] puts it back. For standard output, writes the file out.
    pub fn swap_in(mut self) -> anyhow::Result<SwappedJson> {
        let Some(destination) = self.destination.clone() else {
            let mut file = File::open(&self.temp).context("read the JSON back")?;
            // Through a file of its own rather than `io::stdout()`, which reports success
            // for writes to a closed descriptor: the run must fail, before its commit, if
            // the JSON cannot be written.
            let stdout = io::stdout();
            let _lock = stdout.lock();
            stdout
                .as_fd()
                .try_clone_to_owned()
                .map(File::from)
                .and_then(|mut out| {
                    if self.rest.is_empty() {
                        return io::copy(&mut file, &mut out).map(drop);
                    }
                    let later = self
                        .rest
                        .iter()
                        .map(|(before, part)| Ok((before.as_str(), File::open(part)?)))
                        .collect::<io::Result<Vec<_>>>()?;
                    let later = later.iter().map(|(before, part)| (*before, part));
                    copy_pieces(&out, &file_pieces(&file, later)?)
                })
                .map_err(|e| crate::json::io_error(e, "write the JSON to standard output"))?;
            return Ok(SwappedJson {
                destination: None,
                backup: None,
                resolved: true,
            });
        };
        let backup = if destination.exists() {
            let backup = sibling(&destination, "backup");
            let _ = fs::remove_file(&backup);
            fs::hard_link(&destination, &backup)
                .or_else(|_| fs::copy(&destination, &backup).map(drop))
                .with_context(|| format!("keep {} aside", destination.display()))?;
            Some(backup)
        } else {
            None
        };
        if let Err(e) = fs::rename(&self.temp, &destination) {
            if let Some(backup) = &backup {
                let _ = fs::remove_file(backup);
            }
            return Err(crate::json::io_error(
                e,
                &format!("rename into {}", destination.display()),
            ));
        }
        self.done = true;
        sync_dir(&destination);
        Ok(SwappedJson {
            destination: Some(destination),
            backup,
            resolved: false,
        })
    }
}

impl Drop for PreparedJson {
    fn drop(&mut self) {
        for (_, part) in &self.rest {
            let _ = fs::remove_file(part);
        }
        if !self.done {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A new `users.json` in place, with the old one kept aside until the run is sure. Dropped
/// without [`SwappedJson::keep`], it puts the old file back.
pub struct SwappedJson {
    destination: Option<PathBuf>,
    backup: Option<PathBuf>,
    resolved: bool,
}

impl SwappedJson {
    /// The new file stays; the old one is deleted.
    pub fn keep(mut self) {
        self.resolved = true;
        if let Some(backup) = &self.backup {
            let _ = fs::remove_file(backup);
        }
    }

    /// The old file goes back (or, if there was none, the new one goes away).
    pub fn restore(mut self) -> anyhow::Result<()> {
        self.resolved = true;
        self.put_back()
    }

    fn put_back(&self) -> anyhow::Result<()> {
        let Some(destination) = &self.destination else {
            return Ok(());
        };
        match &self.backup {
            Some(backup) => fs::rename(backup, destination).with_context(|| {
                format!(
                    "put the previous {} back (it is at {})",
                    destination.display(),
                    backup.display()
                )
            })?,
            None => fs::remove_file(destination)
                .with_context(|| format!("remove the new {}", destination.display()))?,
        }
        sync_dir(destination);
        Ok(())
    }
}

impl Drop for SwappedJson {
    fn drop(&mut self) {
        if !self.resolved {
            let _ = self.put_back();
        }
    }
}

/// `.NAME.PART.tmp-PID` beside `destination`: where this process keeps a part of it.
fn sibling(destination: &Path, part: &str) -> PathBuf {
    let name = destination
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    destination.with_file_name(temp_name(&name, part))
}

/// `.NAME.PART.tmp-PID`: the name of this process's temp file for a part of the file `name`
/// (what [`remove_stale_temp_files`] looks for).
fn temp_name(name: &str, part: &str) -> String {
    format!(".{name}.{part}.tmp-{}", std::process::id())
}

/// Where a writer for `out` keeps its temp files and what they are named after: the
/// destination's directory and file name, and the destination itself; for standard output,
/// the system's temporary directory.
fn temp_place(out: &JsonOut) -> anyhow::Result<(PathBuf, String, Option<PathBuf>)> {
    Ok(match out {
        JsonOut::File(destination) => {
            let dir = match destination.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !dir.is_dir() {
                anyhow::bail!(
                    "cannot write {}: directory {} does not exist",
                    destination.display(),
                    dir.display()
                );
            }
            let name = destination
                .file_name()
                .with_context(|| format!("{} is not a file path", destination.display()))?
                .to_string_lossy()
                .into_owned();
            (dir, name, Some(destination.clone()))
        }
        JsonOut::Stdout => (std::env::temp_dir(), "seed-stdout.json".to_owned(), None),
    })
}

/// Makes a rename in `path`'s directory durable; failure to sync a directory is not fatal.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}
