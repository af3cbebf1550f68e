//! Which database a URL names, where libpq will connect for it, and whether that is on this
//! machine.
//!
//! A URL starting with `postgres://` or `postgresql://` selects PostgreSQL; anything else is a
//! SQLite path (an optional `sqlite://` prefix is stripped). The default is `data/spendsense.db`.
//!
//! A PostgreSQL URL is handed to libpq as given, so the guard against replacing a remote
//! database is only as good as our reading of it. The reading therefore follows libpq 18 (the
//! version `pq-sys` compiles in) step by step: `conninfo_uri_parse_options` for the URL, then
//! the service file, then the `PG*` environment variables (`conninfo_add_defaults`), then the
//! per-host lists (`pqConnectOptions2`). Only the options that decide where libpq connects and
//! which database it opens are kept; every other option is still checked to be one libpq knows,
//! because libpq refuses a URL with an unknown one.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use super::error::DbError;
use super::pg_service::find_service;

/// The SQLite database used when neither a flag nor `DATABASE_URL` names one.
pub const DEFAULT_SQLITE_PATH: &str = "data/spendsense.db";

/// libpq's compiled-in port (`DEF_PGPORT`), used for an absent or empty port.
const DEFAULT_PORT: u16 = 5432;

/// libpq 18's connection options (`PQconninfoOptions`): the keys a URL query or a service
/// file may use. libpq refuses any other key.
const KEYWORDS: &[&str] = &[
    "service",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "dbname",
    "host",
    "hostaddr",
    "port",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslcertmode",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "require_auth",
    "min_protocol_version",
    "max_protocol_version",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "replication",
    "target_session_attrs",
    "load_balance_hosts",
    "scram_client_key",
    "scram_server_key",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
    "sslkeylogfile",
];

/// Query keys whose values are secrets, hidden by [`mask_password`].
const SECRET_KEYS: &[&str] = &[
    "password",
    "sslpassword",
    "scram_client_key",
    "scram_server_key",
    "oauth_client_secret",
];

/// Where the data goes: a SQLite file or a PostgreSQL server, parsed from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// The libpq connection URL, as given; libpq reads it again when connecting.
        url: String,
        /// The database libpq opens: the URL's, else the service's, else `PGDATABASE`, else
        /// the user name.
        database: String,
        /// Where libpq will try to connect, in order, or why that cannot be worked out.
        endpoints: Result<Vec<Endpoint>, Unresolved>,
    },
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
    /// libpq's default socket directory: the host is absent or empty.
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
    /// A group of a service file.
    Service {
        /// The service's name.
        name: String,
        /// The file that defines it.
        file: PathBuf,
    },
    /// An environment variable such as `PGHOST`.
    Env(&'static str),
    /// libpq's built-in default.
    Default,
}

/// Why libpq's endpoints cannot be worked out, for example a named service that no service
/// file defines. libpq itself refuses such a connection, and nothing about it is local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    problem: String,
}

/// Why a database is not provably on this machine: the first endpoint that is not, or why
/// the endpoints are unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotLocal {
    /// An endpoint that is no Unix socket, not `localhost` and not a loopback address.
    Endpoint(Endpoint),
    /// The endpoints cannot be worked out.
    Unresolved(Unresolved),
}

impl DatabaseUrl {
    /// Picks the database from an explicit URL, else `DATABASE_URL`, else the default SQLite file.
    pub fn from_arg_or_env(arg: Option<&str>) -> Result<Self, DbError> {
        match arg {
            Some(url) => Self::parse(url),
            None => match std::env::var("DATABASE_URL") {
                Ok(url) if !url.is_empty() => Self::parse(&url),
                _ => Ok(Self::Sqlite {
                    path: PathBuf::from(DEFAULT_SQLITE_PATH),
                }),
            },
        }
    }

