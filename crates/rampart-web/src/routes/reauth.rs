//! `/reauth`: proving oneself again, with the password and the second
//! factor's code when the account has one (or with a passkey, see
//! `routes::passkeys`), before a sensitive action (the
//! sign-in is older than `session.fresh_for`) or a step-up (an access rule
//! asks for a second factor); then back to where the user was. The session
//! gets a new token.

use crate::error::WebError;
use crate::extract::{ClientInfo, HtmlForm, SignedIn, Visitor};
use crate::next::safe_local_path;
use crate::signin;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rampart_core::authn::Reproved;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The re-authentication route (sign-in required).
pub fn router() -> Router<AppState> {
    Router::new().route("/reauth", get(form).post(submit))
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `next` when a browser may be sent there: a local path, or (from a
/// step-up at forward-auth) an address of this site or the cookie domain.
pub(crate) fn allowed_target(state: &AppState, next: &str) -> Option<String> {
    safe_local_path(next)
        .map(str::to_owned)
        .or_else(|| state.settings.redirect_target(next))
}

/// Where to go once proved: [`allowed_target`], else the account page.
pub(crate) fn target(state: &AppState, next: &str) -> String {
    allowed_target(state, next).unwrap_or_else(|| "/account".to_owned())
}

#[derive(Serialize)]
struct ReauthPage<'a> {
    csrf_token: String,
    next: String,
    username: &'a str,
    needs_code: bool,
    passkey: bool,
    error: Option<&'static str>,
    providers: Vec<crate::routes::oidc::Button>,
}

/// The form; it offers the providers linked to the account as well.
async fn page(
    state: &AppState,
    visitor: &Visitor,
    user: &rampart_core::User,
    next: &str,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, WebError> {
    // Only providers that can prove a fresh sign-in (not GitHub).
    let fresh_capable = state.providers.reauthenticating();
    let linked: Vec<String> = state
        .identities
        .list(user.id)
        .await?
        .iter()
        .map(|i| i.source.clone())
        .filter(|source| fresh_capable.contains(source))
        .collect();
    let username = user.username.as_str();
    let needs_code = state.signin.reauth_needs_code(user).await?;
    let passkey = state.passkeys.available() && state.signin.has_passkey(user).await?;
    Ok(state.templates.page(
        status,
        "reauth.html",
        ReauthPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            next: target(state, next),
            username,
            needs_code,
            passkey,
            error,
            providers: crate::routes::oidc::buttons(state, "/reauth/oidc", next, Some(&linked)),
        },
    ))
}

async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    page(
        &state,
        &visitor,
        &session.user,
        &q.next,
        StatusCode::OK,
        None,
    )
    .await
}

#[derive(Deserialize)]
struct ReauthForm {
    password: SecretString,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn submit(
    State(state): State<AppState>,
    client: ClientInfo,
    visitor: Visitor,
    SignedIn(session): SignedIn,
    HtmlForm(form): HtmlForm<ReauthForm>,
) -> Result<Response, WebError> {
    let reproved = state
        .signin
        .reauthenticate(&session, form.password, Some(&form.code), &client.meta())
        .await?;
    let error = match reproved {
        Reproved::Proved(token) => {
            return Ok(signin::renewed(&state, &token, &target(&state, &form.next)));
        }
        Reproved::WrongPassword => "error-reauth-password",
        Reproved::PasswordRequired => "error-reauth-password-missing",
        Reproved::WrongCode => "error-reauth-code",
        Reproved::PasskeyRequired => "error-reauth-passkey",
    };
    page(
        &state,
        &visitor,
        &session.user,
        &form.next,
        StatusCode::UNAUTHORIZED,
        Some(error),
    )
    .await
}
