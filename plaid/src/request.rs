//! Reading a request: its body within the size limit and the time allowed, the API keys from
//! the `PLAID-CLIENT-ID`/`PLAID-SECRET` headers or the body, and the typed fields, with
//! Plaid's error for each kind of mistake.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorKind};

/// The `client_id` and `secret` every request must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Plaid's `client_id`.
    pub client_id: String,
    /// Plaid's `secret`.
    pub secret: String,
}

/// The default `client_id` when neither `--client-id` nor `PLAID_CLIENT_ID` gives one.
pub const DEFAULT_CLIENT_ID: &str = "spendsense-client-id";
/// The default `secret` when neither `--secret` nor `PLAID_SECRET` gives one.
pub const DEFAULT_SECRET: &str = "spendsense-sandbox-secret";

impl Credentials {
    /// The keys from flags, else the environment, else the documented defaults.
    pub fn resolve(client_id: Option<String>, secret: Option<String>) -> Credentials {
        let pick = |flag: Option<String>, var: &str, default: &str| {
            flag.or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
                .unwrap_or_else(|| default.to_owned())
        };
        Credentials {
            client_id: pick(client_id, "PLAID_CLIENT_ID", DEFAULT_CLIENT_ID),
            secret: pick(secret, "PLAID_SECRET", DEFAULT_SECRET),
        }
    }
}

/// How much of a body over the limit is read and dropped before answering, so that a client
/// still sending it reads the answer instead of a reset connection. Past this, the answer is
/// sent at once and the connection closed.
const DRAIN_LIMIT: u64 = 16 << 20;

/// Reads a body of at most `limit` bytes, waiting at most `wait` for it.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    wait: Duration,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorKind::BodyTooLarge,
            format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large());
    }
    let read = async {
        let mut body = body;
        let mut kept = Vec::new();
        let mut seen: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                ApiError::new(
                    ErrorKind::InvalidBody,
                    format!("the request body could not be read: {e}"),
                )
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            seen += data.len() as u64;
            if seen > DRAIN_LIMIT {
                return Err(too_large());
            }
            if seen <= limit as u64 {
                kept.extend_from_slice(&data);
            }
        }
        if seen > limit as u64 {
            return Err(too_large());
        }
        Ok(Bytes::from(kept))
    };
    tokio::time::timeout(wait, read).await.unwrap_or_else(|_| {
        Err(ApiError::new(
            ErrorKind::BodyTimeout,
            format!(
                "the request body did not arrive within {} s",
                wait.as_secs()
            ),
        ))
    })
}

/// Parses `bytes` as a JSON object, checks its API keys against `expected` (headers first,
/// then the body's `client_id`/`secret`), and reads the remaining fields as `T`.
pub fn parse<T: DeserializeOwned>(
    bytes: &[u8],
    headers: &HeaderMap,
    expected: &Credentials,
) -> Result<T, ApiError> {
    let mut fields = json_object(bytes)?;
    check_credentials(headers, &mut fields, expected)?;
    typed(fields)
}

/// The body as a JSON object, or `INVALID_BODY`.
pub fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let Strict(value) = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorKind::InvalidBody,
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err(ApiError::new(
            ErrorKind::InvalidBody,
            "the request body must be a JSON object",
        )),
    }
}

/// A JSON value whose objects name each field once: a body that says a field twice is
/// ambiguous, and refused rather than read as its last occurrence.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if fields.insert(key.clone(), value).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "the field `{key}` is given twice"
                )));
            }
        }
        Ok(Value::Object(fields))
    }
}

/// Takes `client_id` and `secret` out of the body (so that they are not unknown fields) and
/// compares them, or the headers', with `expected`.
pub fn check_credentials(
    headers: &HeaderMap,
    fields: &mut Map<String, Value>,
    expected: &Credentials,
) -> Result<(), ApiError> {
    let client_id = credential(headers, fields, "PLAID-CLIENT-ID", "client_id")?;
    let secret = credential(headers, fields, "PLAID-SECRET", "secret")?;
    let missing: Vec<&str> = [("client_id", &client_id), ("secret", &secret)]
        .into_iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| name)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::new(
            ErrorKind::MissingFields,
            format!(
                "the following required fields are missing: {} (in the body or the PLAID-CLIENT-ID/PLAID-SECRET headers)",
                missing.join(", ")
            ),
        ));
    }
    if client_id.as_deref() != Some(&expected.client_id)
        || secret.as_deref() != Some(&expected.secret)
    {
        return Err(ApiError::new(
            ErrorKind::InvalidApiKeys,
            "invalid client_id or secret provided",
        ));
    }
    Ok(())
}

