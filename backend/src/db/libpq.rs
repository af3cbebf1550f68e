//! Where libpq will connect for a PostgreSQL URL, as the libpq this workspace links says, and
//! whether every such place is on this machine: the remote guard.
//!
//! libpq alone reads the URL, the service files and the `PG*` environment variables. It is
//! handed the URL as a connection would hand it over (`PQconnectStartParams`), with three
//! options added after it so that libpq 18 stops, with an error, at the end of its option
//! checks (`pqConnectOptions2`), which is before it resolves a name or opens a socket; then
//! `PQconninfo` shows every option as libpq completed it. The one rule kept here is how
//! `pqConnectOptions2` splits the completed `host`, `hostaddr` and `port` lists into the
//! hosts it tries (libpq has already checked that the lists match); the tests compare that
//! split with libpq's own for every URL they know.
//!
//! This is one of the two modules of the workspace that may use `unsafe` code (the workspace
//! denies it everywhere else; the other is the seeder's `database/sqlite_api.rs`): calling a
//! C library takes it, and nothing else does.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char};
use std::fmt;
use std::net::IpAddr;
use std::ptr::NonNull;

use pq_sys::{
    ConnStatusType, PGconn, PQconnectStartParams, PQconninfo, PQconninfoFree, PQconninfoOption,
    PQconninfoParse, PQdb, PQerrorMessage, PQfinish, PQfreemem, PQstatus,
};

use super::url::DatabaseUrl;

/// Options added after the URL. A given password spares libpq reading `~/.pgpass`, which is
/// the connection's business (and may print a warning); an empty protocol range is the last
/// thing `pqConnectOptions2` checks, so libpq stops there with every other option checked.
const STOP: [(&CStr, &CStr); 3] = [
    (c"password", c"unused"),
    (c"min_protocol_version", c"3.2"),
    (c"max_protocol_version", c"3.0"),
];

/// libpq's error for the range in [`STOP`]: this message, and no other, means that libpq
/// accepted everything else and stopped before connecting.
const STOPPED: &str = "\"min_protocol_version\" is greater than \"max_protocol_version\"";

/// What libpq's functions mean when they return null.
const OUT_OF_MEMORY: &str = "libpq is out of memory";

/// One of libpq's connection options (a `PQconninfoOption`).
#[derive(Debug, Clone)]
pub(super) struct Setting {
    pub(super) keyword: String,
    pub(super) value: Option<String>,
    /// The environment variable libpq falls back to, such as `PGHOST`.
    envvar: Option<String>,
    /// libpq's compiled-in default.
    compiled: Option<String>,
}

/// What libpq makes of a URL once it has read the service file and the environment.
#[derive(Debug)]
pub(super) struct Resolved {
    /// The options the URL itself sets.
    given: Vec<Setting>,
    /// Every option as libpq completed it: the URL's, else the service's, else the
    /// environment's, else libpq's default.
    settings: Vec<Setting>,
    /// The database libpq opens (`PQdb`), the user name if nothing names one.
    pub(super) database: String,
}

/// One place libpq may try to connect to, with the port it will use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The socket directory, host or address.
    pub address: Address,
    /// The TCP port, or the number in the socket file's name.
    pub port: u16,
    /// Where the address came from (`host` or, for [`Address::HostAddr`], `hostaddr`).
    pub source: Source,
}

/// What libpq connects to for one entry of its host list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// libpq's default socket directory: the entry names neither host nor address.
    DefaultSocket,
    /// A Unix-socket directory (a host starting with `/`) or an abstract socket (`@`).
    Socket(String),
    /// A host name or IP address that libpq resolves.
    Host(String),
    /// A `hostaddr` entry, which libpq connects to without resolving anything; the `host` of
    /// the same entry, if any, only names the server for authentication and TLS.
    HostAddr {
        /// The numeric address libpq connects to.
        addr: String,
        /// The host name given with it.
        host: Option<String>,
    },
}

/// Where a connection option's value came from, in libpq's order of precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The URL itself.
    Url,
    /// The service the URL or `PGSERVICE` names (this is its name), in a service file.
    Service(String),
    /// An environment variable such as `PGHOST`.
    Env(String),
    /// libpq's built-in default.
    Default,
}

/// Asks libpq what `url` means: its error if it refuses the URL, the service file or the
/// environment (it would refuse to connect too), without resolving a name or connecting.
pub(super) fn resolve(url: &str) -> Result<Resolved, String> {
    let given = given(url)?;
    let conninfo = CString::new(url).map_err(|_| "it contains a NUL byte".to_owned())?;
    let conn = stopped(&conninfo, &[])?;
    // SAFETY: `conn` is a live connection object; libpq returns a new array or null.
    let settings = Options::new(unsafe { PQconninfo(conn.0.as_ptr()) })?.settings();
    // SAFETY: as above; the name is NUL-terminated and lives as long as `conn`.
    let database = unsafe { text(PQdb(conn.0.as_ptr())) }.unwrap_or_default();
    Ok(Resolved {
        given,
        settings,
        database,
    })
}

/// The options `url` itself sets (`PQconninfoParse`: no service file, no environment).
pub(super) fn given(url: &str) -> Result<Vec<Setting>, String> {
    let conninfo = CString::new(url).map_err(|_| "it contains a NUL byte".to_owned())?;
    let mut error: *mut c_char = std::ptr::null_mut();
    // SAFETY: `conninfo` is NUL-terminated; libpq stores a message it allocated, or null, in
    // `error`, and returns a new array or null.
    let options = Options::new(unsafe { PQconninfoParse(conninfo.as_ptr(), &mut error) });
    if !error.is_null() {
        // SAFETY: libpq allocated the NUL-terminated message for the caller to free; it is
        // copied first and freed once.
        let message = unsafe { text(error) };
        // SAFETY: as above.
        unsafe { PQfreemem(error.cast()) };
        return Err(message.unwrap_or_default());
    }
    Ok(options?.settings())
}

/// A connection object that libpq stopped before connecting, finished when dropped.
struct Stopped(NonNull<PGconn>);

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: the object came from `PQconnectStartParams` and is finished only here.
        unsafe { PQfinish(self.0.as_ptr()) }
    }
}

