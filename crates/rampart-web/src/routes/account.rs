//! `GET /account`: the signed-in user's page.

use crate::extract::{SignedIn, Visitor};
use crate::middleware::csrf::token_for;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

/// The account routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/account", get(show))
}

#[derive(Serialize)]
struct AccountPage<'a> {
    csrf_token: String,
    username: &'a str,
    email: &'a str,
    email_verified: bool,
    roles: Vec<&'a str>,
    signed_in_at: String,
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
) -> Response {
    let user = &session.user;
    state.templates.page(
        StatusCode::OK,
        "account.html",
        AccountPage {
            csrf_token: token_for(&state.settings.csrf_key, &visitor.digest),
            username: user.username.as_str(),
            email: user.email.as_str(),
            email_verified: user.email_verified,
            roles: user.roles.iter().map(|r| r.as_str()).collect(),
            signed_in_at: session.created_at.format(&Rfc3339).unwrap_or_default(),
        },
    )
}
