//! The one place errors become HTTP. Handlers return [`WebError`]; its
//! [`IntoResponse`] sets the status and attaches an [`ErrorPage`] that the
//! error-page middleware renders with the site's templates. Internal errors
//! log their whole `source()` chain once and show the user an opaque message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_core::MfaError;
use rampart_core::account::{AdminError, LoginError, RegisterError};
use rampart_core::password::PoolBusy;
use rampart_core::session::SessionError;
use std::error::Error as StdError;

/// What the error page shows.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// Page heading.
    pub title: &'static str,
    /// What happened and what to do, in one or two sentences.
    pub message: String,
}

/// An error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 400: the request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: the sign-in was not accepted (an identity provider's answer).
    #[error("not signed in: {0}")]
    Unauthorized(String),
    /// 502: a service Rampart depends on (an identity provider) failed.
    #[error("upstream unavailable: {0}")]
    Upstream(String),
    /// 403: refused (CSRF failure, closed registration).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409: the action conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413: body too large.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415: wrong content type.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 422: the form could not be read.
    #[error("unprocessable form: {0}")]
    Unprocessable(String),
    /// 429 + Retry-After: asked too often; retry after `retry_after` seconds.
    #[error("too many requests: {message}")]
    TooManyRequests {
        /// What happened and what to do.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after: i64,
    },
    /// 503 + Retry-After: the password hashing pool is full.
    #[error(transparent)]
    Busy(#[from] PoolBusy),
    /// 500: something on our side failed.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl WebError {
    /// Wraps an internal failure.
    pub fn internal(err: impl StdError + Send + Sync + 'static) -> Self {
        WebError::Internal(Box::new(err))
    }
}

impl From<SessionError> for WebError {
    fn from(err: SessionError) -> Self {
        WebError::internal(err)
    }
}

/// The 429 of a locked-out sign-in (password or second factor).
pub(crate) fn throttled(wait: time::Duration) -> WebError {
    let seconds = wait.whole_seconds().max(1);
    WebError::TooManyRequests {
        message: format!(
            "There were too many failed sign-ins. Wait {} minute(s) and try again, or reset your password.",
            (seconds + 59) / 60
        ),
        retry_after: seconds,
    }
}

impl From<LoginError> for WebError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::Busy(b) => WebError::Busy(b),
            LoginError::Throttled(wait) => throttled(wait),
            other => WebError::internal(other),
        }
    }
}

impl From<rampart_core::external::ExternalError> for WebError {
    fn from(err: rampart_core::external::ExternalError) -> Self {
        use rampart_core::external::ExternalError as E;
        match err {
            E::NotLinked | E::AccountUnavailable => WebError::Forbidden(err.to_string()),
            E::EmailTaken | E::UsernameTaken | E::LinkedElsewhere | E::LastSignInMethod => {
                WebError::Conflict(err.to_string())
            }
            E::NoEmail => WebError::Unprocessable(err.to_string()),
            E::NoSuchIdentity => WebError::NotFound(err.to_string()),
            E::Store(e) => WebError::internal(e),
        }
    }
}

impl From<rampart_core::provider::ProviderSignInError> for WebError {
    fn from(err: rampart_core::provider::ProviderSignInError) -> Self {
        use rampart_core::provider::{ProviderError, ProviderSignInError as E};
        match err {
            E::UnknownProvider(_) => WebError::NotFound(err.to_string()),
            E::InvalidState => WebError::BadRequest(err.to_string()),
            E::Denied(_) => WebError::Unauthorized(err.to_string()),
            E::Provider(ProviderError::Unavailable(_)) => WebError::Upstream(
                "The identity provider cannot be reached right now. Try again later, or sign in another way."
                    .to_owned(),
            ),
            E::Provider(_) => WebError::Unauthorized(
                "The identity provider's answer could not be verified, so you are not signed in. Start again."
                    .to_owned(),
            ),
            E::Account(e) => e.into(),
            E::Keys(_) => WebError::internal(err),
            E::Store(e) => WebError::internal(e),
        }
    }
}

