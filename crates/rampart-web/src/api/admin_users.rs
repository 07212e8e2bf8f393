//! Administration of accounts: `GET /admin/users` (search, paging),
//! `GET|PATCH|DELETE /admin/users/{id}`, `DELETE /admin/users/{id}/sessions`,
//! `DELETE /admin/users/{id}/mfa`, `POST /admin/users/{id}/password-reset`.
//! Each route names its permission in its [`Permit`]; the rules (existing
//! roles only, never the last administrator) are `rampart_core::admin`'s.

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiCaller, ApiJson};
use super::me::rfc3339;
use crate::extract::permit::{UsersRead, UsersWrite};
use crate::extract::{ClientInfo, Permit};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use rampart_core::admin::{Action, Operator};
use rampart_core::ports::UserOverview;
use rampart_core::{RoleName, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An account as administrators see it.
#[derive(Serialize, ToSchema)]
pub struct AdminUser {
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
    /// Locked by an operator.
    pub locked: bool,
    /// Second factor enabled.
    pub mfa_enabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

impl From<UserOverview> for AdminUser {
    fn from(o: UserOverview) -> Self {
        let u = o.user;
        AdminUser {
            id: u.id.to_string(),
            username: u.username.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            email_verified: u.email_verified,
            roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            locked: u.locked,
            mfa_enabled: o.mfa_enabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

/// Filters of the account listing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UserFilters {
    /// Part of a username or e-mail address (case-insensitive): up to 254
    /// characters, no control characters.
    #[param(inline, value_type = Option<super::schema::SearchText>)]
    q: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// Accounts to skip (default 0).
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    offset: Option<i64>,
}

/// A page of accounts.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    /// The accounts, by username.
    pub users: Vec<AdminUser>,
    /// How many match in all.
    pub total: i64,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// Lock (true) or unlock (false).
    pub locked: Option<bool>,
    /// The complete new list of roles (needs `roles:write`).
    #[schema(value_type = Option<Vec<super::schema::RoleNameText>>)]
    pub roles: Option<Vec<String>>,
}

fn parse_list(raw: Option<&str>) -> Result<(Option<String>, i64, i64), ApiError> {
    let (mut q, mut limit, mut offset) = (None, 50, 0);
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "q" if !super::schema::is_plain(&value)
                || value.chars().count() > super::schema::SEARCH_MAX_CHARS =>
            {
                return Err(ApiError::problem(
                    "q",
                    "Search for up to 254 characters of a username or e-mail address, without control characters.",
                ));
            }
            "q" => q = Some(value.into_owned()),
            "limit" => match super::extract::whole(&value) {
                Some(n) if (1..=200).contains(&n) => limit = n,
                _ => {
                    return Err(ApiError::problem(
                        "limit",
                        "Give a whole number from 1 to 200.",
                    ));
                }
            },
            "offset" => match super::extract::whole(&value) {
                Some(n) if n >= 0 => offset = n,
                _ => {
                    return Err(ApiError::problem(
                        "offset",
                        "Give a whole number, 0 or more.",
                    ));
                }
            },
            other => {
                return Err(ApiError::problem(
                    other,
                    "Unknown filter; use q, limit or offset.",
                ));
            }
        }
    }
    Ok((q, limit, offset))
}

async fn account(state: &AppState, id: &str) -> Result<UserOverview, ApiError> {
    let missing = || ApiError::not_found("There is no account with this id.");
    let id = UserId::parse(id).ok_or_else(missing)?;
    state.admin.by_id(id).await?.ok_or_else(missing)
}

/// Carries out `action` on the account with this id, as `caller`.
async fn perform(
    state: &AppState,
    client: &ClientInfo,
    caller: &ApiCaller,
    id: &str,
    action: Action,
) -> Result<(), ApiError> {
    let found = account(state, id).await?;
    state
        .admin
        .act(
            action,
            &found.user,
            Operator::Account(&caller.user),
            &client.meta(),
        )
        .await
        .map_err(ApiError::from)
}

/// Accounts, by username.
#[utoipa::path(
    get, path = "/admin/users", tag = "admin",
    security(("bearer" = [])),
    params(UserFilters),
    responses(
        (status = 200, description = "A page of accounts", body = UserList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:read", body = ErrorBody),
        (status = 422, description = "A filter is invalid", body = ErrorBody),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    _permit: Permit<UsersRead, ApiCaller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<UserList>, ApiError> {
    let (q, limit, offset) = parse_list(raw.as_deref())?;
    let page = state.admin.search(q.as_deref(), limit, offset).await?;
    Ok(Json(UserList {
        users: page.users.into_iter().map(AdminUser::from).collect(),
        total: page.total,
    }))
}

/// One account.
#[utoipa::path(
    get, path = "/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The account", body = AdminUser),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:read", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    _permit: Permit<UsersRead, ApiCaller>,
    Path(id): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    Ok(Json(account(&state, &id).await?.into()))
}

/// Lock or unlock an account, or replace its roles.
#[utoipa::path(
    patch, path = "/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = UserChange,
    responses(
        (status = 200, description = "The changed account", body = AdminUser),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:write (and roles:write for roles)", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "last_administrator: the change would leave no administrator", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "An unknown or invalid role", body = ErrorBody),
    )
)]
pub async fn update_user(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, ApiCaller>,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<UserChange>,
) -> Result<Json<AdminUser>, ApiError> {
    let found = account(&state, &id).await?;
    let by = client.meta();
    let operator = Operator::Account(&permit.via.user);
    let user: User = found.user;
    // Every check before any write, so a refused part changes nothing.
    let roles = match &change.roles {
        Some(roles) => {
            if !state
                .admin
                .roles()
                .allows(&permit.via.user, rampart_core::Permission::RolesWrite)
            {
                return Err(ApiError::forbidden(
                    "Changing roles needs the roles:write permission, which your roles do not grant.",
                ));
            }
            let roles = roles
                .iter()
                .map(|r| RoleName::parse(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|p| ApiError::problem("roles", &p.message))?;
            state.admin.may_set_roles(operator, &user, &roles)?;
            Some(roles)
        }
        None => None,
    };
    let action = match change.locked {
        Some(true) if !user.locked => Some(Action::Lock),
        Some(false) if user.locked => Some(Action::Unlock),
        _ => None,
    };
    if let Some(action) = action {
        state.admin.act(action, &user, operator, &by).await?;
    }
    if let Some(roles) = roles {
        state.admin.set_roles(&user, roles, operator, &by).await?;
    }
    Ok(Json(account(&state, &id).await?.into()))
}

/// Delete an account with everything that hangs off it.
#[utoipa::path(
    delete, path = "/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:write", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "last_administrator", body = ErrorBody),
    )
)]
pub async fn delete_user(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, ApiCaller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    perform(&state, &client, &permit.via, &id, Action::Delete).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of an account.
#[utoipa::path(
    delete, path = "/admin/users/{id}/sessions", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:write", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    )
)]
pub async fn delete_user_sessions(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, ApiCaller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    perform(&state, &client, &permit.via, &id, Action::EndSessions).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign everyone out everywhere: every session, remember-me series and known
/// device of every account ends (the caller's too), recorded as
/// `sessions.revoked_all` with who did it. It needs a session signed in
/// recently (not a personal access token): a leaked token must not be able
/// to throw everyone out.
#[utoipa::path(
    delete, path = "/admin/sessions", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Everyone is signed out"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:write; session_required: a personal access token was used; reauthentication_required: the session is not fresh", body = ErrorBody),
    )
)]
pub async fn delete_all_sessions(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, ApiCaller>,
) -> Result<StatusCode, ApiError> {
    let caller = &permit.via;
    caller.require_fresh_session(&state.sessions, "Signing everyone out")?;
    let who = Operator::Account(&caller.user).describe();
    state
        .sessions
        .sign_out_everywhere(None, &who, &client.meta())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why the second factor is removed.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResetQuery {
    /// Required: the ticket, and how the person's identity was confirmed
    /// (recorded in the audit event `mfa.disabled`; one line, at most 500
    /// characters).
    #[serde(default)]
    pub reason: String,
}

/// Remove an account's second factor, for a reason.
#[utoipa::path(
    delete, path = "/admin/users/{id}/mfa", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id"), ResetQuery),
    responses(
        (status = 204, description = "The second factor is removed; the user is told by mail"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:write", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "not_enrolled: the account has no second factor", body = ErrorBody),
        (status = 422, description = "validation_failed: the reason is missing, too long or not one line", body = ErrorBody),
    )
)]
pub async fn reset_user_mfa(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, ApiCaller>,
    Path(id): Path<String>,
    Query(query): Query<ResetQuery>,
) -> Result<StatusCode, ApiError> {
    let found = account(&state, &id).await?;
    state
        .admin
        .reset_second_factor(
            &found.user,
            Operator::Account(&permit.via.user),
            &client.meta(),
            &query.reason,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail the account a password-reset link.
#[utoipa::path(
    post, path = "/admin/users/{id}/password-reset", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 202, description = "The link is on its way to the user's address"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "forbidden: the caller's roles do not grant users:write", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    )
)]
pub async fn send_user_password_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, ApiCaller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    perform(&state, &client, &permit.via, &id, Action::SendPasswordReset).await?;
    Ok(StatusCode::ACCEPTED)
}
