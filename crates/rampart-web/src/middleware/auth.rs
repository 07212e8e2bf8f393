//! The sign-in requirement for every route outside the public list, and the
//! one detour a signed-in user cannot skip: a password that turned up in a
//! breach must be replaced before any other page opens.

use crate::extract::Visitor;
use crate::extract::visitor::login_redirect;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Pages a user who must change their password may still open.
const WHILE_PASSWORD_MUST_CHANGE: &[&str] = &["/account/password", "/reauth"];

/// Sends anonymous visitors to the login page, with `next` set to where they
/// were going; sends users whose password is breached to change it.
pub async fn require_sign_in(req: Request, next: Next) -> Response {
    let session = req
        .extensions()
        .get::<Visitor>()
        .and_then(|v| v.session.clone());
    match session {
        Some(session)
            if session.user.must_change_password
                && !WHILE_PASSWORD_MUST_CHANGE.contains(&req.uri().path()) =>
        {
            Redirect::to("/account/password").into_response()
        }
        Some(_) => next.run(req).await,
        None => login_redirect(req.uri().path_and_query().map_or("/", |p| p.as_str())),
    }
}
