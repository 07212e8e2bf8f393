//! `GET /login` and `POST /login`: the sign-in form.
//!
//! Success rotates the session (the pre-login token is discarded and a new
//! one issued, so a planted token is useless) and redirects with 303 to a safe
//! local `next` or `/account`. Unknown user, wrong password and locked account
//! all get the same 401 page. A user with a second factor goes on to
//! `/login/mfa` (see [`crate::signin`]).

use crate::error::WebError;
use crate::extract::{ClientInfo, HtmlForm, Visitor};
use crate::next::safe_local_path;
use crate::signin;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use rampart_core::LoginError;
use rampart_core::authn::SignInError;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The login routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(show).post(submit))
}

/// The answer when no source accepted the password and the directory could
/// not be asked.
pub const DIRECTORY_DOWN: &str = "error-directory-down";

/// The one message for every failed sign-in.
pub const GENERIC_FAILURE: &str = "error-sign-in-failed";

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    rd: String,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    password: SecretString,
    #[serde(default)]
    next: String,
    #[serde(default)]
    rd: String,
    /// `on` when "keep me signed in" is ticked.
    #[serde(default)]
    remember: String,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    csrf_token: String,
    next: Option<&'a str>,
    rd: Option<String>,
    error: Option<&'static str>,
    registration_open: bool,
    providers: Vec<crate::routes::oidc::Button>,
    passkeys: bool,
}

/// `rd` (an absolute URL from forward-auth) when it points at this site or
/// the cookie domain (see [`crate::settings::WebSettings::redirect_target`]).
pub(crate) fn safe_rd(state: &AppState, rd: &str) -> Option<String> {
    state.settings.redirect_target(rd)
}

fn page(
    state: &AppState,
    visitor: &Visitor,
    next: &str,
    rd: &str,
    status: StatusCode,
    error: Option<&'static str>,
) -> Response {
    state.templates.page(
        status,
        "login.html",
        LoginPage {
            csrf_token: visitor.csrf_token(&state.settings.csrf_key),
            next: safe_local_path(next),
            rd: safe_rd(state, rd),
            error,
            registration_open: state.settings.registration_open,
            providers: crate::routes::oidc::buttons(state, "/login/oidc", next, None),
            passkeys: state.passkeys.available(),
        },
    )
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<NextQuery>,
) -> Response {
    page(
        &state,
        &visitor,
        &query.next,
        &query.rd,
        StatusCode::OK,
        None,
    )
}

async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    headers: HeaderMap,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<Response, WebError> {
    let rd = safe_rd(&state, &form.rd);
    let target = rd
        .as_deref()
        .or_else(|| safe_local_path(&form.next))
        .unwrap_or("/account");
    let mark = signin::device_mark(&state, &headers);
    let browser = signin::browser(&visitor, mark.as_ref(), target, form.remember == "on");
    match state
        .signin
        .password(&form.username, form.password, &client.meta(), browser)
        .await
    {
        Ok(decision) => Ok(signin::respond(&state, decision)),
        Err(SignInError::Login(LoginError::DirectoryUnavailable)) => {
            tracing::warn!("sign-in refused: the directory is unavailable");
            Ok(page(
                &state,
                &visitor,
                &form.next,
                &form.rd,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(DIRECTORY_DOWN),
            ))
        }
        Err(SignInError::Login(LoginError::InvalidCredentials)) => {
            tracing::info!("sign-in refused");
            Ok(page(
                &state,
                &visitor,
                &form.next,
                &form.rd,
                StatusCode::UNAUTHORIZED,
                Some(GENERIC_FAILURE),
            ))
        }
        Err(other) => Err(other.into()),
    }
}