    /// Parses a `postgres://` / `postgresql://` URL, a `sqlite://` URL or a plain file path. A
    /// PostgreSQL URL is completed from the service file and the `PG*` variables of this
    /// process's environment, as libpq will complete it.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        Self::parse_with_env(url, &|name: &str| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// [`DatabaseUrl::parse`] with the environment read through `env` instead of the process's:
    /// `PGHOST`, `PGHOSTADDR`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGSERVICE`, `PGSERVICEFILE`,
    /// `PGSYSCONFDIR`, `HOME` (for `~/.pg_service.conf`) and `USER`/`LOGNAME`. A variable
    /// that is set but empty counts as set, as it does for libpq.
    pub fn parse_with_env(
        url: &str,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, DbError> {
        let invalid = |reason: &str| DbError::InvalidUrl {
            url: mask_password(url),
            reason: reason.to_owned(),
        };
        if url.trim().is_empty() {
            return Err(invalid("it is empty"));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return parse_postgres(url, env).map_err(|reason| invalid(&reason));
        }
        if let Some((scheme, _)) = url.split_once("://")
            && scheme != "sqlite"
        {
            return Err(invalid(
                "expected postgres://, postgresql://, sqlite:// or a file path",
            ));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() {
            return Err(invalid("the SQLite path is empty"));
        }
        Ok(Self::Sqlite {
            path: PathBuf::from(path),
        })
    }

    /// Whether the database is provably on this machine: a SQLite file, or a PostgreSQL
    /// server that libpq reaches only through Unix sockets, the name `localhost` or loopback
    /// addresses (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), whichever host it ends up using.
    pub fn is_local(&self) -> bool {
        self.not_local().is_none()
    }

    /// Why [`DatabaseUrl::is_local`] is false: the first endpoint that is not local, or why
    /// the endpoints are unknown. Its `Display` names the host and where it came from, such
    /// as `10.0.0.5:15432 (hostaddr from PGHOSTADDR)`.
    pub fn not_local(&self) -> Option<NotLocal> {
        match self {
            Self::Sqlite { .. } => None,
            Self::Postgres {
                endpoints: Ok(endpoints),
                ..
            } => {
                if endpoints.is_empty() {
                    return Some(NotLocal::Unresolved(Unresolved {
                        problem: "libpq has no host to connect to".to_owned(),
                    }));
                }
                endpoints
                    .iter()
                    .find(|endpoint| !endpoint.is_local())
                    .cloned()
                    .map(NotLocal::Endpoint)
            }
            Self::Postgres {
                endpoints: Err(unresolved),
                ..
            } => Some(NotLocal::Unresolved(unresolved.clone())),
        }
    }

    /// The database as `Display` shows it, followed by why it is not local, for a refusal
    /// such as `... in PostgreSQL database "app" on 10.0.0.5:15432 (hostaddr from
    /// PGHOSTADDR): the host is not local`; `None` if it is local. Among several endpoints it
    /// names the one that is not local; unknown endpoints are already explained by `Display`.
    pub fn explain_not_local(&self) -> Option<String> {
        let single = matches!(self, Self::Postgres { endpoints: Ok(list), .. } if list.len() == 1);
        Some(match self.not_local()? {
            NotLocal::Endpoint(endpoint) if single => format!("{self} ({})", endpoint.origin()),
            NotLocal::Endpoint(endpoint) => format!("{self} ({endpoint}: {})", endpoint.origin()),
            NotLocal::Unresolved(_) => self.to_string(),
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
        let option = match self.address {
            Address::HostAddr { .. } => "hostaddr",
            _ => "host",
        };
        format!("{option} from {}", self.source)
    }
}

/// Whether `host` is a loopback IP address. Only the forms Rust parses count: libpq would
/// also accept shorthand such as `127.1`, which is merely refused as not provably local.
fn is_loopback(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path } => write!(f, "SQLite database {}", path.display()),
            Self::Postgres {
                database,
                endpoints,
                ..
            } => {
                write!(f, "PostgreSQL database {database:?} on ")?;
                match endpoints.as_deref() {
                    Ok([one]) => write!(f, "{one}"),
                    Ok(several) => {
                        f.write_str("one of ")?;
                        for (i, endpoint) in several.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            write!(f, "{endpoint}")?;
                        }
                        Ok(())
                    }
                    Err(unresolved) => write!(f, "an unknown host ({unresolved})"),
                }
            }
        }
    }
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
            Self::Service { name, file } => {
                write!(f, "service {name:?} in {}", file.display())
            }
            Self::Env(var) => f.write_str(var),
            Self::Default => f.write_str("libpq's default"),
        }
    }
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem)
    }
}

impl fmt::Display for NotLocal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Endpoint(endpoint) => write!(f, "{endpoint} ({})", endpoint.origin()),
            Self::Unresolved(unresolved) => write!(f, "{unresolved}"),
        }
    }
}

fn parse_postgres(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<DatabaseUrl, String> {
    let uri = Uri::parse(url)?;
    // libpq only rejects a bad port when it tries that host (and skips a port out of range),
    // but one written in the URL is a mistake worth reporting before anything runs.
    if let Some(ports) = &uri.port {
        for port in ports.split(',').filter(|p| !p.is_empty()) {
            parse_port(port).ok_or_else(|| format!("bad port {port:?}"))?;
        }
    }
    let mut resolver = Resolver::from_url(uri, env);
    resolver.apply_service();
    resolver.apply_env();
    Ok(DatabaseUrl::Postgres {
        url: url.to_owned(),
        database: resolver.database(),
        endpoints: resolver.endpoints(),
    })
}

/// A port as libpq reads it (`pqParseIntParam`: `strtol` in base 10, white space around it
/// allowed), if it is in 1..=65535.
fn parse_port(value: &str) -> Option<u16> {
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let digits = value.strip_prefix('+').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|&port| port != 0)
}

/// The options of a libpq connection URI that decide where it connects, each the last value
/// the URL gives it, and the positions that [`replace_database`] needs. Parsed the way
/// libpq's `conninfo_uri_parse_options` parses, surprises included.
#[derive(Debug, Default)]
struct Uri {
    host: Option<String>,
    hostaddr: Option<String>,
    port: Option<String>,
    dbname: Option<String>,
    user: Option<String>,
    service: Option<String>,
    /// Where the host list ends: at the `/` before the database name, the `?`, or the end.
    authority_end: usize,
    /// Where the `?` that starts the query is.
    query_at: Option<usize>,
}

