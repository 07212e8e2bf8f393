//! The API's error format: `{"error": {"code": "snake_case", "message":
//! "sentence", "details": [{"field", "message"}]?}}` with the matching status;
//! 429 and 503 carry `Retry-After`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_core::FieldProblem;
use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldDetail {
    /// The field (a JSON path such as `scopes[1]`, or `body`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Every code the API answers with (the document's `code` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request could not be processed.
    BadRequest,
    /// The password hashing pool is full; retry after `Retry-After`.
    Busy,
    /// The username or e-mail address is taken, or the state does not allow it.
    Conflict,
    /// The LDAP directory cannot be reached.
    DirectoryUnavailable,
    /// The caller's roles or token do not allow this.
    Forbidden,
    /// The token lacks a scope this route needs.
    InsufficientScope,
    /// Something failed on the server.
    InternalError,
    /// Unknown user or wrong password (one answer for both).
    InvalidCredentials,
    /// The second-factor code is wrong or already used.
    InvalidMfaCode,
    /// The current password is wrong.
    InvalidPassword,
    /// The bearer token or the mailed token is unknown, expired or revoked.
    InvalidToken,
    /// The change would leave no active administrator.
    LastAdministrator,
    /// The body is not valid JSON.
    MalformedJson,
    /// The route does not accept this method.
    MethodNotAllowed,
    /// Two-factor authentication is already on.
    MfaAlreadyEnabled,
    /// No second factor is being set up.
    MfaNotEnrolled,
    /// The account needs its second factor: send `code`.
    MfaRequired,
    /// The account must have a second factor and has none: enrol in the
    /// browser first.
    MfaEnrollmentRequired,
    /// The token is a personal access token, not a session.
    NotASession,
    /// Two-factor authentication is off.
    NotEnrolled,
    /// No such route or resource.
    NotFound,
    /// The body is larger than 64 KiB.
    PayloadTooLarge,
    /// Too many requests; retry after `Retry-After`.
    RateLimited,
    /// This needs a recent sign-in.
    ReauthenticationRequired,
    /// Self-service sign-up is off.
    RegistrationClosed,
    /// This needs a session, not a personal access token.
    SessionRequired,
    /// The request took too long.
    Timeout,
    /// No valid bearer token.
    Unauthenticated,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// Fields break the rules; see `details`.
    ValidationFailed,
}

/// The error object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorObject {
    /// Machine-readable code, e.g. `validation_failed`.
    pub code: ErrorCode,
    /// A sentence for humans.
    pub message: String,
    /// Per-field problems, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

/// The body of every API error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// An API error: status, code, message, details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<i64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            retry_after: None,
            body: ErrorBody {
                error: ErrorObject {
                    code,
                    message: message.into(),
                    details: Vec::new(),
                },
            },
        }
    }

    /// 422 `validation_failed` with one detail per problem.
    pub fn validation(problems: impl IntoIterator<Item = FieldDetail>) -> Self {
        let mut err = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "The request body has invalid fields; see details.",
        );
        err.body.error.details = problems.into_iter().collect();
        err
    }

    /// 422 `validation_failed` from domain problems.
    pub fn from_problems(problems: Vec<FieldProblem>) -> Self {
        Self::validation(problems.into_iter().map(|p| FieldDetail {
            field: p.field.to_owned(),
            message: p.message,
        }))
    }

    /// 404 `not_found`.
    pub fn not_found(message: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Send a valid token as `Authorization: Bearer TOKEN`.",
        )
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 500 `internal_error`; logs the cause once.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        let text = crate::error::chain(err);
        tracing::error!(error = %text, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Something went wrong on our side; try again in a moment.",
        )
    }

    /// 503 `busy` (+ Retry-After).
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy,
            "The server is handling many sign-ins right now; retry after the Retry-After delay.",
        )
    }

    /// 429 `rate_limited` with `Retry-After: seconds`.
    pub fn rate_limited(seconds: i64) -> Self {
        let seconds = seconds.max(1);
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("Too many attempts; retry in {seconds} second(s)."),
        );
        err.retry_after = Some(seconds);
        err
    }

    /// The generic error for a bare status.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => (
                ErrorCode::NotFound,
                "There is no API route at this address.",
            ),
            StatusCode::METHOD_NOT_ALLOWED => (
                ErrorCode::MethodNotAllowed,
                "This route does not accept that HTTP method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                ErrorCode::PayloadTooLarge,
                "The request body is larger than 64 KiB.",
            ),
            StatusCode::REQUEST_TIMEOUT => (ErrorCode::Timeout, "The request took too long."),
            s if s.is_server_error() => (
                ErrorCode::InternalError,
                "Something went wrong on our side; try again in a moment.",
            ),
            _ => (ErrorCode::BadRequest, "The request could not be processed."),
        };
        Self::new(status, code, message)
    }

    /// Takes over the per-field details of another error.
    pub fn with_details_of(mut self, other: ApiError) -> Self {
        self.body.error.details = other.body.error.details;
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code as it is sent (`snake_case`).
    pub fn code_text(&self) -> String {
        serde_json::to_value(self.body.error.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The sentence for humans.
    pub fn message(&self) -> &str {
        &self.body.error.message
    }

    /// The body as it is sent.
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.body).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        )
        .then(|| self.retry_after.unwrap_or(1));
        let unauthenticated = self.status == StatusCode::UNAUTHORIZED;
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = retry
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