/// Starts a connection to `conninfo` with [`STOP`] and `extra` added, and returns it if
/// libpq accepted every option and stopped where [`STOP`] makes it stop.
fn stopped(conninfo: &CStr, extra: &[(&CStr, &CStr)]) -> Result<Stopped, String> {
    let (mut keywords, mut values) = (vec![c"dbname".as_ptr()], vec![conninfo.as_ptr()]);
    for (keyword, value) in STOP.iter().chain(extra) {
        keywords.push(keyword.as_ptr());
        values.push(value.as_ptr());
    }
    keywords.push(std::ptr::null());
    values.push(std::ptr::null());
    // SAFETY: both arrays have the same length, end in null and point at NUL-terminated
    // strings that outlive the call; libpq copies what it keeps. `expand_dbname` makes it
    // read the first value as the URL and the later ones as options that override it.
    let conn = unsafe { PQconnectStartParams(keywords.as_ptr(), values.as_ptr(), 1) };
    let conn = Stopped(NonNull::new(conn).ok_or(OUT_OF_MEMORY)?);
    // SAFETY: `conn` is live.
    let status = unsafe { PQstatus(conn.0.as_ptr()) };
    // SAFETY: `conn` is live; the message lives as long as it and is copied at once.
    let message = unsafe { text(PQerrorMessage(conn.0.as_ptr())) }.unwrap_or_default();
    match message.trim_end() {
        // Anything but a stop means libpq started to connect; dropping `conn` closes it.
        _ if status != ConnStatusType::CONNECTION_BAD => {
            Err("libpq did not stop before connecting".to_owned())
        }
        STOPPED => Ok(conn),
        refused => Err(refused.to_owned()),
    }
}

/// An array of options that libpq allocated, freed when dropped.
struct Options(NonNull<PQconninfoOption>);

impl Options {
    fn new(options: *mut PQconninfoOption) -> Result<Options, String> {
        NonNull::new(options)
            .map(Options)
            .ok_or_else(|| OUT_OF_MEMORY.to_owned())
    }

    fn settings(&self) -> Vec<Setting> {
        let mut settings = Vec::new();
        let mut option = self.0.as_ptr();
        // SAFETY: libpq ends the array with an entry whose keyword is null, and each string
        // in it is null or NUL-terminated and lives as long as the array.
        unsafe {
            while let Some(keyword) = text((*option).keyword) {
                settings.push(Setting {
                    keyword,
                    value: text((*option).val),
                    envvar: text((*option).envvar),
                    compiled: text((*option).compiled),
                });
                option = option.add(1);
            }
        }
        settings
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: the array came from libpq and is freed only here.
        unsafe { PQconninfoFree(self.0.as_ptr()) }
    }
}

/// Copies a string of libpq's; bytes that are not UTF-8 become U+FFFD, which no local host
/// name or address contains.
///
/// # Safety
/// `ptr` is null or points at a NUL-terminated string that lives for the call.
unsafe fn text(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: guaranteed by the caller.
    let text = unsafe { CStr::from_ptr(ptr) };
    Some(text.to_string_lossy().into_owned())
}

/// One of the comma-separated `host`, `hostaddr` and `port` lists, and where it came from.
struct List<'a> {
    entries: Vec<&'a str>,
    source: Source,
}

impl List<'_> {
    /// The `i`-th entry, unless it is empty or missing.
    fn entry(&self, i: usize) -> Option<&str> {
        self.entries.get(i).copied().filter(|e| !e.is_empty())
    }

    /// The `i`-th port of a port list: a single port applies to every entry, and an empty one
    /// is libpq's default.
    fn port(&self, i: usize, default: u16) -> Result<u16, String> {
        match self.entry(if self.entries.len() == 1 { 0 } else { i }) {
            Some(text) => parse_port(text)
                .ok_or_else(|| format!("bad port {text:?} (port from {})", self.source)),
            None => Ok(default),
        }
    }
}

impl Resolved {
    /// Where libpq will try to connect, in order, split as `pqConnectOptions2` splits: one
    /// entry per `hostaddr` if there are any, else per `host`, else one; a `hostaddr` decides
    /// over its `host`. An empty list counts as none.
    pub(super) fn endpoints(&self) -> Result<Vec<Endpoint>, String> {
        let (hosts, addrs, ports) = (self.list("host"), self.list("hostaddr"), self.list("port"));
        let count = addrs
            .as_ref()
            .or(hosts.as_ref())
            .map_or(1, |l| l.entries.len());
        let compiled = self.setting("port").and_then(|p| p.compiled.as_deref());
        let default_port = compiled
            .and_then(parse_port)
            .ok_or("libpq has no default port")?;
        let endpoint = |i: usize| {
            let port = ports
                .as_ref()
                .map_or(Ok(default_port), |p| p.port(i, default_port))?;
            let at = |list: &Option<List<'_>>| {
                let list = list.as_ref()?;
                Some((list.entry(i)?.to_owned(), list.source.clone()))
            };
            let (address, source) = match (at(&addrs), at(&hosts)) {
                (Some((addr, source)), host) => {
                    let host = host.map(|(host, _)| host);
                    (Address::HostAddr { addr, host }, source)
                }
                (None, Some((host, source))) if host.starts_with(['/', '@']) => {
                    (Address::Socket(host), source)
                }
                (None, Some((host, source))) => (Address::Host(host), source),
                (None, None) => (Address::DefaultSocket, Source::Default),
            };
            Ok(Endpoint {
                address,
                port,
                source,
            })
        };
        (0..count).map(endpoint).collect()
    }

    fn setting(&self, keyword: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.keyword == keyword)
    }

    fn list(&self, keyword: &str) -> Option<List<'_>> {
        let value = self.setting(keyword)?.value.as_deref()?;
        (!value.is_empty()).then(|| List {
            entries: value.split(',').collect(),
            source: self.source(keyword),
        })
    }

    /// Where libpq took an option from. libpq does not say, but its order of precedence
    /// does: the URL's value if it sets one, else an environment variable holding exactly the
    /// value libpq used, else the service. (A service and a variable that agree are named by
    /// the variable.)
    fn source(&self, keyword: &str) -> Source {
        let Some(setting) = self.setting(keyword) else {
            return Source::Default;
        };
        let env = |var: &String| std::env::var_os(var).map(|v| v.to_string_lossy().into_owned());
        let service = self.setting("service").and_then(|s| s.value.clone());
        let given = self
            .given
            .iter()
            .any(|s| s.keyword == keyword && s.value.is_some());
        if given {
            Source::Url
        } else if let Some(var) = setting.envvar.as_ref().filter(|v| env(v) == setting.value) {
            Source::Env(var.clone())
        } else if let Some(name) = service.filter(|_| setting.value != setting.compiled) {
            Source::Service(name)
        } else {
            Source::Default
        }
    }
}