impl Uri {
    fn parse(uri: &str) -> Result<Uri, String> {
        let prefix = ["postgresql://", "postgres://"]
            .iter()
            .find(|prefix| uri.starts_with(*prefix))
            .ok_or("expected postgres:// or postgresql://")?
            .len();
        let bytes = uri.as_bytes();
        let at = |i: usize| bytes.get(i).copied();
        let mut parsed = Uri::default();
        let mut p = prefix;

        // libpq ends the user name and password at the FIRST `@` that comes before any `/`
        // (a `?` does not stop the search), so `postgres://a@b:1,c@d/db` is the user `a` and
        // the hosts `b:1` and `c@d`.
        let stop = bytes[p..]
            .iter()
            .position(|&b| b == b'@' || b == b'/')
            .map(|i| p + i);
        if let Some(end) = stop.filter(|&i| bytes[i] == b'@') {
            let userinfo = &uri[p..end];
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, password),
                None => (userinfo, ""),
            };
            if !user.is_empty() {
                parsed.user = Some(uri_decode(user).map_err(|e| format!("{e} in the user name"))?);
            }
            // The password is decoded only to fail where libpq fails; it never leaves here.
            if !password.is_empty() {
                uri_decode(password).map_err(|e| format!("{e} in the password"))?;
            }
            p = end + 1;
        }

        // Several `host[:port]` entries may follow, separated by commas; libpq joins them into
        // one comma-separated host list and one port list, so an entry without a port leaves
        // an empty place in the port list.
        let mut hosts = String::new();
        let mut ports = String::new();
        let mut terminator;
        loop {
            if at(p) == Some(b'[') {
                let start = p + 1;
                let close = bytes[start..]
                    .iter()
                    .position(|&b| b == b']')
                    .map(|i| start + i)
                    .ok_or("end of string reached when looking for matching \"]\" in IPv6 host address")?;
                if close == start {
                    return Err("IPv6 host address may not be empty".to_owned());
                }
                hosts.push_str(&uri[start..close]);
                p = close + 1;
                if let Some(c) = at(p)
                    && !matches!(c, b':' | b'/' | b'?' | b',')
                {
                    let c = uri[p..].chars().next().unwrap_or_default();
                    return Err(format!(
                        "unexpected character {c:?} at position {} (expected \":\" or \"/\")",
                        p + 1
                    ));
                }
            } else {
                let start = p;
                while at(p).is_some_and(|b| !matches!(b, b':' | b'/' | b'?' | b',')) {
                    p += 1;
                }
                hosts.push_str(&uri[start..p]);
            }
            terminator = at(p);
            if terminator == Some(b':') {
                p += 1;
                let start = p;
                while at(p).is_some_and(|b| !matches!(b, b'/' | b'?' | b',')) {
                    p += 1;
                }
                ports.push_str(&uri[start..p]);
                terminator = at(p);
            }
            if terminator != Some(b',') {
                break;
            }
            p += 1;
            hosts.push(',');
            ports.push(',');
        }
        // The lists are decoded after joining, so `%2C` inside a host adds an entry.
        if !hosts.is_empty() {
            parsed.host = Some(uri_decode(&hosts).map_err(|e| format!("{e} in the host"))?);
        }
        if !ports.is_empty() {
            parsed.port = Some(uri_decode(&ports).map_err(|e| format!("{e} in the port"))?);
        }
        parsed.authority_end = p;

        if terminator == Some(b'/') {
            p += 1;
            let start = p;
            while at(p).is_some_and(|b| b != b'?') {
                p += 1;
            }
            // An empty path sets nothing, so PGDATABASE still applies.
            if p > start {
                parsed.dbname =
                    Some(uri_decode(&uri[start..p]).map_err(|e| format!("{e} in the database"))?);
            }
            terminator = at(p);
        }
        if terminator == Some(b'?') {
            parsed.query_at = Some(p);
            parsed.parse_query(&uri[p + 1..])?;
        }
        Ok(parsed)
    }

    /// Reads `key=value&...` as `conninfo_uri_parse_params` does: keys and values are both
    /// percent-decoded, a later value replaces an earlier one, and an unknown key is an error.
    fn parse_query(&mut self, query: &str) -> Result<(), String> {
        let mut pairs = query.split('&').peekable();
        while let Some(pair) = pairs.next() {
            // A trailing `&` ends the query; an empty pair anywhere else lacks its `=`.
            if pair.is_empty() && pairs.peek().is_none() {
                break;
            }
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!(
                    "missing key/value separator \"=\" in URI query parameter: {pair:?}"
                ));
            };
            if value.contains('=') {
                return Err(format!(
                    "extra key/value separator \"=\" in URI query parameter: {key:?}"
                ));
            }
            let key = uri_decode(key).map_err(|e| format!("{e} in a query key"))?;
            let value = uri_decode(value).map_err(|e| format!("{e} in the value of {key:?}"))?;
            // libpq's aliases: JDBC's `ssl=true` (only that value) and the old `requiressl`.
            let key = match key.as_str() {
                "ssl" if value == "true" => "sslmode",
                "requiressl" => "sslmode",
                other => other,
            };
            if !KEYWORDS.contains(&key) {
                return Err(format!("invalid URI query parameter: {key:?}"));
            }
            let slot = match key {
                "host" => &mut self.host,
                "hostaddr" => &mut self.hostaddr,
                "port" => &mut self.port,
                "dbname" => &mut self.dbname,
                "user" => &mut self.user,
                "service" => &mut self.service,
                _ => continue,
            };
            *slot = Some(value);
        }
        Ok(())
    }
}

/// Percent-decodes one part of a URL as libpq 18's `conninfo_uri_decode` does: spaces around
/// the text are dropped, a space inside it is an error, and so are a bad `%` token and `%00`.
/// The error never repeats the text, which may be a password.
fn uri_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut i = bytes.iter().take_while(|&&b| b == b' ').count();
    let mut out = Vec::with_capacity(bytes.len());
    while i < bytes.len() && bytes[i] != b' ' {
        if bytes[i] == b'%' {
            let hex = |j: usize| bytes.get(j).and_then(|&b| char::from(b).to_digit(16));
            let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
                return Err("invalid percent-encoded token".to_owned());
            };
            let byte = (high * 16 + low) as u8;
            if byte == 0 {
                return Err("forbidden value %00 in percent-encoded value".to_owned());
            }
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if bytes[i..].iter().any(|&b| b != b' ') {
        return Err("unexpected spaces (use percent-encoded spaces, %20)".to_owned());
    }
    // Bytes that are not UTF-8 become U+FFFD, which no local host name or address contains.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One connection option's value and where it came from.
#[derive(Debug, Clone)]
struct Setting {
    value: String,
    source: Source,
}

impl Setting {
    /// The value if it is not empty: libpq treats an empty host, port or database as absent
    /// once defaults are in, though an empty value set early still blocks later sources.
    fn non_empty(setting: &Option<Setting>) -> Option<&Setting> {
        setting.as_ref().filter(|s| !s.value.is_empty())
    }

    /// The comma-separated entries of a host, hostaddr or port list, empty ones included.
    fn entries(&self) -> Vec<&str> {
        self.value.split(',').collect()
    }
}

/// Completes the URL's options the way libpq does, phase by phase: a source only fills an
/// option that every earlier source left unset (an empty value counts as set).
struct Resolver<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    host: Option<Setting>,
    hostaddr: Option<Setting>,
    port: Option<Setting>,
    dbname: Option<Setting>,
    user: Option<Setting>,
    /// The service named by the URL, else by `PGSERVICE`.
    service: Option<Setting>,
    /// Why the named service could not be used; libpq would not connect at all.
    service_problem: Option<String>,
}

