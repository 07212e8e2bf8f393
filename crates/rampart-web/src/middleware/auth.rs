//! The sign-in requirement for every route outside the public list, and the
//! detours a signed-in user cannot skip: a password that turned up in a
//! breach must be replaced, and an account that must have a second factor
//! (`mfa.required`) must enrol one, before any other page opens.

use crate::error::WebError;
use crate::extract::Visitor;
use crate::extract::visitor::login_redirect;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Pages a user who must change their password may still open.
const WHILE_PASSWORD_MUST_CHANGE: &[&str] = &[
    "/account/password",
    "/reauth",
    "/reauth/passkey/options",
    "/reauth/passkey",
];

/// Pages an account that must enrol a second factor may still open.
const WHILE_ENROLLING: &[&str] = &[
    "/account/mfa/totp",
    "/account/mfa/recovery-codes",
    "/account/passkeys",
    "/account/passkeys/options",
    "/reauth",
];

/// True for the pages an account that must enrol may open (re-proving
/// itself with a linked provider included: an account without a password
/// has no other way to a fresh sign-in).
fn while_enrolling(path: &str) -> bool {
    WHILE_ENROLLING.contains(&path) || path.starts_with("/reauth/oidc/")
}

/// Sends anonymous visitors to the login page, with `next` set to where they
/// were going; sends users whose password is breached to change it, and
/// users who must have a second factor and have none to enrol.
pub async fn require_sign_in(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
        // A breached password is replaced first; enrolment comes after.
        Some(session) if session.user.must_change_password => next.run(req).await,
        Some(session) if !while_enrolling(req.uri().path()) => {
            match state.signin.must_enrol(&session.user).await {
                Ok(true) => Redirect::to(rampart_core::authn::ENROLMENT_PAGE).into_response(),
                Ok(false) => next.run(req).await,
                Err(err) => WebError::from(err).into_response(),
            }
        }
        Some(_) => next.run(req).await,
        None => login_redirect(req.uri().path_and_query().map_or("/", |p| p.as_str())),
    }
}
