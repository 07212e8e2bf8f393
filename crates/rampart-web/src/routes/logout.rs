//! `POST /logout` (POST only, CSRF-checked like every form): deletes the
//! session server-side, revokes the remember-me series, expires both cookies,
//! and sends the visitor to `/login`.

use crate::cookies;
use crate::error::WebError;
use crate::extract::ClientInfo;
use crate::extract::Visitor;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use secrecy::ExposeSecret;

/// The logout route.
pub fn router() -> Router<AppState> {
    Router::new().route("/logout", post(logout))
}

async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(remembered) = cookies::remember_token(&state.settings, &headers) {
        state
            .remember
            .revoke(remembered.expose_secret())
            .await
            .map_err(WebError::internal)?;
    }
    if let Some(session) = &visitor.session {
        state.sessions.sign_out(session, &client.meta()).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookies::expired_session_cookie(&state.settings),
    );
    headers.append(
        header::SET_COOKIE,
        cookies::expired_remember_cookie(&state.settings),
    );
    Ok(response)
}