/// A port libpq accepts (`pqParseIntParam`: decimal, white space around it), if it is in
/// 1..=65535. libpq skips a host whose port is out of range; here it is refused.
fn parse_port(text: &str) -> Option<u16> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&port| port != 0)
}

impl DatabaseUrl {
    /// Whether the database is provably on this machine: a SQLite file, or a PostgreSQL
    /// server that libpq reaches only through Unix sockets, the name `localhost` or loopback
    /// addresses (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), whichever host it ends up using.
    pub fn is_local(&self) -> bool {
        self.not_local().is_none()
    }

    /// The first endpoint that is not provably on this machine, if any.
    pub fn not_local(&self) -> Option<&Endpoint> {
        match self {
            Self::Sqlite { .. } => None,
            Self::Postgres { endpoints, .. } => endpoints.iter().find(|e| !e.is_local()),
        }
    }

    /// The database as `Display` shows it, followed by why it is not local, for a refusal
    /// such as `... in PostgreSQL database "app" on 10.0.0.5:15432 (hostaddr from
    /// PGHOSTADDR): the host is not local`; `None` if it is local. Among several endpoints it
    /// names the one that is not local.
    pub fn explain_not_local(&self) -> Option<String> {
        let endpoint = self.not_local()?;
        let single = matches!(self, Self::Postgres { endpoints, .. } if endpoints.len() == 1);
        Some(if single {
            format!("{self} ({})", endpoint.origin())
        } else {
            format!("{self} ({endpoint}: {})", endpoint.origin())
        })
    }
}

impl Endpoint {
    /// Whether this endpoint is provably on this machine. A `hostaddr` decides over the host
    /// name, since it is what libpq connects to.
    pub fn is_local(&self) -> bool {
        match &self.address {
            Address::DefaultSocket | Address::Socket(_) => true,
            Address::Host(host) => host.eq_ignore_ascii_case("localhost") || is_loopback(host),
            Address::HostAddr { addr, .. } => is_loopback(addr),
        }
    }

    /// Which option gave the address and where that came from, such as `hostaddr from
    /// PGHOSTADDR` or `host from the URL`.
    pub fn origin(&self) -> String {
        let hostaddr = matches!(self.address, Address::HostAddr { .. });
        let option = if hostaddr { "hostaddr" } else { "host" };
        format!("{option} from {}", self.source)
    }
}

