//! Which database a URL names, and whether it is on this machine.
//!
//! A URL starting with `postgres://` or `postgresql://` selects PostgreSQL; anything else is a
//! SQLite path (an optional `sqlite://` prefix is stripped). The default is `data/spendsense.db`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use super::error::DbError;

/// The SQLite database used when neither a flag nor `DATABASE_URL` names one.
pub const DEFAULT_SQLITE_PATH: &str = "data/spendsense.db";

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
        /// The libpq connection URL, as given.
        url: String,
        /// Host name, IP address or Unix socket directory; `None` means libpq's default socket.
        host: Option<String>,
        /// TCP port.
        port: u16,
        /// Database name.
        database: String,
    },
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

    /// Parses a `postgres://` / `postgresql://` URL, a `sqlite://` URL or a plain file path.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let invalid = |reason: &str| DbError::InvalidUrl {
            url: mask_password(url),
            reason: reason.to_owned(),
        };
        if url.trim().is_empty() {
            return Err(invalid("it is empty"));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return parse_postgres(url).map_err(|reason| invalid(&reason));
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

    /// Whether the database is on this machine: a SQLite file, a Unix socket, `localhost`,
    /// or a loopback address (127.0.0.0/8, ::1).
    pub fn is_local(&self) -> bool {
        match self {
            Self::Sqlite { .. } => true,
            Self::Postgres { host: None, .. } => true,
            Self::Postgres {
                host: Some(host), ..
            } => {
                host.starts_with('/')
                    || host.eq_ignore_ascii_case("localhost")
                    || host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path } => write!(f, "SQLite database {}", path.display()),
            Self::Postgres {
                host,
                port,
                database,
                ..
            } => {
                let host = host.as_deref().unwrap_or("the local socket");
                write!(f, "PostgreSQL database {database:?} on {host}:{port}")
            }
        }
    }
}

fn parse_postgres(url: &str) -> Result<DatabaseUrl, String> {
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (mut host, mut port) = split_host_port(host_port)?;
    let mut database = percent_decode(path);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "host" => host = Some(value),
            "port" => port = value.parse().map_err(|_| format!("bad port {value:?}"))?,
            "dbname" => database = value,
            _ => {}
        }
    }
    let user = authority.rsplit_once('@').map(|(userinfo, _)| {
        percent_decode(userinfo.split_once(':').map_or(userinfo, |(user, _)| user))
    });
    if database.is_empty() {
        // libpq's default database is the user name.
        database = user
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres".to_owned());
    }
    Ok(DatabaseUrl::Postgres {
        url: url.to_owned(),
        host,
        port,
        database,
    })
}

fn split_host_port(host_port: &str) -> Result<(Option<String>, u16), String> {
    let parse_port = |p: &str| p.parse::<u16>().map_err(|_| format!("bad port {p:?}"));
    if host_port.is_empty() {
        return Ok((None, 5432));
    }
    if let Some(rest) = host_port.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed '[' in the host")?;
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None => 5432,
        };
        return Ok((Some(host.to_owned()), port));
    }
    match host_port.rsplit_once(':') {
        Some((host, p)) => Ok((Some(percent_decode(host)), parse_port(p)?)),
        None => Ok((Some(percent_decode(host_port)), 5432)),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Returns the URL with its database path replaced by `database`.
pub(crate) fn replace_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    let query: Vec<&str> = query
        .map(|q| q.split('&').filter(|p| !p.starts_with("dbname=")).collect())
        .unwrap_or_default();
    let mut out = format!("{scheme}://{authority}/{database}");
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

/// Hides the password of a URL such as `postgres://user:secret@host/db`.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let DatabaseUrl::Postgres {
            host,
            port,
            database,
            ..
        } = DatabaseUrl::parse("postgres://u:p%40ss@db.example.com:6543/app?sslmode=require")
            .unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(
            (host.as_deref(), port, database.as_str()),
            (Some("db.example.com"), 6543, "app")
        );
        let DatabaseUrl::Postgres {
            host,
            port,
            database,
            ..
        } = DatabaseUrl::parse("postgresql://[::1]/x").unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(
            (host.as_deref(), port, database.as_str()),
            (Some("::1"), 5432, "x")
        );
        let DatabaseUrl::Postgres { host, database, .. } =
            DatabaseUrl::parse("postgres://bob@/?host=/var/run/postgresql").unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(
            (host.as_deref(), database.as_str()),
            (Some("/var/run/postgresql"), "bob")
        );
        assert!(DatabaseUrl::parse("postgres://h:notaport/db").is_err());
    }

    #[test]
    fn tells_local_from_remote() {
        let local = [
            "data/x.db",
            "postgres://127.0.0.1/db",
            "postgres://127.8.9.10:5433/db",
            "postgres://localhost/db",
            "postgres://[::1]/db",
            "postgres:///db",
            "postgres://u@/db?host=/run/postgresql",
        ];
        for url in local {
            assert!(
                DatabaseUrl::parse(url).unwrap().is_local(),
                "{url} should be local"
            );
        }
        let remote = [
            "postgres://10.0.0.5/db",
            "postgres://db.example.com/db",
            "postgres://[2001:db8::1]/db",
            "postgres://127.0.0.1/db?host=db.example.com",
        ];
        for url in remote {
            assert!(
                !DatabaseUrl::parse(url).unwrap().is_local(),
                "{url} should be remote"
            );
        }
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(mask_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            replace_database("postgres://u@h:1/app?sslmode=require", "postgres"),
            "postgres://u@h:1/postgres?sslmode=require"
        );
    }
}
