//! The one place errors become HTTP. Handlers return [`WebError`]; its
//! [`IntoResponse`] sets the status and attaches an [`ErrorPage`] that the
//! error-page middleware renders with the site's templates. Internal errors
//! log their whole `source()` chain once and show the user an opaque message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rampart_core::MfaError;
use rampart_core::Words;
use rampart_core::account::{AdminError, LoginError, RegisterError};
use rampart_core::password::PoolBusy;
use rampart_core::session::SessionError;
use std::error::Error as StdError;

/// What the error page shows, said in the page's language.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// Page heading.
    pub title: Words,
    /// What happened and what to do, in one or two sentences.
    pub message: Vec<Words>,
}

/// Words in English, joined (an error's text for the log).
fn english(words: &[Words]) -> String {
    words
        .iter()
        .map(|w| w.english.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 400: the request is malformed.
    #[error("bad request: {0}")]
    BadRequest(Words),
    /// 401: the sign-in was not accepted (an identity provider's answer).
    #[error("not signed in: {0}")]
    Unauthorized(Words),
    /// 502: a service Rampart depends on (an identity provider) failed.
    #[error("upstream unavailable: {0}")]
    Upstream(Words),
    /// 403: refused (CSRF failure, closed registration).
    #[error("forbidden: {0}")]
    Forbidden(Words),
    /// 404: no such thing.
    #[error("not found: {0}")]
    NotFound(Words),
    /// 409: the action conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(Words),
    /// 413: body too large.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415: wrong content type.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(Words),
    /// 422: the form could not be read.
    #[error("unprocessable form: {}", english(.0))]
    Unprocessable(Vec<Words>),
    /// 429 + Retry-After: asked too often; retry after `retry_after` seconds.
    #[error("too many requests: {message}")]
    TooManyRequests {
        /// What happened and what to do.
        message: Words,
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
    let minutes = (seconds + 59) / 60;
    WebError::TooManyRequests {
        message: Words::new(
            "error-throttled",
            format!(
                "There were too many failed sign-ins. Wait {minutes} minute(s) and try again, or reset your password."
            ),
        )
        .with("minutes", minutes),
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
        let said = |key| Words::new(key, err.to_string());
        match err {
            E::NotLinked => WebError::Forbidden(said("error-identity-not-linked")),
            E::AccountUnavailable => {
                WebError::Forbidden(said("error-identity-account-unavailable"))
            }
            E::EmailTaken => WebError::Conflict(said("error-identity-email-taken")),
            E::UsernameTaken => WebError::Conflict(said("error-identity-username-taken")),
            E::LinkedElsewhere => WebError::Conflict(said("error-identity-linked-elsewhere")),
            E::LastSignInMethod => WebError::Conflict(said("error-identity-last-way-in")),
            E::NoEmail => WebError::Unprocessable(vec![said("error-identity-no-email")]),
            E::NoSuchIdentity => WebError::NotFound(said("error-identity-unknown")),
            E::Store(e) => WebError::internal(e),
        }
    }
}

impl From<rampart_core::provider::ProviderSignInError> for WebError {
    fn from(err: rampart_core::provider::ProviderSignInError) -> Self {
        use rampart_core::provider::{ProviderError, ProviderSignInError as E};
        let said = |key| Words::new(key, err.to_string());
        match err {
            E::UnknownProvider(_) => WebError::NotFound(said("error-provider-unknown")),
            E::InvalidState => WebError::BadRequest(said("error-provider-state")),
            E::Denied(_) => WebError::Unauthorized(said("error-provider-denied")),
            E::Provider(ProviderError::Unavailable(_)) => WebError::Upstream(Words::new(
                "error-provider-unavailable",
                "The identity provider cannot be reached right now. Try again later, or sign in another way.",
            )),
            E::Provider(_) => WebError::Unauthorized(Words::new(
                "error-provider-unverified",
                "The identity provider's answer could not be verified, so you are not signed in. Start again.",
            )),
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
        let said = |key| Words::new(key, err.to_string());
        match err {
            E::Unavailable => WebError::NotFound(said("error-passkey-unavailable")),
            E::NotFound => WebError::NotFound(said("error-passkey-unknown")),
            E::InvalidCeremony => WebError::Unauthorized(said("error-passkey-ceremony")),
            E::Refused(_) => WebError::Unauthorized(said("error-passkey-refused")),
            E::Malformed(_) => WebError::BadRequest(said("error-passkey-malformed")),
            E::AlreadyRegistered => WebError::Conflict(said("error-passkey-registered")),
            E::LastWayIn => WebError::Conflict(said("error-passkey-last-way-in")),
            E::PasswordNeeded => WebError::Conflict(said("error-passkey-password-needed")),
            E::Invalid(problem) => WebError::Unprocessable(vec![problem.words]),
            E::NotDiscoverable => {
                WebError::Unprocessable(vec![said("error-passkey-not-discoverable")])
            }
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
            RegisterError::Throttled(wait) => {
                let minutes = (wait.whole_seconds() + 59) / 60;
                WebError::TooManyRequests {
                    message: Words::new(
                        "error-register-throttled",
                        format!(
                            "Too many accounts were created from your network. Try again in {minutes} minute(s)."
                        ),
                    )
                    .with("minutes", minutes),
                    retry_after: wait.whole_seconds().max(1),
                }
            }
            RegisterError::Conflict(problem) => WebError::Conflict(problem.words),
            RegisterError::Invalid(problems) => {
                WebError::Unprocessable(problems.into_iter().map(|p| p.words).collect())
            }
            other => WebError::internal(other),
        }
    }
}

impl From<AdminError> for WebError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::NoSuchUser(_) => WebError::NotFound(no_such_account()),
            AdminError::Invalid(p) => WebError::Unprocessable(vec![p.words]),
            AdminError::LastAdministrator => {
                WebError::Conflict(Words::new("error-last-administrator", err.to_string()))
            }
            AdminError::Forbidden(words) => WebError::Forbidden(words),
            AdminError::Mfa(MfaError::NotEnrolled) => WebError::Conflict(Words::new(
                "error-no-second-factor",
                "This account has no second factor to reset.",
            )),
            other => WebError::internal(other),
        }
    }
}