/// Whether `host` is a loopback IP address. Only the forms Rust parses count: libpq would
/// also accept shorthand such as `127.1`, which is merely refused as not provably local.
fn is_loopback(host: &str) -> bool {
    // `to_canonical` reads ::ffff:127.0.0.0/104 as the IPv4 address it maps.
    host.parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = self.port;
        match &self.address {
            Address::DefaultSocket => write!(f, "the local socket (port {port})"),
            Address::Socket(dir) => write!(f, "{dir}:{port}"),
            Address::Host(host) | Address::HostAddr { addr: host, .. } if host.contains(':') => {
                write!(f, "[{host}]:{port}")
            }
            Address::Host(host) | Address::HostAddr { addr: host, .. } => {
                write!(f, "{host}:{port}")
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url => f.write_str("the URL"),
            Self::Service(name) => write!(f, "service {name:?}"),
            Self::Env(var) => f.write_str(var),
            Self::Default => f.write_str("libpq's default"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io::ErrorKind;
    use std::net::{TcpListener, TcpStream};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::Path;
    use std::process::Command;

    use pq_sys::{PQhost, PQport};
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::db::url::replace_database;

    /// Hands the child process its URLs, one a line.
    const CHILD_URLS: &str = "SPENDSENSE_TEST_URLS";
    /// Starts what the child prints for the parent (after the test harness's own words, on
    /// the first line).
    const MARK: &str = "outcome: ";
    /// What `PQhost` shows for an entry without host or address: `DEFAULT_PGSOCKET_DIR` of
    /// the pq-src build's pg_config_manual.h.
    const DEFAULT_SOCKET_DIR: &str = "/tmp";
    /// How many times libpq is asked to shuffle a URL's host list. One of n ≤ 4 entries is
    /// missed with probability at most 4·(3/4)^400 ≈ 10^-49.
    const SHUFFLES: usize = 400;

    /// A PostgreSQL URL as the workspace sees it, in strings.
    #[derive(Debug, Serialize, Deserialize)]
    struct Parsed {
        shown: String,
        database: String,
        endpoints: Vec<String>,
        /// The first endpoint that is not local, and where it came from.
        not_local: Option<String>,
        explained: Option<String>,
        /// Every host entry as `PQhost` and `PQport` show it: from [`Resolved::endpoints`],
        /// and from libpq itself.
        ours: BTreeSet<String>,
        libpqs: BTreeSet<String>,
    }

    impl Parsed {
        /// Parses `url` in this process: with [`DatabaseUrl::parse`] if it is a URL, else (a
        /// `key=value` string) straight through [`resolve`].
        fn of(url: &str) -> Result<Parsed, String> {
            let target = if url.starts_with("postgres") {
                DatabaseUrl::parse(url).map_err(|e| e.to_string())?
            } else {
                let resolved = resolve(url)?;
                DatabaseUrl::Postgres {
                    url: url.to_owned(),
                    endpoints: resolved.endpoints()?,
                    database: resolved.database,
                }
            };
            let DatabaseUrl::Postgres {
                database,
                endpoints,
                ..
            } = &target
            else {
                panic!("{url} is not PostgreSQL");
            };
            Ok(Parsed {
                shown: target.to_string(),
                database: database.clone(),
                endpoints: endpoints.iter().map(ToString::to_string).collect(),
                not_local: target.not_local().map(|e| format!("{e} ({})", e.origin())),
                explained: target.explain_not_local(),
                ours: endpoints.iter().map(as_libpq_shows).collect(),
                libpqs: libpq_entries(url),
            })
        }
    }

    /// An endpoint the way `PQhost` and `PQport` show its entry.
    fn as_libpq_shows(endpoint: &Endpoint) -> String {
        let host = match &endpoint.address {
            Address::DefaultSocket => DEFAULT_SOCKET_DIR,
            Address::Socket(host) | Address::Host(host) => host,
            Address::HostAddr {
                host: Some(host), ..
            } => host,
            Address::HostAddr { addr, host: None } => addr,
        };
        format!("{host} {}", endpoint.port)
    }

    /// libpq's own host entries for `url`. Without connecting, libpq shows only its first
    /// entry (`PQhost`, `PQport`), so it is asked [`SHUFFLES`] times with
    /// `load_balance_hosts=random`, which shuffles the entries before it stops.
    fn libpq_entries(url: &str) -> BTreeSet<String> {
        let conninfo = CString::new(url).unwrap();
        let mut seen = BTreeSet::new();
        for _ in 0..SHUFFLES {
            let conn = stopped(&conninfo, &[(c"load_balance_hosts", c"random")]).unwrap();
            // SAFETY: `conn` is live; both strings are copied at once.
            let (host, port) =
                unsafe { (text(PQhost(conn.0.as_ptr())), text(PQport(conn.0.as_ptr()))) };
            seen.insert(format!("{} {}", host.unwrap(), port.unwrap()));
        }
        seen
    }

    /// The child process of [`parse_in`]: parses the URLs it is handed and prints each
    /// outcome as a line of JSON.
    #[test]
    #[ignore = "the child process of the tests here, which give it its environment"]
    fn child() {
        let Some(urls) = std::env::var_os(CHILD_URLS) else {
            return;
        };
        for url in urls.to_str().unwrap().lines() {
            let outcome = serde_json::to_string(&Parsed::of(url)).unwrap();
            println!("{MARK}{outcome}");
        }
    }

    /// Parses `urls` in a child process (this test binary again) whose environment is only
    /// `vars`, with `HOME` and `PGSYSCONFDIR` an empty directory unless `vars` sets them, so
    /// that neither the environment nor the service files of this machine take part. For
    /// every URL libpq accepts, libpq's own host entries must be the ones we split out.
    fn parse_in(vars: &[(&str, &str)], urls: &[&str]) -> Vec<Result<Parsed, String>> {
        let empty = tempfile::tempdir().unwrap();
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "db::libpq::tests::child", "--ignored"])
            .args(["--nocapture", "--test-threads=1"])
            .env_clear()
            .env("HOME", empty.path())
            .env("PGSYSCONFDIR", empty.path())
            .envs(vars.iter().copied())
            .env(CHILD_URLS, urls.join("\n"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        let outcomes: Vec<Result<Parsed, String>> = stdout
            .lines()
            .filter_map(|line| line.split_once(MARK))
            .map(|(_, json)| serde_json::from_str(json).unwrap())
            .collect();
        assert_eq!(outcomes.len(), urls.len(), "{stdout}");
        for (url, outcome) in urls.iter().zip(&outcomes) {
            if let Ok(parsed) = outcome {
                assert_eq!(parsed.ours, parsed.libpqs, "{url} with {vars:?}");
            }
        }
        outcomes
    }

    /// [`parse_in`] for URLs that all parse.
    fn pgs<const N: usize>(vars: &[(&str, &str)], urls: [&str; N]) -> [Parsed; N] {
        let outcomes = parse_in(vars, &urls).into_iter().zip(urls);
        let parsed =
            outcomes.map(|(outcome, url)| outcome.unwrap_or_else(|e| panic!("{url}: {e}")));
        parsed.collect::<Vec<_>>().try_into().unwrap()
    }

    fn pg(url: &str, vars: &[(&str, &str)]) -> Parsed {
        let outcome = parse_in(vars, &[url]).remove(0);
        outcome.unwrap_or_else(|e| panic!("{url} with {vars:?} should parse: {e}"))
    }

    fn error(url: &str, vars: &[(&str, &str)]) -> String {
        match parse_in(vars, &[url]).remove(0) {
            Ok(parsed) => panic!("{url} with {vars:?} should not parse: {parsed:?}"),
            Err(error) => error,
        }
    }

    /// Asserts that `url` with `vars` is refused as remote, and returns the reason.
    fn refused(url: &str, vars: &[(&str, &str)]) -> String {
        let parsed = pg(url, vars);
        let reason = parsed.not_local.clone();
        reason.unwrap_or_else(|| panic!("{url} with {vars:?} should be remote: {parsed:?}"))
    }

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    #[test]
    fn parses_postgres_urls() {
        let [app, v6, socket] = [
            "postgres://u:p%40ss@db.example.com:6543/app?application_name=x",
            "postgresql://[::1]/x",
            "postgres://bob@/?host=/var/run/postgresql",
        ]
        .map(|url| pg(url, &[]));
        assert_eq!(app.endpoints, ["db.example.com:6543"]);
        assert_eq!(app.database, "app");
        assert_eq!(
            (v6.endpoints, v6.database),
            (vec!["[::1]:5432".into()], "x".into())
        );
        assert_eq!(socket.endpoints, ["/var/run/postgresql:5432"]);
        assert_eq!(socket.database, "bob");
        let urls = [
            "postgres://h:notaport/db",
            "postgres://h:0/db",
            "postgres://h/db?port=65536",
        ];
        for (url, outcome) in urls.iter().zip(parse_in(&[], &urls)) {
            let error = outcome.unwrap_err();
            assert!(
                error.contains("bad port") && error.contains("from the URL"),
                "{url}: {error}"
            );
        }
    }

    #[test]
    fn tells_local_from_remote() {
        assert!(DatabaseUrl::parse("data/x.db").unwrap().is_local());
        let local = [
            "postgres://127.0.0.1/db",
            "postgres://127.8.9.10:5433/db",
            "postgres://localhost/db",
            "postgres://LocalHost/db",
            "postgres://[::1]/db",
            "postgres://[::ffff:127.0.0.1]/db",
            "postgres:///db",
            "postgres://u@/db?host=/run/postgresql",
            "postgres:///db?host=@abstract",
            "postgres://localhost/db?hostaddr=127.0.0.2",
            "postgres:///db?host=/a,localhost,127.0.0.1&port=1,2,3",
        ];
        for (url, parsed) in local.iter().zip(parse_in(&[], &local)) {
            let parsed = parsed.unwrap();
            assert_eq!(
                (&parsed.not_local, &parsed.explained),
                (&None, &None),
                "{url}"
            );
        }
        let remote = [
            "postgres://10.0.0.5/db",
            "postgres://db.example.com/db",
            "postgres://[2001:db8::1]/db",
            "postgres://127.0.0.1/db?host=db.example.com",
            "postgres://[::2]/db",
            // A hostaddr must be numeric; libpq skips one it cannot parse and tries the next.
            "postgres://localhost/db?hostaddr=localhost",
            // libpq keeps the brackets of a host given as a parameter, and resolves `[::1]`
            // as a name, which fails.
            "postgres:///db?host=[::1]",
            "postgres://localhost./db",
        ];
        for (url, parsed) in remote.iter().zip(parse_in(&[], &remote)) {
            assert!(
                parsed.unwrap().not_local.is_some(),
                "{url} should be remote"
            );
        }
    }

    /// The URLs and environments the seeder's tests give the guard (seed/tests/it/edges.rs,
    /// postgres.rs, edges_pg.rs and seed/src/guard.rs), decided here too.
    #[test]
    fn decides_the_forms_the_seeder_tests() {
        let dir = tempfile::tempdir().unwrap();
        let services = write(
            dir.path(),
            "pg_service.conf",
            "[prod]\nhost=10.0.0.5\nport=15432\ndbname=app\n",
        );
        let services = services.as_str();
        // The URL, the environment, and the remote host it names (`None`: local).
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case<'_>; 13] = [
            (
                "postgres://postgres@localhost:15432/db?hostaddr=10.0.0.5",
                &[],
                Some("10.0.0.5:15432 (hostaddr from the URL)"),
            ),
            (
                "postgres:///db",
                &[("PGHOST", "db.example.com")],
                Some("db.example.com:5432 (host from PGHOST)"),
            ),
            (
                "postgres://postgres@localhost:15432/db",
                &[("PGHOSTADDR", "10.0.0.5")],
                Some("10.0.0.5:15432 (hostaddr from PGHOSTADDR)"),
            ),
            (
                "postgres://postgres@/db?host=/nonexistent,10.0.0.5&port=15432",
                &[],
                Some("10.0.0.5:15432 (host from the URL)"),
            ),
            (
                "postgres://postgres@/db?%68ost=10.0.0.5",
                &[],
                Some("10.0.0.5:5432 (host from the URL)"),
            ),
            (
                "postgres://postgres@10.0.0.5:15432,x@localhost/db",
                &[],
                Some("10.0.0.5:15432 (host from the URL)"),
            ),
            (
                "postgres:///db?service=prod",
                &[("PGSERVICEFILE", services)],
                Some("10.0.0.5:15432 (host from service \"prod\")"),
            ),
            (
                "postgres:///db",
                &[("PGSERVICE", "prod"), ("PGSERVICEFILE", services)],
                Some("10.0.0.5:15432 (host from service \"prod\")"),
            ),
            (
                "postgres://u:secret@db.invalid:5432/app",
                &[],
                Some("db.invalid:5432 (host from the URL)"),
            ),
            (
                "postgres://u:secret@db.example.com/app",
                &[],
                Some("db.example.com:5432 (host from the URL)"),
            ),
            ("postgres://postgres@127.0.0.1:1/db", &[], None),
            ("postgres://localhost/app", &[], None),
            (
                "postgres://postgres@/db?host=/nonexistent,127.0.0.1&port=5432",
                &[],
                None,
            ),
        ];
        for (url, vars, expected) in cases {
            assert_eq!(
                pg(url, vars).not_local.as_deref(),
                expected,
                "{url} with {vars:?}"
            );
        }
    }

    #[test]
    fn refuses_a_hostaddr_that_overrides_a_local_host() {
        assert_eq!(
            refused(
                "postgres://postgres@localhost:15432/db?hostaddr=10.0.0.5",
                &[]
            ),
            "10.0.0.5:15432 (hostaddr from the URL)"
        );
    }

    #[test]
    fn refuses_pghost_and_pgport_for_a_url_without_host() {
        let vars = [("PGHOST", "10.0.0.5"), ("PGPORT", "15432")];
        let [bare, hosted] = pgs(&vars, ["postgres:///db", "postgres://localhost:5433/db"]);
        assert_eq!(bare.not_local.unwrap(), "10.0.0.5:15432 (host from PGHOST)");
        assert_eq!(bare.shown, "PostgreSQL database \"db\" on 10.0.0.5:15432");
        // A host in the URL wins over PGHOST, and a port over PGPORT.
        assert_eq!(hosted.not_local, None);
        assert_eq!(hosted.endpoints, ["localhost:5433"]);
    }

    #[test]
    fn refuses_pghostaddr_even_when_the_url_names_a_host() {
        let vars = [("PGHOSTADDR", "10.0.0.5")];
        let [env, url, empty] = pgs(
            &vars,
            [
                "postgres://localhost:15432/db",
                "postgres://localhost/db?hostaddr=127.0.0.1",
                "postgres://localhost/db?hostaddr=",
            ],
        );
        assert_eq!(
            env.not_local.unwrap(),
            "10.0.0.5:15432 (hostaddr from PGHOSTADDR)"
        );
        assert_eq!(
            env.explained.unwrap(),
            "PostgreSQL database \"db\" on 10.0.0.5:15432 (hostaddr from PGHOSTADDR)"
        );
        // The URL's own hostaddr wins over PGHOSTADDR.
        assert_eq!(url.not_local, None);
        // Surprising but libpq: an empty `hostaddr=` counts as given, so PGHOSTADDR is not
        // consulted, and then the empty value means "no hostaddr".
        assert_eq!(empty.not_local, None);
    }

    #[test]
    fn refuses_a_host_list_that_falls_back_to_a_remote_host() {
        let url = "postgres://u@/db?host=/nonexistent,10.0.0.5&port=15432";
        let parsed = pg(url, &[]);
        assert_eq!(
            parsed.not_local.unwrap(),
            "10.0.0.5:15432 (host from the URL)"
        );
        assert_eq!(
            parsed.shown,
            "PostgreSQL database \"db\" on one of /nonexistent:15432, 10.0.0.5:15432"
        );
        assert_eq!(
            parsed.explained.unwrap(),
            "PostgreSQL database \"db\" on one of /nonexistent:15432, 10.0.0.5:15432 \
             (10.0.0.5:15432: host from the URL)"
        );
        // The same through PGHOST.
        assert_eq!(
            refused("postgres:///db", &[("PGHOST", "/tmp,db.example.com")]),
            "db.example.com:5432 (host from PGHOST)"
        );
    }

    #[test]
    fn refuses_percent_encoded_keys_and_values() {
        let urls = [
            "postgres://localhost/db?%68ost=10.0.0.5",
            "postgres://localhost/db?host%61ddr=10.0.0.5",
            "postgres://localhost/db?host=10%2E0.0.5",
        ];
        let reasons: Vec<String> = parse_in(&[], &urls)
            .into_iter()
            .map(|p| p.unwrap().not_local.unwrap())
            .collect();
        assert_eq!(
            reasons,
            [
                "10.0.0.5:5432 (host from the URL)",
                "10.0.0.5:5432 (hostaddr from the URL)",
                "10.0.0.5:5432 (host from the URL)",
            ]
        );
    }

    #[test]
    fn refuses_what_libpq_reads_past_the_first_at_sign() {
        // libpq ends the user name at the first `@`; the rest is a host list whose second
        // entry is the host `x@localhost`.
        let url = "postgres://postgres@10.0.0.5:15432,x@localhost/db";
        let parsed = pg(url, &[]);
        assert_eq!(
            parsed.not_local.unwrap(),
            "10.0.0.5:15432 (host from the URL)"
        );
        assert_eq!(parsed.endpoints, ["10.0.0.5:15432", "x@localhost:5432"]);
        assert_eq!(parsed.database, "db");
        // libpq looks for the `@` up to the first `/`, not the first `?`: here the user is
        // `localhost?user=x` and the host 10.0.0.5.
        assert_eq!(
            refused("postgres://localhost?user=x@10.0.0.5/db", &[]),
            "10.0.0.5:5432 (host from the URL)"
        );
    }

    #[test]
    fn refuses_services_that_point_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "services.conf",
            "# comment\n[local]\nhost=localhost\n\n  [remote]  \nhost=10.0.0.5\nport=15432\n\
             dbname=app\n[addr]\nhostaddr=10.0.0.6\n",
        );
        let vars = [("PGSERVICEFILE", file.as_str())];
        let [local, remote, overridden, addr] = pgs(
            &vars,
            [
                "postgres:///?service=local",
                "postgres:///?service=remote",
                // The URL's values win over the service's...
                "postgres://localhost/?service=remote",
                // ...but a hostaddr the URL does not set still comes from the service.
                "postgres://localhost/?service=addr",
            ],
        );
        assert_eq!(local.not_local, None);
        assert_eq!(
            remote.not_local.unwrap(),
            "10.0.0.5:15432 (host from service \"remote\")"
        );
        assert_eq!(
            remote.shown,
            "PostgreSQL database \"app\" on 10.0.0.5:15432"
        );
        assert_eq!(overridden.not_local, None);
        assert_eq!(
            addr.not_local.unwrap(),
            "10.0.0.6:5432 (hostaddr from service \"addr\")"
        );
        // PGSERVICE names the service when the URL does not, and the URL's name wins.
        let with_pgservice = [vars.as_slice(), &[("PGSERVICE", "remote")]].concat();
        let [named, url] = pgs(
            &with_pgservice,
            ["postgres:///", "postgres:///?service=local"],
        );
        assert_eq!(
            named.not_local.unwrap(),
            "10.0.0.5:15432 (host from service \"remote\")"
        );
        assert_eq!(url.not_local, None);
        // The service's values win over the environment's.
        let with_pghost = [vars.as_slice(), &[("PGHOST", "localhost")]].concat();
        assert!(
            pg("postgres:///?service=remote", &with_pghost)
                .not_local
                .is_some()
        );
    }

    #[test]
    fn finds_services_in_home_then_in_the_system_directory() {
        let home = tempfile::tempdir().unwrap();
        let sys = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".pg_service.conf",
            "[mine]\nhost=10.0.0.1\n[both]\nhost=localhost\n",
        );
        write(
            sys.path(),
            "pg_service.conf",
            "[theirs]\nhost=10.0.0.2\n[both]\nhost=10.0.0.3\n",
        );
        let vars = [
            ("HOME", home.path().to_str().unwrap()),
            ("PGSYSCONFDIR", sys.path().to_str().unwrap()),
        ];
        let [mine, theirs, both] = pgs(
            &vars,
            [
                "postgres:///?service=mine",
                "postgres:///?service=theirs",
                "postgres:///?service=both",
            ],
        );
        assert_eq!(
            mine.not_local.unwrap(),
            "10.0.0.1:5432 (host from service \"mine\")"
        );
        assert_eq!(
            theirs.not_local.unwrap(),
            "10.0.0.2:5432 (host from service \"theirs\")"
        );
        // The first file that defines a service is the only one read.
        assert_eq!(both.not_local, None);
    }

    #[test]
    fn refuses_services_that_cannot_be_found_or_read() {
        let dir = tempfile::tempdir().unwrap();
        let missing = format!("{}/missing.conf", dir.path().display());
        assert_eq!(
            error("postgres://localhost/db?service=nowhere", &[]),
            "invalid database url \"postgres://localhost/db?service=nowhere\": libpq refuses \
             it: definition of service \"nowhere\" not found"
        );
        let vars = [("PGSERVICE", "x"), ("PGSERVICEFILE", missing.as_str())];
        assert!(error("postgres://localhost/", &vars).ends_with(&format!(
            "libpq refuses it: service file \"{missing}\" not found"
        )),);
        let broken = write(
            dir.path(),
            "broken.conf",
            "[spaced]\nhost = localhost\n[nested]\nservice=other\n[bare]\nhost\n",
        );
        let long = write(
            dir.path(),
            "long.conf",
            &format!(
                "[long]\nhost=localhost\napplication_name={}\n",
                "a".repeat(1100)
            ),
        );
        let errors: Vec<String> = parse_in(
            &[("PGSERVICEFILE", broken.as_str())],
            &[
                // libpq trims neither key nor value, so `host ` is an unknown key.
                "postgres://localhost/?service=spaced",
                "postgres://localhost/?service=nested",
                "postgres://localhost/?service=bare",
            ],
        )
        .into_iter()
        .chain(parse_in(
            &[("PGSERVICEFILE", long.as_str())],
            &["postgres://localhost/?service=long"],
        ))
        .map(Result::unwrap_err)
        .collect();
        assert!(errors[0].ends_with(&format!(
            "syntax error in service file \"{broken}\", line 2"
        )));
        assert!(errors[1].contains("nested service specifications not supported"));
        assert!(errors[2].ends_with(&format!(
            "syntax error in service file \"{broken}\", line 6"
        )));
        assert!(errors[3].contains("line 3 too long"), "{}", errors[3]);
    }

    #[test]
    fn refuses_unknown_query_keys_like_libpq() {
        let urls = [
            "postgres://localhost/db?hots=10.0.0.5",
            "postgres://localhost/db?%68ots=x",
            // libpq maps only `ssl=true` to sslmode=require; `ssl` with any other value is no
            // option at all.
            "postgres://localhost/db?ssl=false",
        ];
        for (url, outcome) in urls.iter().zip(parse_in(&[], &urls)) {
            let error = outcome.unwrap_err();
            assert!(
                error.contains("invalid URI query parameter"),
                "{url}: {error}"
            );
        }
        assert_eq!(
            pg(
                "postgres://localhost/db?application_name=x&sslmode=disable",
                &[]
            )
            .not_local,
            None
        );
    }

    /// libpq refuses to connect with TLS it was built without: so does the URL.
    #[test]
    fn sslmode_require_needs_tls() {
        let urls = [
            "postgres://localhost/db?sslmode=require",
            "postgres://localhost/db?ssl=true",
            "postgres://localhost/db?requiressl=1",
        ];
        for (url, outcome) in urls.iter().zip(parse_in(&[], &urls)) {
            match outcome {
                Ok(parsed) if cfg!(feature = "tls") => assert_eq!(parsed.not_local, None),
                Err(error) if !cfg!(feature = "tls") => assert!(
                    error.ends_with(
                        "sslmode value \"require\" invalid when SSL support is not compiled in"
                    ),
                    "{url}: {error}"
                ),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn parses_like_libpq() {
        let urls = [
            // Repeated keys: the last one wins, and a query host replaces the authority's.
            "postgres://10.0.0.5/db?host=10.0.0.6&host=localhost",
            "postgres://localhost/db?host=localhost&host=10.0.0.6",
            "postgres://localhost:1/db?port=2",
            // Host lists in the authority, IPv6 in brackets, each with or without a port.
            "postgresql://[::1]:5433,localhost,[::2]/db",
            // libpq decodes the joined host list, so an encoded comma adds a host.
            "postgres://localhost%2C10.0.0.5/db",
            // libpq 18 drops spaces around a key or value and refuses one inside it; an
            // encoded space is kept.
            "postgres://localhost/db?host= x & port=5433",
            "postgres://localhost/db?host=%20x",
            // A trailing `&` and an empty query are fine.
            "postgres://localhost/db?sslmode=disable&",
            "postgres://localhost/db?",
        ];
        let endpoints: Vec<Vec<String>> = parse_in(&[], &urls)
            .into_iter()
            .map(|p| p.unwrap().endpoints)
            .collect();
        let expected: [&[&str]; 9] = [
            &["localhost:5432"],
            &["10.0.0.6:5432"],
            &["localhost:2"],
            &["[::1]:5433", "localhost:5432", "[::2]:5432"],
            &["localhost:5432", "10.0.0.5:5432"],
            &["x:5433"],
            &[" x:5432"],
            &["localhost:5432"],
            &["localhost:5432"],
        ];
        assert_eq!(endpoints, expected);
        // Two hosts without ports make the port list ",": set, though empty, so PGPORT no
        // longer applies. One host without a port leaves the port unset.
        let [two, one] = pgs(
            &[("PGPORT", "6000")],
            ["postgres://a,b/db", "postgres://a/db"],
        );
        assert_eq!(two.endpoints, ["a:5432", "b:5432"]);
        assert_eq!(one.endpoints, ["a:6000"]);
        let bad = [
            "postgres://localhost/db?host=a b",
            "postgres://localhost/db?host=%2",
            "postgres://localhost/db?host=%zz",
            "postgres://localhost/db?host=a%00",
            "postgres://localhost/db?host",
            "postgres://localhost/db?host=a=b",
            "postgres://localhost/db?sslmode=disable&&host=x",
            "postgres://[::1/db",
            "postgres://[]/db",
            "postgres://[::1]x/db",
        ];
        for (url, outcome) in bad.iter().zip(parse_in(&[], &bad)) {
            let error = outcome.unwrap_err();
            assert!(error.contains(": libpq refuses it: "), "{url}: {error}");
        }
    }

    #[test]
    fn refuses_host_and_port_lists_that_do_not_match() {
        let urls = [
            "postgres:///db?host=a,b&hostaddr=127.0.0.1",
            "postgres:///db?host=a,b,c&port=1,2",
        ];
        let errors: Vec<String> = parse_in(&[], &urls)
            .into_iter()
            .map(Result::unwrap_err)
            .collect();
        assert!(errors[0].ends_with("could not match 2 host names to 1 hostaddr values"));
        assert!(errors[1].ends_with("could not match 2 port numbers to 3 hosts"));
        assert!(
            error("postgres://localhost/db", &[("PGPORT", "x")])
                .ends_with("bad port \"x\" (port from PGPORT)")
        );
        // A hostaddr entry decides its entry; an empty one leaves the entry to its host.
        let parsed = pg(
            "postgres:///db?host=localhost,localhost&hostaddr=,10.0.0.5",
            &[],
        );
        assert_eq!(parsed.endpoints, ["localhost:5432", "10.0.0.5:5432"]);
        assert!(parsed.not_local.is_some());
    }

    #[test]
    fn names_the_database_libpq_opens() {
        let database = |url, vars| pg(url, vars).database;
        assert_eq!(
            database("postgres://localhost/", &[("PGDATABASE", "envdb")]),
            "envdb"
        );
        assert_eq!(
            database("postgres://localhost/app", &[("PGDATABASE", "envdb")]),
            "app"
        );
        assert_eq!(
            database("postgres://localhost/app?dbname=other", &[]),
            "other"
        );
        // An empty `dbname=` counts as given, so PGDATABASE is ignored and the user name used.
        assert_eq!(
            database(
                "postgres://u@localhost/?dbname=",
                &[("PGDATABASE", "envdb")]
            ),
            "u"
        );
        assert_eq!(
            database("postgres://localhost", &[("PGUSER", "pguser")]),
            "pguser"
        );
        // Without a user, libpq asks the system for this process's user, not `USER`.
        let whoami = Command::new("id").arg("-un").output().unwrap();
        let whoami = String::from_utf8(whoami.stdout).unwrap();
        assert_eq!(
            database("postgres://localhost", &[("USER", "me")]),
            whoami.trim()
        );
    }

    #[test]
    fn displays_one_or_several_endpoints() {
        let urls = [
            "postgres://u:secret@db.invalid:5432/app",
            "postgres:///app",
            "postgres://localhost/app?hostaddr=127.0.0.1",
            "postgres://[::1],db.example.com:6000/app",
        ];
        let shown: Vec<String> = parse_in(&[], &urls)
            .into_iter()
            .map(|p| p.unwrap().shown)
            .collect();
        assert_eq!(
            shown,
            [
                "PostgreSQL database \"app\" on db.invalid:5432",
                "PostgreSQL database \"app\" on the local socket (port 5432)",
                "PostgreSQL database \"app\" on 127.0.0.1:5432",
                "PostgreSQL database \"app\" on one of [::1]:5432, db.example.com:6000",
            ]
        );
    }

    #[test]
    fn never_shows_a_password_libpq_quotes() {
        let urls = [
            "postgres://u:secret@h:bad/db?password=other",
            "postgres://u:se%zzcret@h/db",
            "postgres://u:secret@[::1/db?password=other",
            "postgres://u@h/db?password=se%zzcret",
            "postgres://u:se  cret@h/db",
        ];
        for (url, outcome) in urls.iter().zip(parse_in(&[], &urls)) {
            // Every secret here ends in `cret` or is `other`.
            let error = outcome.unwrap_err();
            assert!(error.contains("***"), "{url}: {error}");
            assert!(
                !error.contains("cret") && !error.contains("other"),
                "{url}: {error}"
            );
        }
    }

    #[test]
    fn replaces_the_database_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "services.conf",
            "[s]\nhost=localhost\ndbname=app\n",
        );
        let vars = [("PGDATABASE", "envdb"), ("PGSERVICEFILE", file.as_str())];
        let urls = [
            "postgres://postgres@10.0.0.5:15432,x@localhost/app?host%61ddr=127.0.0.1,",
            "postgres://u:p%40ss@h1:1,[::1]:2/app?sslmode=disable&%64bname=y&host=h2,h3",
            "postgres:///?service=s",
            "postgres://h?dbname=app",
            "postgres://",
        ];
        for url in urls {
            let admin = replace_database(url, "my 'db'\\");
            let [before, after] = pgs(&vars, [url, &admin]);
            assert_eq!(before.endpoints, after.endpoints, "{url} → {admin}");
            assert_eq!(after.database, "my 'db'\\", "{url} → {admin}");
        }
        assert_eq!(
            replace_database("postgres://h/db?x=%zz", "postgres"),
            "postgres://h/db?x=%zz"
        );
    }

    /// Asking libpq opens no connection: listeners at the addresses of the URLs see none.
    #[test]
    fn asks_libpq_without_connecting() {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let port = tcp.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join(format!(".s.PGSQL.{port}"));
        let unix = UnixListener::bind(&socket).unwrap();
        unix.set_nonblocking(true).unwrap();
        let dir = dir.path().to_str().unwrap();
        let urls = [
            format!("postgres://u@127.0.0.1:{port}/db"),
            format!("postgres://u@localhost:{port}/db"),
            format!("postgres://u@:{port}/db?hostaddr=127.0.0.1"),
            format!("postgres://u@/db?host={dir}&port={port}"),
            format!("postgres://u@/db?host={dir},127.0.0.1&port={port}"),
        ];
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        for (url, parsed) in urls.iter().zip(parse_in(&[], &urls)) {
            assert_eq!(parsed.unwrap().not_local, None, "{url}");
        }
        assert_eq!(tcp.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
        assert_eq!(unix.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
        // The listeners do see a connection when one is made.
        let _tcp_client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _unix_client = UnixStream::connect(&socket).unwrap();
        assert!(tcp.accept().is_ok() && unix.accept().is_ok());
    }

    /// The workspace denies `unsafe` code; this module and the seeder's binding of rows
    /// through SQLite's C API are the two exceptions.
    #[test]
    fn no_other_file_allows_unsafe_code() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut dirs = vec![root.join("backend"), root.join("seed"), root.join("xtask")];
        let mut mentions = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap();
                if path.is_dir() {
                    dirs.push(path);
                } else if (name.ends_with(".rs") || name == "Cargo.toml")
                    && std::fs::read_to_string(&path)
                        .unwrap()
                        .contains("unsafe_code")
                {
                    mentions.push(path.strip_prefix(root).unwrap().to_owned());
                }
            }
        }
        mentions.sort();
        assert_eq!(
            mentions,
            [
                Path::new("backend/src/db/libpq.rs"),
                Path::new("seed/src/database/sqlite_api.rs")
            ]
        );
    }
}
