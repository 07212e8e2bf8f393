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

/// The error object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorObject {
    /// Machine-readable code, e.g. `validation_failed`.
    pub code: String,
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
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            retry_after: None,
            body: ErrorBody {
                error: ErrorObject {
                    code: code.to_owned(),
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
            "validation_failed",
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
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send a valid token as `Authorization: Bearer TOKEN`.",
        )
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 500 `internal_error`; logs the cause once.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        let text = crate::error::chain(err);
        tracing::error!(error = %text, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side; try again in a moment.",
        )
    }

    /// 503 `busy` (+ Retry-After).
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "The server is handling many sign-ins right now; retry after the Retry-After delay.",
        )
    }

    /// 429 `rate_limited` with `Retry-After: seconds`.
    pub fn rate_limited(seconds: i64) -> Self {
        let seconds = seconds.max(1);
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many attempts; retry in {seconds} second(s)."),
        );
        err.retry_after = Some(seconds);
        err
    }

    /// The generic error for a bare status.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => ("not_found", "There is no API route at this address."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This route does not accept that HTTP method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "The request body is larger than 64 KiB.",
            ),
            StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
            s if s.is_server_error() => (
                "internal_error",
                "Something went wrong on our side; try again in a moment.",
            ),
            _ => ("bad_request", "The request could not be processed."),
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
