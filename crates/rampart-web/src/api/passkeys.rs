//! The caller's passkeys: `GET /me/passkeys` and `DELETE /me/passkeys/{id}`
//! (a fresh session token, not a personal access token: removing a way in
//! is as sensitive as adding one). Adding a passkey needs a browser's
//! WebAuthn ceremony, so it happens on `/account/passkeys`.

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiCaller, Authorized, ReadMe};
use super::me::rfc3339;
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_core::passkey::{PasskeyId, PasskeySummary, Remover};
use serde::Serialize;
use utoipa::ToSchema;

/// A passkey as listed.
#[derive(Serialize, ToSchema)]
pub struct PasskeyInfo {
    /// Identifier.
    pub id: String,
    /// The name its owner gave it.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or null when it never signed in.
    pub last_used_at: Option<String>,
    /// The authenticator may sync it to the owner's other devices.
    pub backup_eligible: bool,
    /// It is synced.
    pub backup_state: bool,
    /// It signs in by itself (the browser reported a resident key, and the
    /// authenticator verified its user), so it counts as a way in.
    pub discoverable: bool,
}

impl From<PasskeySummary> for PasskeyInfo {
    fn from(p: PasskeySummary) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: rfc3339(p.created_at),
            last_used_at: p.last_used_at.map(rfc3339),
            backup_eligible: p.backup_eligible,
            backup_state: p.backup_state,
            discoverable: p.discoverable,
        }
    }
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get, path = "/me/passkeys", tag = "passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Passkeys", body = [PasskeyInfo]),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Token lacks read:me", body = ErrorBody),
    )
)]
pub async fn list_passkeys(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<ReadMe>,
) -> Result<Json<Vec<PasskeyInfo>>, ApiError> {
    let passkeys = state.passkeys.list(caller.user.id).await?;
    Ok(Json(passkeys.into_iter().map(PasskeyInfo::from).collect()))
}

/// Remove a passkey.
#[utoipa::path(
    delete, path = "/me/passkeys/{id}", tag = "passkeys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Passkey id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "session_required (a personal access token cannot remove a passkey) or reauthentication_required (the sign-in is older than 10 minutes)", body = ErrorBody),
        (status = 404, description = "No such passkey of this user", body = ErrorBody),
    )
)]
pub async fn delete_passkey(
    State(state): State<AppState>,
    client: ClientInfo,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let session = caller.require_fresh_session(&state.sessions, "Removing a passkey")?;
    state
        .passkeys
        .remove(
            &caller.user,
            &PasskeyId(id),
            Remover::Owner(&session.id),
            &client.meta(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