impl<'a> Resolver<'a> {
    fn from_url(uri: Uri, env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        let from_url = |value: Option<String>| {
            value.map(|value| Setting {
                value,
                source: Source::Url,
            })
        };
        Resolver {
            env,
            host: from_url(uri.host),
            hostaddr: from_url(uri.hostaddr),
            port: from_url(uri.port),
            dbname: from_url(uri.dbname),
            user: from_url(uri.user),
            service: from_url(uri.service),
            service_problem: None,
        }
    }

    fn slot(&mut self, key: &str) -> Option<&mut Option<Setting>> {
        match key {
            "host" => Some(&mut self.host),
            "hostaddr" => Some(&mut self.hostaddr),
            "port" => Some(&mut self.port),
            "dbname" => Some(&mut self.dbname),
            "user" => Some(&mut self.user),
            _ => None,
        }
    }

    /// libpq's `parseServiceInfo`: reads the service before any other environment variable,
    /// and fills only what the URL left unset.
    fn apply_service(&mut self) {
        if self.service.is_none() {
            self.service = (self.env)("PGSERVICE").map(|value| Setting {
                value,
                source: Source::Env("PGSERVICE"),
            });
        }
        let Some(service) = self.service.clone() else {
            return;
        };
        match find_service(&service.value, KEYWORDS, self.env) {
            Ok(found) => {
                let source = Source::Service {
                    name: service.value,
                    file: found.file,
                };
                for (key, value) in found.settings {
                    if let Some(slot) = self.slot(&key)
                        && slot.is_none()
                    {
                        *slot = Some(Setting {
                            value,
                            source: source.clone(),
                        });
                    }
                }
            }
            Err(problem) => {
                self.service_problem = Some(format!("{problem} (service from {})", service.source));
            }
        }
    }

    /// libpq's environment fallbacks, for what neither the URL nor the service set.
    fn apply_env(&mut self) {
        let env = self.env;
        for (key, var) in [
            ("host", "PGHOST"),
            ("hostaddr", "PGHOSTADDR"),
            ("port", "PGPORT"),
            ("dbname", "PGDATABASE"),
            ("user", "PGUSER"),
        ] {
            if let Some(slot) = self.slot(key)
                && slot.is_none()
            {
                *slot = env(var).map(|value| Setting {
                    value,
                    source: Source::Env(var),
                });
            }
        }
    }

    /// The database name, defaulting to the user name as libpq does. libpq's last resort for
    /// the user is the operating system's name for this process's user (`getpwuid`), which
    /// needs code this crate does not have; `USER` and `LOGNAME` hold the same name in a
    /// login session, and `postgres` is a last guess that only affects messages.
    fn database(&self) -> String {
        let configured = |setting: &Option<Setting>| {
            Setting::non_empty(setting).map(|setting| setting.value.clone())
        };
        configured(&self.dbname)
            .or_else(|| configured(&self.user))
            .or_else(|| {
                ["USER", "LOGNAME"]
                    .into_iter()
                    .find_map(|var| (self.env)(var).filter(|name| !name.is_empty()))
            })
            .unwrap_or_else(|| "postgres".to_owned())
    }

    /// libpq's `pqConnectOptions2`: one endpoint per `hostaddr` entry if there are any, else
    /// per `host` entry, else one; the lists must match in length, and a single port applies
    /// to every host.
    fn endpoints(&self) -> Result<Vec<Endpoint>, Unresolved> {
        let unresolved = |problem: String| Unresolved { problem };
        if let Some(problem) = &self.service_problem {
            return Err(unresolved(problem.clone()));
        }
        let hostaddr = Setting::non_empty(&self.hostaddr);
        let host = Setting::non_empty(&self.host);
        let port = Setting::non_empty(&self.port);
        let hostaddrs = hostaddr.map(Setting::entries);
        let hosts = host.map(Setting::entries);
        let count = hostaddrs
            .as_ref()
            .or(hosts.as_ref())
            .map_or(1, |list| list.len());
        // Without a hostaddr the count is the host list's own, so only a hostaddr list can
        // disagree with it.
        if let (Some(hosts), Some(host), Some(hostaddr)) = (&hosts, host, hostaddr)
            && hosts.len() != count
        {
            return Err(unresolved(format!(
                "could not match {} host names (host from {}) to {count} hostaddr values \
                 (hostaddr from {})",
                hosts.len(),
                host.source,
                hostaddr.source,
            )));
        }
        let ports = match port {
            Some(port) => {
                let ports = port.entries();
                if ports.len() != 1 && ports.len() != count {
                    return Err(unresolved(format!(
                        "could not match {} port numbers (port from {}) to {count} hosts",
                        ports.len(),
                        port.source
                    )));
                }
                let mut numbers = Vec::with_capacity(ports.len());
                for entry in ports {
                    numbers.push(if entry.is_empty() {
                        DEFAULT_PORT
                    } else {
                        parse_port(entry).ok_or_else(|| {
                            unresolved(format!(
                                "invalid port number {entry:?} (port from {})",
                                port.source
                            ))
                        })?
                    });
                }
                numbers
            }
            None => vec![DEFAULT_PORT],
        };
        let mut endpoints = Vec::with_capacity(count);
        for i in 0..count {
            let addr = hostaddrs
                .as_ref()
                .map(|list| list[i])
                .filter(|a| !a.is_empty());
            let name = hosts.as_ref().map(|list| list[i]).filter(|h| !h.is_empty());
            let (address, source) = match (addr, name) {
                (Some(addr), name) => (
                    Address::HostAddr {
                        addr: addr.to_owned(),
                        host: name.map(str::to_owned),
                    },
                    hostaddr.map(|h| h.source.clone()),
                ),
                (None, Some(name)) if name.starts_with('/') || name.starts_with('@') => (
                    Address::Socket(name.to_owned()),
                    host.map(|h| h.source.clone()),
                ),
                (None, Some(name)) => (
                    Address::Host(name.to_owned()),
                    host.map(|h| h.source.clone()),
                ),
                (None, None) => (
                    Address::DefaultSocket,
                    self.host.as_ref().map(|h| h.source.clone()),
                ),
            };
            endpoints.push(Endpoint {
                address,
                port: ports[if ports.len() == 1 { 0 } else { i }],
                source: source.unwrap_or(Source::Default),
            });
        }
        Ok(endpoints)
    }
}

