//! The caller's own account: `GET /me`, `PUT /me/password`, and the
//! session list with revocation.

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Authorized, ReadMe, WriteMe};
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_core::session::SessionId;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// RFC 3339 text of a time.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The caller's account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Identifier.
    pub id: String,
    /// Username.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Whether the address is confirmed.
    pub email_verified: bool,
    /// Roles.
    pub roles: Vec<String>,
    /// Whether a second factor is on.
    pub mfa_enabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// Who am I.
#[utoipa::path(
    get, path = "/me", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Me),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Token lacks read:me", body = ErrorBody),
    )
)]
pub async fn get_me(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<ReadMe>,
) -> Result<Json<Me>, ApiError> {
    let u = &caller.user;
    let mfa_enabled = state.mfa.is_enabled(u.id).await?;
    Ok(Json(Me {
        id: u.id.to_string(),
        username: u.username.to_string(),
        email: u.email.to_string(),
        email_verified: u.email_verified,
        roles: u.roles.iter().map(|r| r.to_string()).collect(),
        mfa_enabled,
        created_at: rfc3339(u.created_at),
    }))
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    /// The new password (same rules as at sign-up).
    #[schema(value_type = super::schema::NewPasswordText)]
    pub new_password: SecretString,
}

/// Change the password; every other session of the user ends.
#[utoipa::path(
    put, path = "/me/password", tag = "me",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Token lacks write:me", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Business refusal `invalid_password`: the current password is wrong (counted toward the sign-in lock-out); or `validation_failed`: the new password breaks the policy", body = ErrorBody),
        (status = 503, description = "Busy; retry", body = ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let keep = caller.session().map(|s| s.id.clone());
    state
        .accounts
        .change_password(
            &caller.user,
            body.current_password,
            body.new_password,
            keep.as_ref(),
            &client.meta(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One session.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// Identifier.
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub last_seen_at: String,
    /// Client address at sign-in.
    pub ip: Option<String>,
    /// Client user agent at sign-in.
    pub user_agent: Option<String>,
    /// Whether this request uses it.
    pub current: bool,
}

/// The caller's sessions, most recently seen first.
#[utoipa::path(
    get, path = "/me/sessions", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sessions", body = [SessionInfo]),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Token lacks read:me", body = ErrorBody),
    )
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<ReadMe>,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let current = caller.session().map(|s| s.id.clone());
    let sessions = state.sessions.list_for_user(caller.user.id).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: current.as_ref() == Some(&s.session.id),
                id: s.session.id.0,
                created_at: rfc3339(s.session.created_at),
                last_seen_at: rfc3339(s.last_seen_at),
                ip: s.session.ip,
                user_agent: s.session.user_agent,
            })
            .collect(),
    ))
}

/// End one of the caller's sessions.
#[utoipa::path(
    delete, path = "/me/sessions/{id}", tag = "me",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "insufficient_scope, session_required (a personal access token cannot end sessions) or reauthentication_required (the sign-in is older than session.fresh_for)", body = ErrorBody),
        (status = 404, description = "No such session of this user", body = ErrorBody),
    )
)]
pub async fn delete_session(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_fresh_session(&state.sessions, "Ending a session")?;
    let ended = state
        .sessions
        .revoke_by_id(&caller.user, &SessionId(id), &client.meta())
        .await?;
    if ended {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("You have no session with this id."))
    }
}

/// End every session of the caller but the current one.
#[utoipa::path(
    delete, path = "/me/sessions", tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "insufficient_scope, session_required (a personal access token cannot end sessions) or reauthentication_required (the sign-in is older than session.fresh_for)", body = ErrorBody),
    )
)]
pub async fn delete_other_sessions(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
) -> Result<StatusCode, ApiError> {
    caller.require_fresh_session(&state.sessions, "Ending sessions")?;
    state
        .sessions
        .revoke_all_except(
            &caller.user,
            caller.session().map(|s| &s.id),
            &client.meta(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
