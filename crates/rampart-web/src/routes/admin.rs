//! The admin console under `/admin`: a dashboard with charts, the accounts
//! with search and paging, and a page per account (roles, sessions, second
//! factor, recent events) whose actions — lock, unlock, end sessions, reset
//! the second factor, send a password reset, set roles, delete — are CSRF-
//! protected forms, each audited by `rampart_core::admin`.
//!
//! Every route takes a [`Permit`] for its permission and a fresh sign-in.
//! [`routes`] lists what [`router`] mounts, from the same registration, so
//! the test suite walks the real router.

use crate::charts;
use crate::error::WebError;
use crate::extract::permit::{RolesWrite, UsersRead, UsersWrite};
use crate::extract::{ClientInfo, FreshSession, HtmlForm, Permit, Visitor};
use crate::routes::sessions::describe_device;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::Words;
use rampart_core::admin::{Action, Operator};
use rampart_core::audit::EventQuery;
use rampart_core::ports::UserOverview;
use rampart_core::{Permission, RoleName, UserId};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// Accounts per page of the list.
const PAGE_SIZE: i64 = 25;

/// The console's router and the list of what it mounts.
struct Console {
    router: Router<AppState>,
    routes: Vec<(&'static str, &'static str)>,
}

impl Console {
    fn get<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.router = self.router.route(path, get(h));
        self.routes.push(("GET", path));
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.router = self.router.route(path, post(h));
        self.routes.push(("POST", path));
        self
    }
}

fn console() -> Console {
    Console {
        router: Router::new(),
        routes: Vec::new(),
    }
    .get("/admin", dashboard)
    .get("/admin/users", users)
    .get("/admin/users/{id}", user_page)
    .post("/admin/users/{id}/lock", lock)
    .post("/admin/users/{id}/unlock", unlock)
    .post("/admin/users/{id}/sessions/revoke", end_sessions)
    .post("/admin/users/{id}/mfa/reset", reset_mfa)
    .post("/admin/users/{id}/passkeys/remove", remove_passkey)
    .post("/admin/users/{id}/password-reset", password_reset)
    .post("/admin/users/{id}/roles", set_roles)
    .post("/admin/users/{id}/delete", delete)
}

/// The console routes (mounted among the signed-in pages).
pub fn router() -> Router<AppState> {
    console().router
}

/// Every console route as (method, path template), as [`router`] mounts them.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    console().routes
}

#[derive(Serialize)]
struct Nav {
    csrf_token: String,
    can_write: bool,
    can_roles: bool,
    can_audit: bool,
}

fn nav(state: &AppState, visitor: &Visitor, session: &FreshSession) -> Nav {
    let roles = state.admin.roles();
    let user = &session.0.user;
    Nav {
        csrf_token: visitor.csrf_token(&state.settings.csrf_key),
        can_write: roles.allows(user, Permission::UsersWrite),
        can_roles: roles.allows(user, Permission::RolesWrite),
        can_audit: roles.allows(user, Permission::AuditRead),
    }
}

#[derive(Serialize)]
struct DashboardPage {
    nav: Nav,
    sign_ins_chart: String,
    totals_chart: String,
    active_sessions: i64,
    accounts: i64,
    locked: i64,
}