impl From<rampart_core::authn::SignInError> for WebError {
    fn from(err: rampart_core::authn::SignInError) -> Self {
        use rampart_core::authn::SignInError as E;
        match err {
            E::Login(e) => e.into(),
            E::SecondFactor(e) => e.into(),
            E::Session(e) => e.into(),
            E::Store(e) => e.into(),
            E::Passkey(e) => e.into(),
            E::Register(e) => e.into(),
            E::Recovery(e) => WebError::internal(e),
            E::SecondFactorRequired | E::EnrolmentRequired | E::PasskeyRequired => {
                WebError::internal(err)
            }
        }
    }
}

impl From<rampart_core::passkey::PasskeyError> for WebError {
    fn from(err: rampart_core::passkey::PasskeyError) -> Self {
        use rampart_core::passkey::PasskeyError as E;
        match err {
            E::Unavailable | E::NotFound => WebError::NotFound(err.to_string()),
            E::InvalidCeremony | E::Refused(_) => WebError::Unauthorized(err.to_string()),
            E::Malformed(_) => WebError::BadRequest(err.to_string()),
            E::AlreadyRegistered | E::LastWayIn | E::PasswordNeeded => {
                WebError::Conflict(err.to_string())
            }
            E::Invalid(problem) => WebError::Unprocessable(problem.message),
            E::NotDiscoverable => WebError::Unprocessable(err.to_string()),
            E::Keys(_) => WebError::internal(err),
            E::Store(e) => WebError::internal(e),
        }
    }
}

impl From<rampart_core::RepoError> for WebError {
    fn from(err: rampart_core::RepoError) -> Self {
        WebError::internal(err)
    }
}

impl From<MfaError> for WebError {
    fn from(err: MfaError) -> Self {
        match err {
            MfaError::Throttled(wait) => throttled(wait),
            MfaError::Busy(busy) => WebError::Busy(busy),
            other => WebError::internal(other),
        }
    }
}

impl From<RegisterError> for WebError {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::Busy(b) => WebError::Busy(b),
            RegisterError::Throttled(wait) => WebError::TooManyRequests {
                message: format!(
                    "Too many accounts were created from your network. Try again in {} minute(s).",
                    (wait.whole_seconds() + 59) / 60
                ),
                retry_after: wait.whole_seconds().max(1),
            },
            RegisterError::Conflict(problem) => WebError::Conflict(problem.message),
            RegisterError::Invalid(problems) => WebError::Unprocessable(
                problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            other => WebError::internal(other),
        }
    }
}

impl From<AdminError> for WebError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::NoSuchUser(_) => {
                WebError::NotFound("There is no such account; it may have been deleted.".into())
            }
            AdminError::Invalid(p) => WebError::Unprocessable(p.message),
            AdminError::LastAdministrator => WebError::Conflict(err.to_string()),
            AdminError::Forbidden(message) => WebError::Forbidden(message),
            AdminError::Mfa(MfaError::NotEnrolled) => {
                WebError::Conflict("This account has no second factor to reset.".into())
            }
            other => WebError::internal(other),
        }
    }
}

/// An error and its `source()` chain as one line, for the log.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.clone()),
            WebError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "Sign-in failed", m.clone()),
            WebError::Upstream(m) => (StatusCode::BAD_GATEWAY, "Sign-in service unavailable", m.clone()),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "Request refused", m.clone()),
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
            WebError::Conflict(m) => (StatusCode::CONFLICT, "Not possible", m.clone()),
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                "The submitted data is larger than this server accepts. Shorten the fields and try again.".to_owned(),
            ),
            WebError::UnsupportedMediaType(m) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported form encoding", m.clone())
            }
            WebError::TooManyRequests { message, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "Please wait a moment", message.clone())
            }
            WebError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "The form could not be processed", m.clone()),
            WebError::Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "The server is handling many sign-ins right now. Wait a moment and try again.".to_owned(),
            ),
            WebError::Internal(err) => {
                tracing::error!(error = %chain(err.as_ref()), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. Try again in a moment; if it keeps happening, tell the site's operator.".to_owned(),
                )
            }
        };
        let mut response = status.into_response();
        let retry_after = match &self {
            WebError::Busy(_) => Some(1),
            WebError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
            .extensions_mut()
            .insert(ErrorPage { title, message });
        response
    }
}
