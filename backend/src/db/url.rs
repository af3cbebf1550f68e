//! Which database a URL names, and how it is shown: a SQLite file or a PostgreSQL server,
//! never with its password.
//!
//! A URL starting with `postgres://` or `postgresql://` selects PostgreSQL; anything else is a
//! SQLite path (an optional `sqlite://` prefix is stripped). The default is `data/spendsense.db`.
//! A PostgreSQL URL is read by libpq alone (`libpq.rs`, which also decides whether it is on
//! this machine); this module passes it through and names it in messages.

use std::fmt;
use std::path::PathBuf;

use super::error::{DbError, one_line};
use super::libpq::{self, Endpoint};

/// The SQLite database used when neither a flag nor `DATABASE_URL` names one.
pub const DEFAULT_SQLITE_PATH: &str = "data/spendsense.db";

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
        /// Where libpq will try to connect, in order.
        endpoints: Vec<Endpoint>,
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

    /// Parses a `postgres://` / `postgresql://` URL, a `sqlite://` URL or a plain file path. A
    /// PostgreSQL URL is completed by libpq from the service file and the `PG*` variables of
    /// this process's environment, as libpq will complete it when connecting, and refused if
    /// libpq refuses it.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let invalid = |reason: String| DbError::InvalidUrl {
            url: mask_password(url),
            reason,
        };
        if url.trim().is_empty() {
            return Err(invalid("it is empty".to_owned()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return parse_postgres(url).map_err(invalid);
        }
        if let Some((scheme, _)) = url.split_once("://")
            && scheme != "sqlite"
        {
            return Err(invalid(
                "expected postgres://, postgresql://, sqlite:// or a file path".to_owned(),
            ));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() {
            return Err(invalid("the SQLite path is empty".to_owned()));
        }
        Ok(Self::Sqlite {
            path: PathBuf::from(path),
        })
    }
}

fn parse_postgres(url: &str) -> Result<DatabaseUrl, String> {
    let refused = |message: String| {
        let message = one_line(&hide_secrets(&message, url));
        format!("libpq refuses it: {message}")
    };
    let resolved = libpq::resolve(url).map_err(refused)?;
    Ok(DatabaseUrl::Postgres {
        url: url.to_owned(),
        endpoints: resolved.endpoints()?,
        database: resolved.database,
    })
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
                if let [one] = endpoints.as_slice() {
                    return write!(f, "{one}");
                }
                f.write_str("one of ")?;
                for (i, endpoint) in endpoints.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{endpoint}")?;
                }
                Ok(())
            }
        }
    }
}

/// A libpq connection string that reaches what `url` reaches but opens `database`: every
/// option the URL sets, as libpq reads it, with `dbname` replaced, so that the name wins over
/// the service and `PGDATABASE` as well. A URL libpq cannot read is returned as it is.
pub(crate) fn replace_database(url: &str, database: &str) -> String {
    let Ok(given) = libpq::given(url) else {
        return url.to_owned();
    };
    // libpq's `key='value'` form, in which only `\` and `'` need a backslash.
    let quote = |value: &str| format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
    given
        .iter()
        .filter(|setting| setting.keyword != "dbname")
        .filter_map(|setting| Some((setting.keyword.as_str(), setting.value.as_deref()?)))
        .chain([("dbname", database)])
        .map(|(keyword, value)| format!("{keyword}={}", quote(value)))
        .collect::<Vec<_>>()
        .join(" ")
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

/// `message`, one of libpq's, with the secrets of `url` hidden. libpq quotes the text it
/// could not read, which may be a password or the whole URL.
fn hide_secrets(message: &str, url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut secrets = Vec::new();
    // Both ends a password may have: libpq's first `@` and mask_password's last.
    if let (Some(colon), Some(first_at), Some(last_at)) =
        (rest.find(':'), rest.find('@'), rest.rfind('@'))
        && colon < first_at
    {
        secrets.extend([&rest[colon + 1..first_at], &rest[colon + 1..last_at]]);
    }
    if let Some((_, query)) = rest.split_once('?') {
        let pairs = query.split('&').filter_map(|pair| pair.split_once('='));
        secrets.extend(
            pairs
                .filter(|(key, _)| is_secret_key(key))
                .map(|(_, value)| value),
        );
    }
    let mut message = message.replace(url, &mask_password(url));
    for secret in secrets.into_iter().filter(|secret| !secret.is_empty()) {
        message = message.replace(&format!("\"{secret}\""), "\"***\"");
    }
    message
}

/// Whether a query key, percent-decoded, names a secret.
fn is_secret_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok());
        match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(byte) if bytes[i] == b'%' => (decoded.push(byte), i += 3),
            _ => (decoded.push(bytes[i]), i += 1),
        };
    }
    SECRET_KEYS.contains(&String::from_utf8_lossy(&decoded).as_ref())
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
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap().to_string(),
            "SQLite database data/x.db"
        );
        assert!(DatabaseUrl::parse("mysql://root@localhost/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("").is_err());
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
    }

    #[test]
    fn hides_secrets_that_libpq_quotes() {
        let url = "postgres://u:se%zzcret@h/db?sslpassword=a%20b";
        assert_eq!(
            hide_secrets(
                &format!("invalid percent-encoded token: \"se%zzcret\" in URI: \"{url}\""),
                url
            ),
            "invalid percent-encoded token: \"***\" in URI: \
             \"postgres://u:***@h/db?sslpassword=***\""
        );
        assert_eq!(
            hide_secrets("unexpected spaces found in \"a%20b\"", url),
            "unexpected spaces found in \"***\""
        );
        // Text that merely contains a secret is left alone: libpq quotes what it shows.
        assert_eq!(hide_secrets("a b", "postgres://u:a@h/db"), "a b");
    }
}