async fn dashboard(
    State(state): State<AppState>,
    visitor: Visitor,
    permit: Permit<UsersRead, FreshSession>,
) -> Result<Response, WebError> {
    let d = state.admin.dashboard().await?;
    let lang = state.templates.language();
    let say = |words: &Words| state.templates.say_in(&lang, words);
    let label = |key, english| say(&Words::new(key, english));
    let labels = [
        label("chart-active-sessions", "Active sessions"),
        label("chart-accounts", "Accounts"),
        label("chart-locked", "Locked accounts"),
        label("chart-with-second-factor", "With a second factor"),
    ];
    let totals = [
        (labels[0].as_str(), d.active_sessions),
        (labels[1].as_str(), d.accounts.total),
        (labels[2].as_str(), d.accounts.locked),
        (labels[3].as_str(), d.accounts.mfa),
    ];
    Ok(state.templates.page(
        StatusCode::OK,
        "admin_dashboard.html",
        DashboardPage {
            nav: nav(&state, &visitor, &permit.via),
            sign_ins_chart: charts::sign_ins(&d.sign_ins, say),
            totals_chart: charts::bars(
                "chart-totals",
                &label("chart-totals", "Sessions and accounts"),
                &totals,
            ),
            active_sessions: d.active_sessions,
            accounts: d.accounts.total,
            locked: d.accounts.locked,
        },
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Serialize)]
struct UserRow {
    id: String,
    username: String,
    email: String,
    roles: String,
    locked: bool,
    mfa_enabled: bool,
}

impl From<&UserOverview> for UserRow {
    fn from(o: &UserOverview) -> Self {
        UserRow {
            id: o.user.id.to_string(),
            username: o.user.username.as_str().to_owned(),
            email: o.user.email.as_str().to_owned(),
            roles: o
                .user
                .roles
                .iter()
                .map(RoleName::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            locked: o.user.locked,
            mfa_enabled: o.mfa_enabled,
        }
    }
}

#[derive(Serialize)]
struct UsersPage {
    nav: Nav,
    q: String,
    q_encoded: String,
    users: Vec<UserRow>,
    total: i64,
    page: i64,
    pages: i64,
}

async fn users(
    State(state): State<AppState>,
    visitor: Visitor,
    permit: Permit<UsersRead, FreshSession>,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let page = query.page.unwrap_or(1).max(1);
    let search = Some(query.q.as_str()).filter(|q| !q.trim().is_empty());
    let found = state
        .admin
        .search(search, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    Ok(state.templates.page(
        StatusCode::OK,
        "admin_users.html",
        UsersPage {
            nav: nav(&state, &visitor, &permit.via),
            q_encoded: form_urlencoded::byte_serialize(query.q.as_bytes()).collect(),
            q: query.q,
            users: found.users.iter().map(UserRow::from).collect(),
            total: found.total,
            page,
            pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        },
    ))
}

#[derive(Serialize)]
struct SessionRow {
    device: String,
    ip: String,
    created_at: String,
    last_seen_at: String,
}

#[derive(Serialize)]
struct EventRow {
    time: String,
    kind: String,
    outcome: String,
    ip: String,
}

#[derive(Serialize)]
struct RoleChoice {
    name: String,
    held: bool,
}

#[derive(Serialize)]
struct UserDetailPage {
    nav: Nav,
    user: UserRow,
    email_verified: bool,
    created_at: String,
    notice: Option<&'static str>,
    roles: Vec<RoleChoice>,
    sessions: Vec<SessionRow>,
    passkeys: Vec<PasskeyRow>,
    identities: Vec<IdentityRow>,
    /// Names, scopes and times; never a secret (only digests are stored).
    tokens: Vec<super::tokens::Row>,
    events: Vec<EventRow>,
}

/// A linked identity (a directory's or a provider's account).
#[derive(Serialize)]
struct IdentityRow {
    source: String,
    email: String,
    linked_at: String,
    last_used_at: String,
}

#[derive(Serialize)]
struct PasskeyRow {
    id: String,
    name: String,
    created_at: String,
    last_used_at: String,
    synced: bool,
}

#[derive(Deserialize)]
struct Done {
    #[serde(default)]
    done: String,
}

/// The confirmation shown after an action, as a catalogue key (fixed
/// texts: nothing from the query string is echoed).
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "locked" => "notice-locked",
        "unlocked" => "notice-unlocked",
        "sessions" => "notice-sessions",
        "mfa" => "notice-mfa",
        "reset" => "notice-reset",
        "roles" => "notice-roles",
        "passkey" => "notice-passkey",
        _ => return None,
    })
}

async fn account(state: &AppState, id: &str) -> Result<UserOverview, WebError> {
    let missing = || WebError::NotFound(crate::error::no_such_account());
    let id = UserId::parse(id).ok_or_else(missing)?;
    state.admin.by_id(id).await?.ok_or_else(missing)
}

