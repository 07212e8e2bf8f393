//! Routes, one file per feature, each owning its `router()`. The split below
//! is the access policy: [`public`] pages work without signing in,
//! [`unauthenticated`] routes skip sessions and CSRF entirely (GET only), and
//! everything else goes in [`protected`] and requires a signed-in session.

pub mod account;
pub mod admin;
pub mod assets;
pub mod email;
pub mod forward_auth;
pub mod health;
pub mod identities;
pub mod language;
pub mod login;
pub mod logout;
pub mod mfa;
pub mod oidc;
pub mod passkeys;
pub mod reauth;
pub mod recovery;
pub mod register;
pub mod sessions;
pub mod setup;
pub mod tokens;

use crate::state::AppState;
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// Pages usable without signing in (sessions and CSRF still apply).
pub fn public() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/account") }))
        .merge(login::router())
        .merge(oidc::public())
        .merge(mfa::public())
        .merge(passkeys::public())
        .merge(register::router())
        .merge(setup::router())
        .merge(logout::router())
        .merge(recovery::router())
        .merge(email::public())
}

/// Pages that require a signed-in session.
pub fn protected() -> Router<AppState> {
    Router::new()
        .merge(account::router())
        .merge(language::router())
        .merge(identities::router())
        .merge(oidc::protected())
        .merge(admin::router())
        .merge(reauth::router())
        .merge(sessions::router())
        .merge(tokens::router())
        .merge(mfa::protected())
        .merge(passkeys::router())
        .merge(email::protected())
}

/// Machine endpoints and assets: no state changes, no session middleware,
/// no CSRF. (Forward-auth is mounted apart, see `crate::router`.)
pub fn unauthenticated() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(assets::router())
}

/// The 404 page.
pub async fn not_found() -> Response {
    axum::http::StatusCode::NOT_FOUND.into_response()
}
