//! Finds a libpq connection service (`service=name`, `PGSERVICE`) in the service files, the
//! way libpq 18's `parseServiceInfo` and `parseServiceFile` do.
//!
//! libpq reads `PGSERVICEFILE` if it is set, else `~/.pg_service.conf` if that exists; when
//! the service is not defined there, it reads `pg_service.conf` in `PGSYSCONFDIR` (else the
//! directory compiled into libpq), and fails the connection if no file defines it. Any error
//! in the defining group fails the connection too, so callers treat every `Err` as "libpq
//! will not connect where we can tell".

use std::path::{Path, PathBuf};

/// The directory libpq looks in when `PGSYSCONFDIR` is not set: `SYSCONFDIR` in the
/// `pg_config_paths.h` of the libpq that `pq-sys` compiles in (the `bundled` features).
const SYSCONFDIR: &str = "/usr/local/pgsql/etc";

/// libpq reads service files with `fgets` into a 1024-byte buffer and refuses a line that
/// fills it.
const LINE_BUFFER: usize = 1024;

/// A service's definition: its settings in file order, and the file they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Service {
    /// The file whose group defines the service.
    pub(super) file: PathBuf,
    /// The group's `key=value` lines, in order. libpq keeps the first value of a key and never
    /// overrides one the connection string already set, so callers apply them only to
    /// options that are still unset.
    pub(super) settings: Vec<(String, String)>,
}

/// Looks `name` up as libpq would. `keywords` are libpq's connection options (a key outside
/// them is a syntax error); `env` reads `PGSERVICEFILE`, `HOME` and `PGSYSCONFDIR`. The error
/// is a one-line message, worded like libpq's where libpq has one.
pub(super) fn find_service(
    name: &str,
    keywords: &[&str],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Service, String> {
    // libpq uses PGSERVICEFILE without checking that it exists (a missing file fails the
    // connection), but skips a missing ~/.pg_service.conf.
    let user_file = match env("PGSERVICEFILE") {
        Some(file) => Some(PathBuf::from(file)),
        None => {
            // libpq falls back to the password database's home directory when HOME is unset
            // or empty. That needs getpwuid, which this crate cannot call without unsafe code,
            // and a file there could define the service, so any answer would be a guess.
            let home = env("HOME").filter(|home| !home.is_empty()).ok_or_else(|| {
                format!("cannot look for service \"{name}\" in ~/.pg_service.conf: HOME is not set")
            })?;
            let file = PathBuf::from(format!("{home}/.pg_service.conf"));
            file.exists().then_some(file)
        }
    };
    if let Some(file) = user_file
        && let Some(settings) = read_group(&file, name, keywords)?
    {
        return Ok(Service { file, settings });
    }
    let dir = env("PGSYSCONFDIR").unwrap_or_else(|| SYSCONFDIR.to_owned());
    // libpq pastes the strings together, so an empty PGSYSCONFDIR means /pg_service.conf.
    let file = PathBuf::from(format!("{dir}/pg_service.conf"));
    if file.exists()
        && let Some(settings) = read_group(&file, name, keywords)?
    {
        return Ok(Service { file, settings });
    }
    Err(format!("definition of service \"{name}\" not found"))
}

/// The settings of the first group named `name` in `file`, or `None` if no group has that
/// name.
fn read_group(
    file: &Path,
    name: &str,
    keywords: &[&str],
) -> Result<Option<Vec<(String, String)>>, String> {
    let shown = file.display();
    let bytes =
        std::fs::read(file).map_err(|e| format!("service file \"{shown}\" not found ({e})"))?;
    let mut in_group = false;
    let mut settings = Vec::new();
    for (index, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let line_number = index + 1;
        if raw.len() >= LINE_BUFFER - 1 {
            return Err(format!(
                "line {line_number} too long in service file \"{shown}\""
            ));
        }
        let line = trim_c_space(raw);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        if line[0] == b'[' {
            if in_group {
                // The next group ends the one we wanted; a later group of the same name is
                // never read.
                break;
            }
            // libpq compares the name as a prefix and then wants a `]`, so anything after
            // the `]` is ignored: `[name] comment` names the group `name`.
            let rest = &line[1..];
            in_group = rest.starts_with(name.as_bytes()) && rest.get(name.len()) == Some(&b']');
            continue;
        }
        if !in_group {
            continue;
        }
        let syntax_error =
            || format!("syntax error in service file \"{shown}\", line {line_number}");
        // Neither the key nor the value is trimmed: `host = x` has the key `host `, which is
        // no option, so libpq calls it a syntax error.
        let equals = line
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(syntax_error)?;
        let key = String::from_utf8_lossy(&line[..equals]);
        let value = String::from_utf8_lossy(&line[equals + 1..]);
        if key == "service" {
            return Err(format!(
                "nested service specifications not supported in service file \"{shown}\", line {line_number}"
            ));
        }
        if !keywords.contains(&key.as_ref()) {
            return Err(syntax_error());
        }
        settings.push((key.into_owned(), value.into_owned()));
    }
    Ok(in_group.then_some(settings))
}

/// Strips what C's `isspace` calls white space from both ends, as libpq does to each line.
fn trim_c_space(line: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = line.iter().position(|b| !is_space(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &line[start..end]
}