/// "There is no such account".
pub fn no_such_account() -> Words {
    Words::new(
        "error-no-account",
        "There is no such account; it may have been deleted.",
    )
}

/// An error and its `source()` chain as one line, for the log.
pub use rampart_core::error_chain as chain;

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let said = |key: &'static str, english: &str| Words::new(key, english);
        let (status, title, message) = match self {
            WebError::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                said("error-title-bad-request", "Bad request"),
                vec![m],
            ),
            WebError::Unauthorized(m) => (
                StatusCode::UNAUTHORIZED,
                said("error-title-sign-in-failed", "Sign-in failed"),
                vec![m],
            ),
            WebError::Upstream(m) => (
                StatusCode::BAD_GATEWAY,
                said("error-title-upstream", "Sign-in service unavailable"),
                vec![m],
            ),
            WebError::Forbidden(m) => (
                StatusCode::FORBIDDEN,
                said("error-title-refused", "Request refused"),
                vec![m],
            ),
            WebError::NotFound(m) => (
                StatusCode::NOT_FOUND,
                said("error-title-not-found", "Not found"),
                vec![m],
            ),
            WebError::Conflict(m) => (
                StatusCode::CONFLICT,
                said("error-title-conflict", "Not possible"),
                vec![m],
            ),
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                said("error-title-too-large", "Request too large"),
                vec![said(
                    "error-too-large",
                    "The submitted data is larger than this server accepts. Shorten the fields and try again.",
                )],
            ),
            WebError::UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                said("error-title-encoding", "Unsupported form encoding"),
                vec![m],
            ),
            WebError::TooManyRequests {
                message,
                retry_after,
            } => {
                let mut response = page(
                    StatusCode::TOO_MANY_REQUESTS,
                    said("error-title-wait", "Please wait a moment"),
                    vec![message],
                );
                retry(&mut response, retry_after);
                return response;
            }
            WebError::Unprocessable(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                said("error-title-form", "The form could not be processed"),
                m,
            ),
            WebError::Busy(_) => {
                let mut response = page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    said("error-title-busy", "Busy"),
                    vec![said(
                        "error-busy",
                        "The server is handling many sign-ins right now. Wait a moment and try again.",
                    )],
                );
                retry(&mut response, 1);
                return response;
            }
            WebError::Internal(err) => {
                tracing::error!(error = %chain(err.as_ref()), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    said("error-title-internal", "Something went wrong"),
                    vec![said(
                        "error-internal",
                        "Something went wrong on our side. Try again in a moment; if it keeps happening, tell the site's operator.",
                    )],
                )
            }
        };
        page(status, title, message)
    }
}

/// A response with `status` whose page says `title` and `message`.
fn page(status: StatusCode, title: Words, message: Vec<Words>) -> Response {
    let mut response = status.into_response();
    response
        .extensions_mut()
        .insert(ErrorPage { title, message });
    response
}

/// Sets `Retry-After: seconds`.
fn retry(response: &mut Response, seconds: i64) {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}
