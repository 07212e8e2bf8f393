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
use std::sync::{Arc, OnceLock};

/// The visitor of the current request.
#[derive(Clone)]
pub struct Visitor {
    /// Digest of the session token the client holds (or was just given).
    /// Private and never changed: the CSRF token kept below is its own.
    digest: TokenDigest,
    /// The signed-in session, if any.
    pub session: Option<Arc<Session>>,
    /// The CSRF token, once worked out: a page and its header's sign-out
    /// form both carry it, and clones of the visitor share it, so a page
    /// request computes one HMAC, not one per form (#20).
    csrf_token: Arc<OnceLock<String>>,
}

impl std::fmt::Debug for Visitor {
    /// Without the CSRF token: a visitor in a log line gives nothing away.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visitor")
            .field("session", &self.session.as_ref().map(|s| &s.id))
            .finish_non_exhaustive()
    }
}

impl Visitor {
    /// The visitor holding the session token of `digest`.
    pub fn new(digest: TokenDigest, session: Option<Arc<Session>>) -> Self {
        Visitor {
            digest,
            session,
            csrf_token: Arc::default(),
        }
    }

    /// Digest of the session token the client holds (or was just given).
    pub fn digest(&self) -> &TokenDigest {
        &self.digest
    }

    /// The CSRF token of this visitor's session token under `key`, the
    /// server's CSRF key (one per server: the first answer is kept).
    pub fn csrf_token(&self, key: &[u8; 32]) -> String {
        self.csrf_token
            .get_or_init(|| crate::middleware::csrf::token_for(key, &self.digest))
            .clone()
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::middleware::csrf::token_for;

    /// The kept CSRF token is the session token's own: the one the check
    /// computes, shared by the visitor's clones (the page header's and the
    /// page's), another for another token, and never in debug output.
    #[test]
    fn the_csrf_token_is_the_visitors_own_and_kept() {
        let key = [7u8; 32];
        let alice = Visitor::new(TokenDigest::of("alice-token"), None);
        let mallory = Visitor::new(TokenDigest::of("mallory-token"), None);
        let copy = alice.clone();
        let token = alice.csrf_token(&key);
        assert_eq!(token, token_for(&key, &TokenDigest::of("alice-token")));
        assert_eq!(copy.csrf_token(&key), token);
        assert!(Arc::ptr_eq(&alice.csrf_token, &copy.csrf_token));
        assert_ne!(mallory.csrf_token(&key), token);
        assert_eq!(
            mallory.csrf_token(&key),
            token_for(&key, &TokenDigest::of("mallory-token"))
        );
        assert!(!format!("{alice:?}").contains(&token));
    }
}
