//! `POST /sessions` (sign in, get a bearer session token) and
//! `DELETE /sessions/current` (sign out). API sessions are ordinary sessions:
//! same store, timeouts and revocation as browser sessions.

use super::error::{ApiError, ErrorBody, ErrorCode};
use super::extract::{ApiCaller, ApiJson};
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// Username or e-mail address.
    pub username: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// A second-factor code (accepted once MFA is enabled for the account).
    #[serde(default)]
    pub code: Option<String>,
}

/// A new session token (shown once).
#[derive(Serialize, ToSchema)]
pub struct NewSession {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// Absolute expiry (RFC 3339); idle sessions end sooner.
    pub expires_at: String,
}

/// Sign in.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body = SignIn,
    responses(
        (status = 201, description = "Signed in", body = NewSession),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "invalid_credentials, mfa_required (send `code` too) or invalid_mfa_code", body = ErrorBody),
        (status = 403, description = "mfa_enrollment_required: the account must have a second factor (mfa.required) and has none; enrol in the browser", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 429, description = "rate_limited: too many failed sign-ins for this name or address; see Retry-After", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
        (status = 503, description = "Busy; retry. Or directory_unavailable: no source accepted the password and the LDAP directory cannot be reached", body = ErrorBody),
    )
)]
pub async fn create_session(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<(StatusCode, Json<NewSession>), ApiError> {
    let started = state
        .signin
        .api_password(
            &body.username,
            body.password,
            body.code.as_deref(),
            &client.meta(),
        )
        .await?;
    let (token, session) = (started.token, started.session);
    Ok((
        StatusCode::CREATED,
        Json(NewSession {
            token: token.expose_secret().to_owned(),
            expires_at: session.expires_at.format(&Rfc3339).unwrap_or_default(),
        }),
    ))
}

/// Sign out: end the session whose token authenticated this request.
#[utoipa::path(
    delete, path = "/sessions/current", tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "The caller used a personal access token, not a session", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    )
)]
pub async fn delete_current_session(
    State(state): State<AppState>,
    client: ClientInfo,
    caller: ApiCaller,
) -> Result<StatusCode, ApiError> {
    let Some(session) = caller.session() else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::NotASession,
            "This request used a personal access token; revoke it with DELETE /me/tokens/{id}.",
        ));
    };
    state.sessions.sign_out(session, &client.meta()).await?;
    Ok(StatusCode::NO_CONTENT)
}