/// Returns the URL with its database replaced by `database`: the path is rewritten and every
/// `dbname` query parameter dropped, so the name wins over the service and `PGDATABASE` as
/// well. Everything else is kept byte for byte, so libpq reads the same hosts. A URL that does
/// not parse is returned as it is.
pub(crate) fn replace_database(url: &str, database: &str) -> String {
    let Ok(uri) = Uri::parse(url) else {
        return url.to_owned();
    };
    let mut out = format!("{}/{}", &url[..uri.authority_end], uri_encode(database));
    if let Some(query_at) = uri.query_at {
        let kept: Vec<&str> = url[query_at + 1..]
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                pair.split_once('=')
                    .is_none_or(|(key, _)| uri_decode(key).ok().as_deref() != Some("dbname"))
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

/// Hides the password of a URL such as `postgres://user:secret@host/db`, and the values of
/// secret query parameters such as `?password=secret`.
///
/// It errs on the side of hiding: the password runs from the first `:` of the user
/// information to the LAST `@`, although libpq stops at the first, because an unencoded `@`
/// is far more likely a typo in a password than a host list, and the URL may not even parse.
pub fn mask_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let start = scheme_end + 3;
    let rest = &url[start..];
    let mut out = url[..start].to_owned();
    let mut tail = rest;
    if let (Some(first_at), Some(last_at)) = (rest.find('@'), rest.rfind('@'))
        && let Some(colon) = rest[..first_at].find(':')
    {
        out.push_str(&rest[..=colon]);
        out.push_str("***");
        tail = &rest[last_at..];
    }
    match tail.split_once('?') {
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if is_secret_key(key) => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

fn is_secret_key(key: &str) -> bool {
    let key = uri_decode(key).unwrap_or_else(|_| key.to_owned());
    SECRET_KEYS.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;

    /// Parses `url` with exactly the environment `vars`, never the process's.
    fn parse(url: &str, vars: &[(&str, &str)]) -> Result<DatabaseUrl, DbError> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        DatabaseUrl::parse_with_env(url, &|name: &str| env.get(name).cloned())
    }

    fn pg(url: &str, vars: &[(&str, &str)]) -> DatabaseUrl {
        parse(url, vars).unwrap_or_else(|e| panic!("{url} should parse: {e}"))
    }

    fn endpoints(target: &DatabaseUrl) -> Vec<String> {
        match target {
            DatabaseUrl::Postgres {
                endpoints: Ok(list),
                ..
            } => list.iter().map(ToString::to_string).collect(),
            other => panic!("no endpoints in {other:?}"),
        }
    }

    fn database(target: &DatabaseUrl) -> &str {
        match target {
            DatabaseUrl::Postgres { database, .. } => database,
            other => panic!("not postgres: {other:?}"),
        }
    }

    /// Asserts that `url` with `vars` is refused as remote, and returns the reason.
    fn refused(url: &str, vars: &[(&str, &str)]) -> String {
        let target = pg(url, vars);
        assert!(!target.is_local(), "{url} with {vars:?} should be remote");
        target.not_local().expect("a reason").to_string()
    }

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    #[test]
    fn parses_sqlite_paths_and_urls() {
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "data/x.db".into()
            }
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "/tmp/x.db".into()
            }
        );
        assert!(DatabaseUrl::parse("mysql://root@localhost/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn parses_postgres_urls() {
        let target = pg(
            "postgres://u:p%40ss@db.example.com:6543/app?sslmode=require",
            &[],
        );
        assert_eq!(endpoints(&target), ["db.example.com:6543"]);
        assert_eq!(database(&target), "app");
        let target = pg("postgresql://[::1]/x", &[]);
        let DatabaseUrl::Postgres {
            endpoints: Ok(list),
            ..
        } = &target
        else {
            panic!("not resolved")
        };
        assert_eq!(list[0].address, Address::Host("::1".to_owned()));
        assert_eq!((list[0].port, database(&target)), (5432, "x"));
        let target = pg("postgres://bob@/?host=/var/run/postgresql", &[]);
        assert_eq!(endpoints(&target), ["/var/run/postgresql:5432"]);
        assert_eq!(database(&target), "bob");
        assert!(parse("postgres://h:notaport/db", &[]).is_err());
        assert!(parse("postgres://h:0/db", &[]).is_err());
        assert!(parse("postgres://h/db?port=65536", &[]).is_err());
    }

    #[test]
    fn tells_local_from_remote() {
        let local = [
            "data/x.db",
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
        for url in local {
            let target = pg(url, &[]);
            assert!(target.is_local(), "{url} should be local");
            assert_eq!(
                (target.not_local(), target.explain_not_local()),
                (None, None)
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
            // libpq keeps the brackets of a host given as a parameter, and resolves
            // `[::1]` as a name, which fails.
            "postgres:///db?host=[::1]",
            "postgres://localhost./db",
        ];
        for url in remote {
            assert!(!pg(url, &[]).is_local(), "{url} should be remote");
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
        assert_eq!(
            refused("postgres:///db", &vars),
            "10.0.0.5:15432 (host from PGHOST)"
        );
        assert_eq!(
            pg("postgres:///db", &vars).to_string(),
            "PostgreSQL database \"db\" on 10.0.0.5:15432"
        );
        // A host in the URL wins over PGHOST, and a port over PGPORT.
        assert!(pg("postgres://localhost:5433/db", &vars).is_local());
        assert_eq!(
            endpoints(&pg("postgres://localhost:5433/db", &vars)),
            ["localhost:5433"]
        );
    }

    #[test]
    fn refuses_pghostaddr_even_when_the_url_names_a_host() {
        let vars = [("PGHOSTADDR", "10.0.0.5")];
        assert_eq!(
            refused("postgres://localhost:15432/db", &vars),
            "10.0.0.5:15432 (hostaddr from PGHOSTADDR)"
        );
        assert_eq!(
            pg("postgres://localhost:15432/db", &vars).explain_not_local(),
            Some("PostgreSQL database \"db\" on 10.0.0.5:15432 (hostaddr from PGHOSTADDR)".into())
        );
        // The URL's own hostaddr wins over PGHOSTADDR.
        assert!(pg("postgres://localhost/db?hostaddr=127.0.0.1", &vars).is_local());
        // Surprising but libpq: an empty `hostaddr=` counts as given, so PGHOSTADDR is not
        // consulted, and then the empty value means "no hostaddr".
        assert!(pg("postgres://localhost/db?hostaddr=", &vars).is_local());
    }

    #[test]
    fn refuses_a_host_list_that_falls_back_to_a_remote_host() {
        let url = "postgres://u@/db?host=/nonexistent,10.0.0.5&port=15432";
        assert_eq!(refused(url, &[]), "10.0.0.5:15432 (host from the URL)");
        assert_eq!(
            pg(url, &[]).to_string(),
            "PostgreSQL database \"db\" on one of /nonexistent:15432, 10.0.0.5:15432"
        );
        assert_eq!(
            pg(url, &[]).explain_not_local().unwrap(),
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
    fn refuses_percent_encoded_keys() {
        assert_eq!(
            refused("postgres://localhost/db?%68ost=10.0.0.5", &[]),
            "10.0.0.5:5432 (host from the URL)"
        );
        assert_eq!(
            refused("postgres://localhost/db?host%61ddr=10.0.0.5", &[]),
            "10.0.0.5:5432 (hostaddr from the URL)"
        );
        assert_eq!(
            refused("postgres://localhost/db?host=10%2E0.0.5", &[]),
            "10.0.0.5:5432 (host from the URL)"
        );
    }

    #[test]
    fn refuses_a_second_at_sign_in_the_user_information() {
        // libpq ends the user name at the first `@`; the rest is a host list whose second
        // entry is the host `x@localhost`.
        let url = "postgres://postgres@10.0.0.5:15432,x@localhost/db";
        assert_eq!(refused(url, &[]), "10.0.0.5:15432 (host from the URL)");
        assert_eq!(
            endpoints(&pg(url, &[])),
            ["10.0.0.5:15432", "x@localhost:5432"]
        );
        assert_eq!(database(&pg(url, &[])), "db");
    }

    #[test]
    fn refuses_a_user_information_that_swallows_the_query() {
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
        let home = dir.path().to_str().unwrap();
        let vars = [
            ("PGSERVICEFILE", file.as_str()),
            ("HOME", home),
            ("PGSYSCONFDIR", home),
        ];
        assert!(pg("postgres:///?service=local", &vars).is_local());
        assert_eq!(
            refused("postgres:///?service=remote", &vars),
            format!("10.0.0.5:15432 (host from service \"remote\" in {file})")
        );
        assert_eq!(
            pg("postgres:///?service=remote", &vars).to_string(),
            "PostgreSQL database \"app\" on 10.0.0.5:15432"
        );
        // PGSERVICE names the service when the URL does not, and the URL's name wins.
        let with_pgservice = [vars.as_slice(), &[("PGSERVICE", "remote")]].concat();
        assert_eq!(
            refused("postgres:///", &with_pgservice),
            format!("10.0.0.5:15432 (host from service \"remote\" in {file})")
        );
        assert!(pg("postgres:///?service=local", &with_pgservice).is_local());
        // The URL's values win over the service's...
        assert!(pg("postgres://localhost/?service=remote", &vars).is_local());
        // ...but a hostaddr the URL does not set still comes from the service.
        assert_eq!(
            refused("postgres://localhost/?service=addr", &vars),
            format!("10.0.0.6:5432 (hostaddr from service \"addr\" in {file})")
        );
        // The service's values win over the environment's.
        assert!(
            !pg(
                "postgres:///?service=remote",
                &[vars.as_slice(), &[("PGHOST", "localhost")]].concat()
            )
            .is_local()
        );
    }

    #[test]
    fn finds_services_in_home_then_in_the_system_directory() {
        let home = tempfile::tempdir().unwrap();
        let sys = tempfile::tempdir().unwrap();
        let user_file = write(
            home.path(),
            ".pg_service.conf",
            "[mine]\nhost=10.0.0.1\n[both]\nhost=localhost\n",
        );
        let sys_file = write(
            sys.path(),
            "pg_service.conf",
            "[theirs]\nhost=10.0.0.2\n[both]\nhost=10.0.0.3\n",
        );
        let vars = [
            ("HOME", home.path().to_str().unwrap()),
            ("PGSYSCONFDIR", sys.path().to_str().unwrap()),
        ];
        assert_eq!(
            refused("postgres:///?service=mine", &vars),
            format!("10.0.0.1:5432 (host from service \"mine\" in {user_file})")
        );
        assert_eq!(
            refused("postgres:///?service=theirs", &vars),
            format!("10.0.0.2:5432 (host from service \"theirs\" in {sys_file})")
        );
        // The first file that defines a service is the only one read.
        assert!(pg("postgres:///?service=both", &vars).is_local());
    }

    #[test]
    fn refuses_services_that_cannot_be_found_or_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        let missing = format!("{path}/missing.conf");
        let base = [("HOME", path), ("PGSYSCONFDIR", path)];
        assert_eq!(
            refused("postgres://localhost/?service=nowhere", &base),
            "definition of service \"nowhere\" not found (service from the URL)"
        );
        assert_eq!(
            pg("postgres://localhost/db?service=nowhere", &base).explain_not_local(),
            Some(pg("postgres://localhost/db?service=nowhere", &base).to_string())
        );
        assert_eq!(
            pg("postgres://localhost/db?service=nowhere", &base).to_string(),
            "PostgreSQL database \"db\" on an unknown host (definition of service \"nowhere\" \
             not found (service from the URL))"
        );
        let reason = refused(
            "postgres://localhost/",
            &[("PGSERVICE", "x"), ("PGSERVICEFILE", &missing)],
        );
        assert!(
            reason.starts_with(&format!("service file \"{missing}\" not found")),
            "{reason}"
        );
        assert!(reason.ends_with("(service from PGSERVICE)"), "{reason}");
        // Without HOME the user's service file cannot be found, and it could define anything.
        assert!(
            refused("postgres://localhost/?service=x", &[("PGSYSCONFDIR", path)])
                .contains("HOME is not set")
        );
        let broken = write(
            dir.path(),
            "broken.conf",
            "[spaced]\nhost = localhost\n[nested]\nservice=other\n[bare]\nhost\n",
        );
        let vars = [("PGSERVICEFILE", broken.as_str()), ("PGSYSCONFDIR", path)];
        // libpq trims neither key nor value, so `host ` is an unknown key.
        assert_eq!(
            refused("postgres://localhost/?service=spaced", &vars),
            format!("syntax error in service file \"{broken}\", line 2 (service from the URL)")
        );
        assert!(
            refused("postgres://localhost/?service=nested", &vars)
                .starts_with("nested service specifications not supported")
        );
        assert!(refused("postgres://localhost/?service=bare", &vars).contains("line 6"));
        let long = write(
            dir.path(),
            "long.conf",
            &format!(
                "[long]\nhost=localhost\napplication_name={}\n",
                "a".repeat(1100)
            ),
        );
        assert!(
            refused(
                "postgres://localhost/?service=long",
                &[("PGSERVICEFILE", long.as_str()), ("PGSYSCONFDIR", path)]
            )
            .contains("line 3 too long")
        );
    }

    #[test]
    fn refuses_unknown_query_keys_like_libpq() {
        for url in [
            "postgres://localhost/db?hots=10.0.0.5",
            "postgres://localhost/db?%68ots=x",
            // libpq maps only `ssl=true` to sslmode=require; `ssl` with any other value is no
            // option at all.
            "postgres://localhost/db?ssl=false",
        ] {
            let error = parse(url, &[]).unwrap_err().to_string();
            assert!(error.contains("invalid URI query parameter"), "{error}");
        }
        assert!(pg("postgres://localhost/db?ssl=true&requiressl=1", &[]).is_local());
        assert!(
            pg(
                "postgres://localhost/db?application_name=x&sslmode=require",
                &[]
            )
            .is_local()
        );
    }

    #[test]
    fn parses_like_libpq() {
        // Repeated keys: the last one wins, and a query host replaces the authority's.
        assert!(pg("postgres://10.0.0.5/db?host=10.0.0.6&host=localhost", &[]).is_local());
        assert!(!pg("postgres://localhost/db?host=localhost&host=10.0.0.6", &[]).is_local());
        assert_eq!(
            endpoints(&pg("postgres://localhost:1/db?port=2", &[])),
            ["localhost:2"]
        );
        // Host lists in the authority, IPv6 in brackets, each with or without a port.
        assert_eq!(
            endpoints(&pg("postgresql://[::1]:5433,localhost,[::2]/db", &[])),
            ["[::1]:5433", "localhost:5432", "[::2]:5432"]
        );
        // libpq decodes the joined host list, so an encoded comma adds a host.
        assert_eq!(
            endpoints(&pg("postgres://localhost%2C10.0.0.5/db", &[])),
            ["localhost:5432", "10.0.0.5:5432"]
        );
        // Two hosts without ports make the port list ",": set, though empty, so PGPORT no
        // longer applies. One host without a port leaves the port unset.
        let vars = [("PGPORT", "6000")];
        assert_eq!(
            endpoints(&pg("postgres://a,b/db", &vars)),
            ["a:5432", "b:5432"]
        );
        assert_eq!(endpoints(&pg("postgres://a/db", &vars)), ["a:6000"]);
        // libpq 18 drops spaces around a key or value and refuses one inside it; an encoded
        // space is kept.
        assert_eq!(
            endpoints(&pg("postgres://localhost/db?host= x & port=5433", &[])),
            ["x:5433"]
        );
        assert_eq!(
            endpoints(&pg("postgres://localhost/db?host=%20x", &[])),
            [" x:5432"]
        );
        assert!(parse("postgres://localhost/db?host=a b", &[]).is_err());
        assert!(parse("postgres://localhost/db?host=%2", &[]).is_err());
        assert!(parse("postgres://localhost/db?host=%zz", &[]).is_err());
        assert!(parse("postgres://localhost/db?host=a%00", &[]).is_err());
        assert!(parse("postgres://localhost/db?host", &[]).is_err());
        assert!(parse("postgres://localhost/db?host=a=b", &[]).is_err());
        let error = parse("postgres://localhost/db?sslmode=disable&&host=x", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing key/value separator"), "{error}");
        assert!(parse("postgres://[::1/db", &[]).is_err());
        assert!(parse("postgres://[]/db", &[]).is_err());
        assert!(parse("postgres://[::1]x/db", &[]).is_err());
        // A trailing `&` and an empty query are fine.
        assert!(pg("postgres://localhost/db?sslmode=disable&", &[]).is_local());
        assert!(pg("postgres://localhost/db?", &[]).is_local());
    }

    #[test]
    fn refuses_host_and_port_lists_that_do_not_match() {
        assert_eq!(
            refused("postgres:///db?host=a,b&hostaddr=127.0.0.1", &[]),
            "could not match 2 host names (host from the URL) to 1 hostaddr values \
             (hostaddr from the URL)"
        );
        assert_eq!(
            refused("postgres:///db?host=a,b,c&port=1,2", &[]),
            "could not match 2 port numbers (port from the URL) to 3 hosts"
        );
        assert_eq!(
            refused("postgres://localhost/db", &[("PGPORT", "x")]),
            "invalid port number \"x\" (port from PGPORT)"
        );
        // A hostaddr entry decides its slot; an empty one leaves the slot to its host.
        let target = pg(
            "postgres:///db?host=localhost,localhost&hostaddr=,10.0.0.5",
            &[],
        );
        assert_eq!(endpoints(&target), ["localhost:5432", "10.0.0.5:5432"]);
        assert!(!target.is_local());
    }

    #[test]
    fn names_the_database_libpq_opens() {
        assert_eq!(
            database(&pg("postgres://localhost/", &[("PGDATABASE", "envdb")])),
            "envdb"
        );
        assert_eq!(
            database(&pg("postgres://localhost/app", &[("PGDATABASE", "envdb")])),
            "app"
        );
        assert_eq!(
            database(&pg("postgres://localhost/app?dbname=other", &[])),
            "other"
        );
        // An empty `dbname=` counts as given, so PGDATABASE is ignored and the user name used.
        assert_eq!(
            database(&pg(
                "postgres://u@localhost/?dbname=",
                &[("PGDATABASE", "envdb")]
            )),
            "u"
        );
        assert_eq!(
            database(&pg("postgres://localhost", &[("PGUSER", "pguser")])),
            "pguser"
        );
        assert_eq!(
            database(&pg("postgres://localhost", &[("USER", "me")])),
            "me"
        );
        assert_eq!(database(&pg("postgres://localhost", &[])), "postgres");
    }

    #[test]
    fn displays_one_or_several_endpoints() {
        assert_eq!(
            pg("postgres://u:secret@db.invalid:5432/app", &[]).to_string(),
            "PostgreSQL database \"app\" on db.invalid:5432"
        );
        assert_eq!(
            pg("postgres://u@db.example.com/app", &[]).to_string(),
            "PostgreSQL database \"app\" on db.example.com:5432"
        );
        assert_eq!(
            pg("postgres:///app", &[]).to_string(),
            "PostgreSQL database \"app\" on the local socket (port 5432)"
        );
        assert_eq!(
            pg("postgres://localhost/app?hostaddr=127.0.0.1", &[]).to_string(),
            "PostgreSQL database \"app\" on 127.0.0.1:5432"
        );
        assert_eq!(
            pg("postgres://[::1],db.example.com:6000/app", &[]).to_string(),
            "PostgreSQL database \"app\" on one of [::1]:5432, db.example.com:6000"
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap().to_string(),
            "SQLite database data/x.db"
        );
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(mask_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            mask_password("postgres://u:p%40ss@h1:1,h2:2/db"),
            "postgres://u:***@h1:1,h2:2/db"
        );
        // An unencoded `@` or `/` in a password is hidden whole.
        assert_eq!(
            mask_password("postgres://u:p@s/s@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            mask_password("postgres://h/db?user=u&password=secret&%70assword=s2&sslpassword=s3"),
            "postgres://h/db?user=u&password=***&%70assword=***&sslpassword=***"
        );
        assert_eq!(
            mask_password("postgres://postgres@10.0.0.5:15432,x@localhost/db"),
            "postgres://postgres@10.0.0.5:15432,x@localhost/db"
        );
        assert_eq!(mask_password("data/x.db"), "data/x.db");
        let error = parse("postgres://u:secret@h:bad/db?password=other", &[])
            .unwrap_err()
            .to_string();
        assert!(
            !error.contains("secret") && !error.contains("other"),
            "{error}"
        );
    }

    #[test]
    fn replaces_the_database() {
        assert_eq!(
            replace_database("postgres://u@h:1/app?sslmode=require", "postgres"),
            "postgres://u@h:1/postgres?sslmode=require"
        );
        assert_eq!(
            replace_database("postgres://u:p%40ss@h1:1,[::1]:2/app", "postgres"),
            "postgres://u:p%40ss@h1:1,[::1]:2/postgres"
        );
        assert_eq!(
            replace_database(
                "postgres://h/app?dbname=x&sslmode=require&%64bname=y&host=h2",
                "postgres"
            ),
            "postgres://h/postgres?sslmode=require&host=h2"
        );
        assert_eq!(
            replace_database("postgres://h?dbname=app", "postgres"),
            "postgres://h/postgres"
        );
        assert_eq!(
            replace_database("postgres://", "postgres"),
            "postgres:///postgres"
        );
        assert_eq!(
            replace_database("postgres://h/app?service=s", "my db"),
            "postgres://h/my%20db?service=s"
        );
        // The rewritten URL reaches the same hosts, and names the new database whatever the
        // service or PGDATABASE say.
        let url = "postgres://postgres@10.0.0.5:15432,x@localhost/app?host%61ddr=127.0.0.1,";
        let admin = replace_database(url, "postgres");
        let vars = [("PGDATABASE", "envdb")];
        let (before, after) = (pg(url, &vars), pg(&admin, &vars));
        assert_eq!(endpoints(&before), endpoints(&after));
        assert_eq!(database(&after), "postgres");
    }
}
