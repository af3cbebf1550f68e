//! Writes `users.json` from encoded chunks, atomically: temp files, then one rename.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::encode::Record;
use super::encode::nested_pretty;
use crate::dataset::{Meta, UserBundle};

/// One or more users' records, already encoded as JSON array elements. Each record starts
/// with `,\n    `; the writer drops the comma of a section's first record.
#[derive(Debug, Default)]
pub struct EncodedRows {
    /// Encoded `users` elements.
    pub users: Vec<u8>,
    /// Encoded `accounts` elements.
    pub accounts: Vec<u8>,
    /// Encoded `transactions` elements.
    pub transactions: Vec<u8>,
    /// Encoded `persona_labels` elements.
    pub persona_labels: Vec<u8>,
}

impl EncodedRows {
    /// Empties the buffers, keeping their memory.
    pub fn clear(&mut self) {
        self.users.clear();
        self.accounts.clear();
        self.transactions.clear();
        self.persona_labels.clear();
    }

    /// Appends another chunk's records after these.
    pub fn append(&mut self, other: &EncodedRows) {
        self.users.extend_from_slice(&other.users);
        self.accounts.extend_from_slice(&other.accounts);
        self.transactions.extend_from_slice(&other.transactions);
        self.persona_labels.extend_from_slice(&other.persona_labels);
    }
}

/// Encodes one user's records, as pretty JSON array elements two levels deep.
pub fn encode_bundle(bundle: &UserBundle, out: &mut EncodedRows) {
    bundle.user.encode(&mut out.users);
    for account in &bundle.accounts {
        account.encode(&mut out.accounts);
    }
    for transaction in &bundle.transactions {
        transaction.encode(&mut out.transactions);
    }
    bundle.persona_label.encode(&mut out.persona_labels);
}

/// A section of the file that is written to its own temp file until the end.
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

/// Streams a dataset into `users.json`. Nothing appears at the destination until
/// [`PreparedJson::persist`]: the file there stays the old one if anything fails before.
pub struct JsonWriter {
    destination: PathBuf,
    users: Section,
    accounts: Section,
    transactions: Section,
    persona_labels: Section,
    bytes: u64,
}

impl JsonWriter {
    /// Starts a new file for `destination`, writing the header with `meta`.
    pub fn create(destination: &Path, meta: &Meta) -> anyhow::Result<JsonWriter> {
        let dir = match destination.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
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
            .to_string_lossy();
        remove_stale_temp_files(dir, &name);
        let temp = |part: &str| dir.join(format!(".{name}.{part}.tmp-{}", std::process::id()));
        let create = |part: &str| {
            let path = temp(part);
            Section::create(path.clone()).with_context(|| format!("create {}", path.display()))
        };
        let mut writer = JsonWriter {
            destination: destination.to_path_buf(),
            users: create("main")?,
            accounts: create("accounts")?,
            transactions: create("transactions")?,
            persona_labels: create("persona_labels")?,
            bytes: 0,
        };
        let header = format!(
            "{{\n  \"meta\": {},\n  \"users\": [",
            nested_pretty(meta, 1)
        );
        writer
            .users
            .file
            .write_all(header.as_bytes())
            .context("write json header")?;
        Ok(writer)
    }

    /// Appends encoded records.
    pub fn write(&mut self, encoded: &EncodedRows) -> anyhow::Result<()> {
        self.users.write(&encoded.users).context("write users")?;
        self.accounts
            .write(&encoded.accounts)
            .context("write accounts")?;
        self.transactions
            .write(&encoded.transactions)
            .context("write transactions")?;
        self.persona_labels
            .write(&encoded.persona_labels)
            .context("write persona labels")?;
        self.bytes += (encoded.users.len()
            + encoded.accounts.len()
            + encoded.transactions.len()
            + encoded.persona_labels.len()) as u64;
        Ok(())
    }

    /// Assembles the complete file next to the destination and syncs it to disk.
    pub fn finish(mut self) -> anyhow::Result<PreparedJson> {
        self.assemble()
            .with_context(|| format!("write {}", self.destination.display()))?;
        let prepared = PreparedJson {
            temp: self.users.path.clone(),
            destination: self.destination.clone(),
            bytes: self.bytes,
            persisted: false,
        };
        // The main temp file now belongs to `prepared`; only the section files are removed.
        self.users.path = PathBuf::new();
        Ok(prepared)
    }

    fn assemble(&mut self) -> io::Result<()> {
        self.users.close()?;
        for (key, section) in [
            ("accounts", &mut self.accounts),
            ("transactions", &mut self.transactions),
            ("persona_labels", &mut self.persona_labels),
        ] {
            section.close()?;
            section.file.flush()?;
            let main = &mut self.users.file;
            main.write_all(format!(",\n  \"{key}\": [").as_bytes())?;
            main.flush()?;
            let mut part = section.file.get_ref().try_clone()?;
            part.rewind()?;
            // File-to-file copies use copy_file_range on Linux: the kernel moves the bytes.
            io::copy(&mut part, main.get_mut())?;
        }
        let main = &mut self.users.file;
        main.write_all(b"\n}\n")?;
        main.flush()?;
        main.get_ref().sync_all()
    }
}

impl Drop for JsonWriter {
    fn drop(&mut self) {
        for section in [
            &self.users,
            &self.accounts,
            &self.transactions,
            &self.persona_labels,
        ] {
            if !section.path.as_os_str().is_empty() {
                let _ = fs::remove_file(&section.path);
            }
        }
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
    destination: PathBuf,
    bytes: u64,
    persisted: bool,
}

impl PreparedJson {
    /// Bytes of records written (not counting the enclosing structure).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Atomically replaces the destination with the new file.
    pub fn persist(mut self) -> anyhow::Result<()> {
        fs::rename(&self.temp, &self.destination)
            .with_context(|| format!("rename into {}", self.destination.display()))?;
        self.persisted = true;
        if let Some(dir) = self
            .destination
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            // Make the rename itself durable; failure to sync a directory is not fatal.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for PreparedJson {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = fs::remove_file(&self.temp);
        }
    }
}