fn credential(
    headers: &HeaderMap,
    fields: &mut Map<String, Value>,
    header: &str,
    field: &str,
) -> Result<Option<String>, ApiError> {
    let in_body = match fields.remove(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(ApiError::invalid_field(field, "must be a string")),
    };
    let in_header = match headers.get(header) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::invalid_field(header, "must be visible ASCII"))?
                .to_owned(),
        ),
    };
    Ok(in_header.or(in_body))
}

/// Reads `fields` as `T`, with Plaid's error for a missing, unknown or mistyped field.
pub fn typed<T: DeserializeOwned>(fields: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        classify(&path, &inner)
    })
}

/// Plaid's error for serde's message `message` about the value at `path` (`.` for the body).
fn classify(path: &str, message: &str) -> ApiError {
    let prefix = if path == "." {
        String::new()
    } else {
        format!("{path}.")
    };
    let quoted = || {
        message
            .split('`')
            .nth(1)
            .map(|name| format!("{prefix}{name}"))
            .unwrap_or_else(|| message.to_owned())
    };
    if message.starts_with("missing field") {
        ApiError::new(
            ErrorKind::MissingFields,
            format!("the following required fields are missing: {}", quoted()),
        )
    } else if message.starts_with("unknown field") {
        // The path of an unknown field already ends with its name.
        let field = if path == "." {
            quoted()
        } else {
            path.to_owned()
        };
        ApiError::new(
            ErrorKind::UnknownFields,
            format!("the following fields are not recognized by this endpoint: {field}"),
        )
    } else {
        let field = if path == "." { "body" } else { path };
        ApiError::invalid_field(field, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        access_token: String,
        count: Option<i64>,
        options: Option<Opts>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Opts {
        account_ids: Option<Vec<String>>,
    }

    fn creds() -> Credentials {
        Credentials {
            client_id: "id".into(),
            secret: "sec".into(),
        }
    }

    fn err(body: &str) -> ApiError {
        parse::<Req>(body.as_bytes(), &HeaderMap::new(), &creds()).unwrap_err()
    }

    #[test]
    fn each_mistake_gets_its_plaid_code() {
        assert_eq!(err("{").kind, ErrorKind::InvalidBody);
        assert_eq!(err("[1]").kind, ErrorKind::InvalidBody);
        assert_eq!(err(r#"{"a":1,"a":2}"#).kind, ErrorKind::InvalidBody);
        assert_eq!(err(&"[".repeat(10_000)).kind, ErrorKind::InvalidBody);
        assert_eq!(err("{}").kind, ErrorKind::MissingFields);
        assert_eq!(
            err(r#"{"client_id":"id","secret":"bad","access_token":"a"}"#).kind,
            ErrorKind::InvalidApiKeys
        );
        let missing = err(r#"{"client_id":"id","secret":"sec"}"#);
        assert_eq!(missing.kind, ErrorKind::MissingFields);
        assert!(missing.message.ends_with("access_token"), "{missing:?}");
        let unknown =
            err(r#"{"client_id":"id","secret":"sec","access_token":"a","options":{"x":1}}"#);
        assert_eq!(unknown.kind, ErrorKind::UnknownFields);
        assert!(unknown.message.ends_with("options.x"), "{unknown:?}");
        let mistyped = err(r#"{"client_id":"id","secret":"sec","access_token":"a","count":"9"}"#);
        assert_eq!(mistyped.kind, ErrorKind::InvalidField);
        assert!(
            mistyped.message.starts_with("count: invalid type"),
            "{mistyped:?}"
        );
        let huge = err(r#"{"client_id":"id","secret":"sec","access_token":"a","count":1e300}"#);
        assert_eq!(huge.kind, ErrorKind::InvalidField);
    }

    #[test]
    fn headers_carry_the_keys_and_the_body_may_too() {
        let mut headers = HeaderMap::new();
        headers.insert("PLAID-CLIENT-ID", "id".parse().unwrap());
        headers.insert("PLAID-SECRET", "sec".parse().unwrap());
        let req: Req = parse(br#"{"access_token":"a"}"#, &headers, &creds()).unwrap();
        assert_eq!(req.access_token, "a");
        let req: Req = parse(
            br#"{"client_id":"id","secret":"sec","access_token":"b"}"#,
            &HeaderMap::new(),
            &creds(),
        )
        .unwrap();
        assert_eq!(req.access_token, "b");
    }
}