fn when(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

async fn user_page(
    State(state): State<AppState>,
    visitor: Visitor,
    permit: Permit<UsersRead, FreshSession>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let found = account(&state, &id).await?;
    let nav = nav(&state, &visitor, &permit.via);
    let lang = state.templates.language();
    let sessions = state
        .sessions
        .list_for_user(found.user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            device: state
                .templates
                .say_in(&lang, &describe_device(s.session.user_agent.as_deref())),
            ip: s.session.ip.clone().unwrap_or_default(),
            created_at: when(s.session.created_at),
            last_seen_at: when(s.last_seen_at),
        })
        .collect();
    let passkeys = state
        .passkeys
        .list(found.user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            created_at: when(p.created_at),
            last_used_at: p.last_used_at.map_or_else(|| "never".to_owned(), when),
            synced: p.backup_state,
        })
        .collect();
    let identities = state
        .identities
        .list_stored(found.user.id)
        .await?
        .into_iter()
        .map(|i| IdentityRow {
            source: i.source,
            email: i.email.unwrap_or_default(),
            linked_at: when(i.linked_at),
            last_used_at: when(i.last_used_at),
        })
        .collect();
    let tokens = state
        .tokens
        .list(found.user.id)
        .await?
        .into_iter()
        .map(super::tokens::row)
        .collect();
    let events = if nav.can_audit {
        let query = EventQuery {
            user_id: Some(found.user.id),
            limit: 20,
            ..EventQuery::default()
        };
        state
            .accounts
            .audit()
            .events(query)
            .await
            .map_err(WebError::internal)?
            .into_iter()
            .map(|e| EventRow {
                time: when(e.at),
                kind: e.kind,
                outcome: e.outcome,
                ip: e.ip.unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let roles = state
        .admin
        .role_suggestions()
        .await?
        .into_iter()
        .map(|name| RoleChoice {
            held: found.user.roles.iter().any(|r| r.as_str() == name),
            name,
        })
        .collect();
    Ok(state.templates.page(
        StatusCode::OK,
        "admin_user.html",
        UserDetailPage {
            nav,
            user: UserRow::from(&found),
            email_verified: found.user.email_verified,
            created_at: when(found.user.created_at),
            notice: notice(&done.done),
            roles,
            sessions,
            passkeys,
            identities,
            tokens,
            events,
        },
    ))
}

fn back_to(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response()
}

/// A console form that carries out one action and returns to the account
/// page with its confirmation.
macro_rules! action_route {
    ($name:ident, $need:ty, $action:expr, $done:literal) => {
        async fn $name(
            State(state): State<AppState>,
            client: ClientInfo,
            permit: Permit<$need, FreshSession>,
            Path(id): Path<String>,
        ) -> Result<Response, WebError> {
            let user = account(&state, &id).await?.user;
            let operator = Operator::Account(&permit.via.0.user);
            state
                .admin
                .act($action, &user, operator, &client.meta())
                .await?;
            Ok(back_to(&id, $done))
        }
    };
}

action_route!(lock, UsersWrite, Action::Lock, "locked");
action_route!(unlock, UsersWrite, Action::Unlock, "unlocked");
action_route!(end_sessions, UsersWrite, Action::EndSessions, "sessions");

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    reason: String,
}

async fn reset_mfa(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, FreshSession>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<ResetForm>,
) -> Result<Response, WebError> {
    let user = account(&state, &id).await?.user;
    let operator = Operator::Account(&permit.via.0.user);
    state
        .admin
        .reset_second_factor(&user, operator, &client.meta(), &form.reason)
        .await?;
    Ok(back_to(&id, "mfa"))
}
#[derive(Deserialize)]
struct PasskeyForm {
    #[serde(default)]
    passkey_id: String,
}

async fn remove_passkey(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, FreshSession>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<PasskeyForm>,
) -> Result<Response, WebError> {
    let user = account(&state, &id).await?.user;
    let operator = Operator::Account(&permit.via.0.user);
    // No one removes a way in of an account holding permissions they lack.
    state.admin.may_act_on(operator, &user)?;
    let by = operator.describe();
    state
        .passkeys
        .remove(
            &user,
            &rampart_core::passkey::PasskeyId(form.passkey_id),
            rampart_core::passkey::Remover::Operator(&by),
            &client.meta(),
        )
        .await?;
    Ok(back_to(&id, "passkey"))
}

action_route!(
    password_reset,
    UsersWrite,
    Action::SendPasswordReset,
    "reset"
);

async fn set_roles(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<RolesWrite, FreshSession>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let user = account(&state, &id).await?.user;
    let roles = form
        .iter()
        // Ticked boxes, and free text (`more_roles`: names separated by
        // commas or spaces) for roles not yet in use.
        .flat_map(|(key, value)| match key.as_str() {
            "role" => vec![value.as_str()],
            "more_roles" => value
                .split([',', ' '])
                .filter(|name| !name.is_empty())
                .collect(),
            _ => Vec::new(),
        })
        .map(RoleName::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|p| WebError::Unprocessable(vec![p.words]))?;
    let operator = Operator::Account(&permit.via.0.user);
    state
        .admin
        .set_roles(&user, roles, operator, &client.meta())
        .await?;
    Ok(back_to(&id, "roles"))
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm_username: String,
}

async fn delete(
    State(state): State<AppState>,
    client: ClientInfo,
    permit: Permit<UsersWrite, FreshSession>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<DeleteForm>,
) -> Result<Response, WebError> {
    let user = account(&state, &id).await?.user;
    if !form
        .confirm_username
        .trim()
        .eq_ignore_ascii_case(user.username.as_str())
    {
        return Err(WebError::Unprocessable(vec![Words::new(
            "error-delete-username",
            "Type the account's username to confirm the deletion.",
        )]));
    }
    state
        .admin
        .act(
            Action::Delete,
            &user,
            Operator::Account(&permit.via.0.user),
            &client.meta(),
        )
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}
