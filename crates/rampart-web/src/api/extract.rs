//! API extractors: the bearer-authenticated caller, and JSON bodies whose
//! problems (syntax, unknown fields, wrong types, size, content type) become
//! the API's error format with the offending field named.

use super::error::{ApiError, ErrorCode, FieldDetail};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use rampart_core::{ApiToken, Scope, Session, SessionKind, User};
use rampart_crypto::TokenDigest;
use rampart_crypto::token::PAT_PREFIX;
use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A session token (full rights of the user).
    Session(Arc<Session>),
    /// A personal access token (its scopes, within the user's rights).
    Token(Arc<ApiToken>),
}

/// The authenticated API caller.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The user, as of the credential's last check.
    pub user: User,
    /// The credential used.
    pub credential: Credential,
}

impl ApiCaller {
    /// Refuses with 403 `insufficient_scope` when a token lacks `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        let allowed = match &self.credential {
            // A session acts with its account's permissions, which the
            // routes that need one ask of the role book (`Permit`); scopes
            // narrow tokens only.
            Credential::Session(_) => true,
            Credential::Token(token) => token.allows(scope),
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::InsufficientScope,
                format!("This token does not have the {} scope.", scope.as_str()),
            ))
        }
    }

    /// The session, when the caller used a session token.
    pub fn session(&self) -> Option<&Arc<Session>> {
        match &self.credential {
            Credential::Session(s) => Some(s),
            Credential::Token(_) => None,
        }
    }

    /// Refuses unless the caller is a session (not a personal access token)
    /// signed in within `session.fresh_for`: 403 `session_required` or
    /// `reauthentication_required`. `action` completes "… needs a recent sign-in".
    pub fn require_fresh_session(
        &self,
        sessions: &rampart_core::SessionService,
        action: &str,
    ) -> Result<&Arc<Session>, ApiError> {
        let Some(session) = self.session() else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::SessionRequired,
                format!(
                    "{action} needs a session: sign in (POST /sessions); a personal access token cannot do it."
                ),
            ));
        };
        if !sessions.is_fresh(session) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ReauthenticationRequired,
                format!(
                    "{action} needs a recent sign-in; sign in again (POST /sessions) and retry."
                ),
            ));
        }
        Ok(session)
    }
}

/// The bearer token of a request, if it sent one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Resolves a bearer token (an API session token or a personal access
/// token) to a caller. A browser session's token is not a bearer token: a
/// stolen cookie cannot be replayed here, and this answers `None` for it
/// without a lookup.
pub async fn caller_for(state: &AppState, token: &str) -> Result<Option<ApiCaller>, ApiError> {
    let caller = if token.starts_with(PAT_PREFIX) {
        let found = state.tokens.resolve(token).await?;
        found.map(|t| ApiCaller {
            user: t.user.clone(),
            credential: Credential::Token(t),
        })
    } else if SessionKind::of_token(token) == Some(SessionKind::Api) {
        let session = state.sessions.resolve(&TokenDigest::of(token)).await?;
        session.map(|s| ApiCaller {
            user: s.user.clone(),
            credential: Credential::Session(s),
        })
    } else {
        None
    };
    // An account that must have a second factor and has none (the policy
    // came after its credentials, or its factor was turned off or reset)
    // uses no credential until it enrols in the browser.
    if let Some(caller) = &caller
        && state.signin.must_enrol(&caller.user).await?
    {
        return Err(super::refusal::mfa_enrollment_required());
    }
    Ok(caller)
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(super::limit::Resolved(caller)) = parts.extensions.get() {
            return Ok(caller.clone());
        }
        let Some(token) = bearer(parts) else {
            return Err(ApiError::unauthenticated());
        };
        caller_for(state, token).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "The token is unknown, expired or revoked; sign in again or create a new token.",
            )
        })
    }
}

/// A scope a route requires, as a type (see [`Authorized`]).
pub trait RequiredScope: Send + Sync + 'static {
    /// The scope.
    const SCOPE: Scope;
}

/// `read:me`.
pub struct ReadMe;
impl RequiredScope for ReadMe {
    const SCOPE: Scope = Scope::ReadMe;
}

/// `write:me`.
pub struct WriteMe;
impl RequiredScope for WriteMe {
    const SCOPE: Scope = Scope::WriteMe;
}

/// An authenticated caller whose credential carries scope `S`, checked
/// before any body is read.
pub struct Authorized<S>(pub ApiCaller, pub std::marker::PhantomData<S>);

impl<S: RequiredScope> FromRequestParts<AppState> for Authorized<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = ApiCaller::from_request_parts(parts, state).await?;
        caller.require(S::SCOPE)?;
        Ok(Authorized(caller, std::marker::PhantomData))
    }
}

/// A JSON request body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    "The request body could not be read.",
                )
            }
        })?;
        // Every body is a JSON object: serde would take an array for a
        // struct (its fields in order) and `null` for one of optional
        // fields, so anything else is refused before it is read.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            let well_formed =
                first.is_some() && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            if first.is_some() && !well_formed {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::MalformedJson,
                    "The body is not valid JSON.",
                ));
            }
            return Err(ApiError::validation([FieldDetail {
                field: "body".to_owned(),
                message: "Send a JSON object.".to_owned(),
            }]));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
        if parsed.is_ok()
            && let Err(trailing) = deserializer.end()
        {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                format!("The body is not valid JSON: {trailing}."),
            ));
        }
        match parsed {
            Ok(value) => Ok(ApiJson(value)),
            Err(err) => {
                let inner = err.inner();
                if inner.is_syntax() || inner.is_eof() {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::MalformedJson,
                        format!("The body is not valid JSON: {inner}."),
                    ));
                }
                let path = err.path().to_string();
                let field = if path == "." { "body".to_owned() } else { path };
                let message = inner.to_string();
                // serde reports "at line L column C"; the field name says more.
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_owned();
                Err(ApiError::validation([FieldDetail { field, message }]))
            }
        }
    }
}

/// An integer field as JSON Schema counts integers: `318` and `318.0` alike
/// (a number with no fractional part), anything else refused.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_i64() {
        return Ok(n);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(serde::de::Error::custom("expected a whole number")),
    }
}

/// A query integer as the document writes one: ASCII digits only (no sign,
/// no spaces), no leading zero, within `i64`.
pub fn whole(text: &str) -> Option<i64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let canonical = text == "0" || !text.starts_with('0');
    (digits_only && canonical)
        .then(|| text.parse().ok())
        .flatten()
}
