//! Establishes the [`Visitor`] of every page request: the session cookie is
//! hashed and looked up through the session cache (the hot path: no database
//! round trip on a hit). A visitor without a usable cookie gets a fresh
//! anonymous pre-login token, set as the session cookie on the response,
//! which anchors their CSRF token until they sign in (and get a new token).
//! Anonymous tokens carry the prefix [`ANONYMOUS_PREFIX`]: they are never
//! stored, so recognising them spares a database lookup on every visit to the
//! login and registration pages (a forged prefix only ever yields an anonymous
//! visitor).

use crate::cookies;
use crate::extract::Visitor;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rampart_crypto::TokenDigest;
use rampart_crypto::token::{generate_token, looks_like_token};
use secrecy::{ExposeSecret, SecretString};

/// Marks a pre-login token, which has no session behind it.
pub const ANONYMOUS_PREFIX: &str = "anon.";

/// A new anonymous pre-login token.
fn mint_anonymous() -> SecretString {
    SecretString::from(format!(
        "{ANONYMOUS_PREFIX}{}",
        generate_token().expose_secret()
    ))
}

/// Loads the session for the request, minting an anonymous token if needed.
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let settings = &state.settings;
    let presented = cookies::session_token(settings, req.headers());
    let anonymous = presented.as_ref().is_some_and(|t| {
        t.expose_secret()
            .strip_prefix(ANONYMOUS_PREFIX)
            .is_some_and(looks_like_token)
    });
    let presented = presented.filter(|t| anonymous || looks_like_token(t.expose_secret()));
    let (visitor, minted) = match presented {
        Some(token) if anonymous => {
            let digest = TokenDigest::of(token.expose_secret());
            (
                Visitor {
                    digest,
                    session: None,
                },
                None,
            )
        }
        Some(token) => {
            let digest = TokenDigest::of(token.expose_secret());
            match state.sessions.resolve(&digest).await {
                Ok(session) => (Visitor { digest, session }, None),
                Err(err) => return crate::error::WebError::from(err).into_response(),
            }
        }
        None => {
            let token = mint_anonymous();
            let digest = TokenDigest::of(token.expose_secret());
            (
                Visitor {
                    digest,
                    session: None,
                },
                Some(token),
            )
        }
    };
    req.extensions_mut().insert(visitor);
    let mut response = next.run(req).await;
    if let Some(token) = minted {
        let name = settings.session_cookie_name();
        let already_set = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| {
                v.to_str()
                    .is_ok_and(|s| s.starts_with(name) && s[name.len()..].starts_with('='))
            });
        if !already_set {
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies::session_cookie(settings, &token),
            );
        }
    }
    response
}
