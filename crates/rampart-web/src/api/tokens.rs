//! Personal access tokens: `POST /me/tokens` (needs a session: a token cannot
//! mint tokens, so a leaked one cannot extend itself), `GET /me/tokens` (never
//! the secrets), `DELETE /me/tokens/{id}`.

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiCaller, ApiJson, Authorized, ReadMe, WriteMe};
use super::me::rfc3339;
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_core::token::{TokenId, TokenSummary};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label: 1–64 characters, not only blanks, no control characters.
    #[schema(value_type = super::schema::TokenNameText)]
    pub name: String,
    /// Any of `read:me`, `write:me`, `admin` (admins only), `proxy` (accepted
    /// by forward authentication, `/auth/verify`).
    #[schema(min_items = 1, value_type = Vec<ScopeName>)]
    pub scopes: Vec<String>,
    /// 1–365.
    #[schema(minimum = 1, maximum = 365)]
    #[serde(deserialize_with = "super::extract::whole_number")]
    pub expires_in_days: i64,
}

/// A scope a personal access token can carry (the document's list; the
/// handler parses the names with [`rampart_core::Scope::parse`]).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // only its schema is used
pub enum ScopeName {
    /// Read the owner's account, sessions and tokens.
    #[serde(rename = "read:me")]
    ReadMe,
    /// Change the owner's account.
    #[serde(rename = "write:me")]
    WriteMe,
    /// The admin API, as far as the owner's roles allow (staff only).
    #[serde(rename = "admin")]
    Admin,
    /// Forward authentication (`/auth/verify`) as the owner.
    #[serde(rename = "proxy")]
    Proxy,
}

/// A created token; the secret is shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// Identifier.
    pub id: String,
    /// The secret, starting with `rmp_`.
    pub token: String,
}

/// A token as listed.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    /// Identifier.
    pub id: String,
    /// Label.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339, or null when never used.
    pub last_used_at: Option<String>,
}

impl From<TokenSummary> for TokenInfo {
    fn from(t: TokenSummary) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            last_used_at: t.last_used_at.map(rfc3339),
        }
    }
}

/// Create a personal access token.
#[utoipa::path(
    post, path = "/me/tokens", tag = "tokens",
    security(("bearer" = [])),
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; the secret is shown once", body = CreatedToken),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "session_required (a personal access token cannot create tokens) or reauthentication_required (the sign-in is older than 10 minutes)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    client: ClientInfo,
    caller: ApiCaller,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    caller.require_fresh_session(&state.sessions, "Creating a token")?;
    let (secret, summary) = state
        .tokens
        .create(
            &caller.user,
            &body.name,
            &body.scopes,
            body.expires_in_days,
            &client.meta(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: summary.id.0,
            token: secret.expose_secret().to_owned(),
        }),
    ))
}

/// The caller's tokens (without secrets), newest first.
#[utoipa::path(
    get, path = "/me/tokens", tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens", body = [TokenInfo]),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Token lacks read:me", body = ErrorBody),
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<ReadMe>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let tokens = state.tokens.list(caller.user.id).await?;
    Ok(Json(tokens.into_iter().map(TokenInfo::from).collect()))
}

/// Revoke a token at once.
#[utoipa::path(
    delete, path = "/me/tokens/{id}", tag = "tokens",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Token lacks write:me", body = ErrorBody),
        (status = 404, description = "No such token of this user", body = ErrorBody),
    )
)]
pub async fn delete_token(
    State(state): State<AppState>,
    client: ClientInfo,
    Authorized(caller, _): Authorized<WriteMe>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .tokens
        .revoke(&caller.user, &TokenId(id), &client.meta())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
