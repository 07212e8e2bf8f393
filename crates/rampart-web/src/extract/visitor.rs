//! Who the request is from, as established by the session middleware.
//!
//! Every page request carries a session token: a signed-in session, or an
//! anonymous pre-login token (never stored) that anchors the CSRF token of
//! the login and registration forms.

use crate::error::WebError;
use crate::next;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use rampart_core::Session;
use rampart_crypto::TokenDigest;
use std::sync::Arc;

/// The visitor of the current request.
#[derive(Clone, Debug)]
pub struct Visitor {
    /// Digest of the session token the client holds (or was just given).
    pub digest: TokenDigest,
    /// The signed-in session, if any.
    pub session: Option<Arc<Session>>,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Visitor>().cloned().ok_or_else(|| {
            WebError::Internal("the session middleware did not run for this route".into())
        })
    }
}

/// A signed-in session; anonymous visitors are sent to the login page with
/// their destination in `next`.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Arc<Session>);

/// The redirect to the login page that brings the visitor back afterwards.
pub fn login_redirect(path_and_query: &str) -> Response {
    let target = match next::safe_local_path(path_and_query) {
        Some(local) => format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(local.as_bytes()).collect::<String>()
        ),
        None => "/login".to_owned(),
    };
    Redirect::to(&target).into_response()
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.session {
            Some(session) => Ok(SignedIn(session)),
            None => Err(login_redirect(
                parts.uri.path_and_query().map_or("/", |p| p.as_str()),
            )),
        }
    }
}

/// The local path and query of `referer` when it is an address of this site.
fn url_path(referer: &str, origin: &str) -> Option<String> {
    let rest = referer.strip_prefix(origin)?;
    rest.starts_with('/').then(|| rest.to_owned())
}

/// A signed-in session that proved the password recently (sign-in or
/// `/reauth` within `session.fresh_for`); others are sent to `/reauth` and
/// brought back afterwards.
#[derive(Clone, Debug)]
pub struct FreshSession(pub Arc<Session>);

impl FromRequestParts<crate::state::AppState> for FreshSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        if state.sessions.is_fresh(&session) {
            return Ok(FreshSession(session));
        }
        // After re-authenticating, the browser comes back with a GET: for a
        // form's POST that is the page the form was on (its Referer, when it
        // is one of ours), never the action's address.
        let referer_path = parts
            .headers
            .get(axum::http::header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| url_path(r, &state.settings.origin()));
        let back = if parts.method == axum::http::Method::GET
            || parts.method == axum::http::Method::HEAD
        {
            parts.uri.path_and_query().map(|p| p.as_str().to_owned())
        } else {
            referer_path
        };
        let back = back.unwrap_or_else(|| "/account".to_owned());
        let back = next::safe_local_path(&back).unwrap_or("/account");
        let target = format!(
            "/reauth?next={}",
            form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        );
        Err(Redirect::to(&target).into_response())
    }
}
