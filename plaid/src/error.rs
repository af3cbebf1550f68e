//! Errors in Plaid's shape: one enum in code ([`ErrorKind`]), mapped to Plaid's
//! `error_type`, `error_code` and HTTP status at the edge, so every answer that is not a
//! success reads like one of Plaid's own.

use axum::http::StatusCode;
use serde::Serialize;

/// What went wrong, as Plaid classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The body is not a JSON object (or not JSON, or not UTF-8).
    InvalidBody,
    /// The body is larger than the server accepts.
    BodyTooLarge,
    /// The body did not arrive in time.
    BodyTimeout,
    /// A field has the wrong type or a value out of range.
    InvalidField,
    /// A required field is absent.
    MissingFields,
    /// The body holds a field the endpoint does not know.
    UnknownFields,
    /// No such endpoint.
    NotFound,
    /// The endpoint exists but takes only POST.
    MethodNotAllowed,
    /// `client_id` and `secret` are not the configured ones.
    InvalidApiKeys,
    /// The access token names no Item.
    InvalidAccessToken,
    /// The public token is unknown, used or expired.
    InvalidPublicToken,
    /// A product this server does not serve.
    InvalidProduct,
    /// `override_username` names no seeded user.
    InvalidCredentials,
    /// The change log moved between two pages of one `/transactions/sync` pagination.
    MutationDuringPagination,
    /// `/sandbox/item/fire_webhook` on an Item without a webhook.
    SandboxWebhookInvalid,
    /// Anything else: a database error, a handler that panicked or ran out of time.
    Internal,
}

impl ErrorKind {
    /// Plaid's `error_type`.
    pub fn error_type(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidBody | BodyTooLarge | BodyTimeout | InvalidField | MissingFields
            | UnknownFields | NotFound | MethodNotAllowed => "INVALID_REQUEST",
            InvalidApiKeys | InvalidAccessToken | InvalidPublicToken | InvalidProduct => {
                "INVALID_INPUT"
            }
            InvalidCredentials => "ITEM_ERROR",
            MutationDuringPagination => "TRANSACTIONS_ERROR",
            SandboxWebhookInvalid => "SANDBOX_ERROR",
            Internal => "API_ERROR",
        }
    }

    /// Plaid's `error_code`.
    pub fn error_code(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidBody | BodyTooLarge | BodyTimeout => "INVALID_BODY",
            InvalidField => "INVALID_FIELD",
            MissingFields => "MISSING_FIELDS",
            UnknownFields => "UNKNOWN_FIELDS",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            InvalidApiKeys => "INVALID_API_KEYS",
            InvalidAccessToken => "INVALID_ACCESS_TOKEN",
            InvalidPublicToken => "INVALID_PUBLIC_TOKEN",
            InvalidProduct => "INVALID_PRODUCT",
            InvalidCredentials => "INVALID_CREDENTIALS",
            MutationDuringPagination => "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
            SandboxWebhookInvalid => "SANDBOX_WEBHOOK_INVALID",
            Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status Plaid answers it with.
    pub fn status(self) -> StatusCode {
        use ErrorKind::*;
        match self {
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error answer: its kind and a message for developers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Plaid's `error_message`: one line, saying what to change.
    pub message: String,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// An internal error: the server's fault, not the request's.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Internal, message)
    }

    /// An `INVALID_FIELD` error about `field`.
    pub fn invalid_field(field: &str, problem: impl std::fmt::Display) -> ApiError {
        ApiError::new(ErrorKind::InvalidField, format!("{field}: {problem}"))
    }

    /// The error's body, as Plaid's `PlaidError`.
    pub fn body(&self, request_id: &str) -> ErrorBody<'_> {
        ErrorBody {
            error_type: self.kind.error_type(),
            error_code: self.kind.error_code(),
            error_message: &self.message,
            display_message: None,
            request_id: request_id.to_owned(),
            causes: [],
            status: self.kind.status().as_u16(),
            suggested_action: None,
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> ApiError {
        ApiError::internal(format!(
            "database: {}",
            backend::db::one_line(&error.to_string())
        ))
    }
}

/// Plaid's error object, as its clients deserialise it.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    error_type: &'static str,
    error_code: &'static str,
    error_message: &'a str,
    display_message: Option<&'a str>,
    request_id: String,
    causes: [(); 0],
    status: u16,
    suggested_action: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_a_plaid_type_code_and_status() {
        let e = ApiError::new(ErrorKind::InvalidAccessToken, "no such token");
        let body = serde_json::to_value(e.body("req1")).unwrap();
        assert_eq!(body["error_type"], "INVALID_INPUT");
        assert_eq!(body["error_code"], "INVALID_ACCESS_TOKEN");
        assert_eq!(body["display_message"], serde_json::Value::Null);
        assert_eq!(body["request_id"], "req1");
        assert_eq!(body["status"], 400);
        assert_eq!(ErrorKind::NotFound.status(), StatusCode::NOT_FOUND);
        assert!(ErrorKind::Internal.status().is_server_error());
        assert_eq!(
            ErrorKind::MutationDuringPagination.error_code(),
            "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
        );
    }
}
