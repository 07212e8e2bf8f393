//! `/reauth`: re-entering the password before a sensitive action when the
//! sign-in is older than `session.fresh_for`; then back to where the user was.

use crate::error::WebError;
use crate::extract::{ClientInfo, HtmlForm, SignedIn, Visitor};
use crate::middleware::csrf::token_for;
use crate::next::safe_local_path;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
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

#[derive(Serialize)]
struct ReauthPage<'a> {
    csrf_token: String,
    next: &'a str,
    username: &'a str,
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
    let linked: Vec<String> = state
        .identities
        .list(user.id)
        .await?
        .into_iter()
        .map(|i| i.source)
        .collect();
    let username = user.username.as_str();
    Ok(state.templates.page(
        status,
        "reauth.html",
        ReauthPage {
            csrf_token: token_for(&state.settings.csrf_key, &visitor.digest),
            next: safe_local_path(next).unwrap_or("/account"),
            username,
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
    next: String,
}

async fn submit(
    State(state): State<AppState>,
    client: ClientInfo,
    visitor: Visitor,
    SignedIn(session): SignedIn,
    HtmlForm(form): HtmlForm<ReauthForm>,
) -> Result<Response, WebError> {
    if !state
        .signin
        .reauthenticate(&session, form.password, &client.meta())
        .await?
    {
        return page(
            &state,
            &visitor,
            &session.user,
            &form.next,
            StatusCode::UNAUTHORIZED,
            Some("That is not your password. Try again."),
        )
        .await;
    }
    Ok(Redirect::to(safe_local_path(&form.next).unwrap_or("/account")).into_response())
}
