//! Starting a signed-in session after a successful sign-in or registration:
//! the visitor's previous session (if any) ends, a new token is issued (never
//! the pre-login one: no session fixation), and the browser is redirected with
//! 303 and the new cookie.

use crate::cookies;
use crate::error::WebError;
use crate::extract::{ClientInfo, Visitor};
use crate::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_core::User;

/// Rotates the visitor into a new session for `user` and redirects to `target`.
pub async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    client: ClientInfo,
    target: &str,
) -> Result<Response, WebError> {
    if let Some(previous) = &visitor.session {
        state.sessions.end(previous).await?;
    }
    let user_id = user.id;
    let (token, _) = state
        .sessions
        .create(user, client.ip.map(|ip| ip.to_string()), client.user_agent)
        .await?;
    tracing::info!(%user_id, "signed in");
    let mut response = Redirect::to(target).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::session_cookie(&state.settings, &token),
    );
    Ok(response)
}
