//! `POST /logout` (POST only, CSRF-checked like every form): deletes the
//! session server-side, expires the cookie, and sends the visitor to `/login`.

use crate::cookies;
use crate::error::WebError;
use crate::extract::Visitor;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;

/// The logout route.
pub fn router() -> Router<AppState> {
    Router::new().route("/logout", post(logout))
}

async fn logout(State(state): State<AppState>, visitor: Visitor) -> Result<Response, WebError> {
    if let Some(session) = &visitor.session {
        state.sessions.end(session).await?;
        tracing::info!(user_id = %session.user.id, "signed out");
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::expired_session_cookie(&state.settings),
    );
    Ok(response)
}
