//! Establishes the [`Visitor`] of every page request: the session cookie is
//! hashed and looked up through the session cache (the hot path: no database
//! round trip on a hit). A visitor without a live session but with a
//! remember-me cookie is signed in again with a fresh session (the cookie
//! rotates; a copied cookie revokes its series). Anyone else gets an anonymous
//! pre-login token, set as the session cookie on the response, which anchors
//! their CSRF token until they sign in (and get a new token).
//!
//! Anonymous tokens carry the prefix [`ANONYMOUS_PREFIX`]: they are never
//! stored, so recognising them spares a database lookup on every visit to the
//! login and registration pages (a forged prefix only ever yields an anonymous
//! visitor).

use crate::cookies;
use crate::error::WebError;
use crate::extract::Visitor;
use crate::extract::client::client_ip;
use crate::render::{Chrome, ChromeSource, built_once, with_chrome};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rampart_core::mfa::CHALLENGE_PREFIX;
use rampart_core::{ClientCheck, client_fingerprint};
use rampart_crypto::TokenDigest;
use rampart_crypto::token::{generate_token, looks_like_token};
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, SocketAddr};

/// Marks a pre-login token, which has no session behind it.
pub const ANONYMOUS_PREFIX: &str = "anon.";

/// A new anonymous pre-login token.
fn mint_anonymous() -> SecretString {
    SecretString::from(format!(
        "{ANONYMOUS_PREFIX}{}",
        generate_token().expose_secret()
    ))
}

/// What the request carries that this middleware needs, read once before any
/// await (a `Request` cannot be held across one, and copying its whole header
/// map on every request would cost more).
struct Client {
    session_token: Option<SecretString>,
    remember_token: Option<SecretString>,
    ip: Option<IpAddr>,
    /// The `User-Agent` header as sent (shared with the request, not
    /// copied: most requests only hash it).
    user_agent: Option<HeaderValue>,
}

impl Client {
    fn of(state: &AppState, req: &Request) -> Client {
        let headers = req.headers();
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Client {
            session_token: cookies::session_token(&state.settings, headers),
            remember_token: cookies::remember_token(&state.settings, headers),
            ip: client_ip(peer, headers, &state.settings.trusted_proxies),
            user_agent: headers.get(header::USER_AGENT).cloned(),
        }
    }

    fn meta(&self) -> rampart_core::ClientMeta {
        rampart_core::ClientMeta {
            ip: self.ip,
            user_agent: self.agent().map(str::to_owned),
            known_device: None,
            // A restored session keeps the account's language (negotiating
            // on every request would cost every page).
            language: None,
        }
    }

    /// The user agent, if it is text.
    fn agent(&self) -> Option<&str> {
        self.user_agent.as_ref().and_then(|v| v.to_str().ok())
    }

    fn fingerprint(&self) -> String {
        client_fingerprint(self.agent(), self.ip)
    }
}

/// The live session for the presented cookie, if any.
async fn presented_session(state: &AppState, client: &Client) -> Result<Option<Visitor>, WebError> {
    let Some(token) = &client.session_token else {
        return Ok(None);
    };
    let text = token.expose_secret();
    // Anonymous and half-signed-in (password checked, second factor due)
    // visitors alike have no session; only `/login/mfa` looks further.
    let unsigned = [ANONYMOUS_PREFIX, CHALLENGE_PREFIX]
        .iter()
        .any(|prefix| text.strip_prefix(prefix).is_some_and(looks_like_token));
    if unsigned {
        return Ok(Some(Visitor::new(TokenDigest::of(text), None)));
    }
    if !looks_like_token(text) {
        return Ok(None);
    }
    let digest = TokenDigest::of(text);
    let session = state.sessions.resolve(&digest).await?;
    Ok(Some(Visitor::new(digest, session)))
}

/// Signs a visitor in again from a remember-me cookie. Returns the new
/// visitor and the cookies to set, or the cookie to clear.
async fn remembered(
    state: &AppState,
    client: &Client,
    cookie: &SecretString,
) -> Result<(Option<Visitor>, Vec<HeaderValue>), WebError> {
    let Some(restored) = state.signin.restore(cookie, &client.meta()).await? else {
        return Ok((
            None,
            vec![cookies::expired_remember_cookie(&state.settings)],
        ));
    };
    let (rotated, left) = &restored.cookie;
    let set = vec![
        cookies::session_cookie(&state.settings, &restored.token),
        cookies::remember_cookie(&state.settings, rotated, *left),
    ];
    let visitor = Visitor::new(
        TokenDigest::of(restored.token.expose_secret()),
        Some(restored.session),
    );
    Ok((Some(visitor), set))
}

/// The page header's facts for `visitor`, in the language asked for in
/// `accept_language`.
fn chrome_of(state: &AppState, visitor: &Visitor, accept_language: Option<&HeaderValue>) -> Chrome {
    let session = visitor.session.as_ref();
    Chrome {
        signed_in: session.is_some(),
        is_staff: session.is_some_and(|s| state.admin.roles().is_staff(&s.user)),
        // Only the signed-in header has a form (signing out).
        csrf_token: session
            .map(|_| visitor.csrf_token(&state.settings.csrf_key))
            .unwrap_or_default(),
        registration_open: state.settings.registration_open,
        now: Some(state.clock.now()),
        lang: state
            .templates
            .negotiate(accept_language.and_then(|v| v.to_str().ok())),
    }
}

/// Loads the session for the request, signing in again from a remember-me
/// cookie or minting an anonymous token when needed, then refuses a
/// state-changing request without a valid CSRF token
/// ([`super::csrf::check`]).
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let settings = state.settings.clone();
    let client = Client::of(&state, &req);
    let presented = match presented_session(&state, &client).await {
        Ok(v) => v,
        Err(err) => return err.into_response(),
    };
    let mut set_cookies = Vec::new();
    let (mut visitor, mut anonymous) = (None, None);
    match presented.as_ref().and_then(|v| v.session.clone()) {
        // Session protection: the same cookie from another client.
        Some(session) => {
            visitor = match state
                .sessions
                .check_client(session, || client.fingerprint())
                .await
            {
                Ok(ClientCheck::Same(session) | ClientCheck::Stale(session)) => {
                    presented.map(|signed_in| Visitor::new(*signed_in.digest(), Some(session)))
                }
                Ok(ClientCheck::Ended) => None,
                Err(err) => return WebError::from(err).into_response(),
            }
        }
        None => anonymous = presented,
    }
    if visitor.is_none()
        && let Some(cookie) = &client.remember_token
    {
        match remembered(&state, &client, cookie).await {
            Ok((found, cookies)) => {
                visitor = found;
                set_cookies = cookies;
            }
            Err(err) => return err.into_response(),
        }
    }
    let visitor = match visitor {
        Some(v) => v,
        None => match anonymous {
            Some(anonymous) => anonymous,
            None => {
                let token = mint_anonymous();
                set_cookies.push(cookies::session_cookie(&settings, &token));
                Visitor::new(TokenDigest::of(token.expose_secret()), None)
            }
        },
    };
    let chrome: ChromeSource = {
        let (state, visitor) = (state.clone(), visitor.clone());
        let accept_language = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
        built_once(move || chrome_of(&state, &visitor, accept_language.as_ref()))
    };
    req.extensions_mut().insert(visitor);
    // The CSRF check runs here, inside the session, rather than as a layer
    // of its own: one layer less to pass on every page request.
    let checked = async {
        match super::csrf::check(&state, req).await {
            Ok(req) => next.run(req).await,
            Err(refused) => refused,
        }
    };
    let mut response = with_chrome(chrome.clone(), checked).await;
    // An error page is rendered further out (`errors::ErrorPages`):
    // it gets the same header.
    if response.status().is_client_error() || response.status().is_server_error() {
        response.extensions_mut().insert(chrome);
    }
    let already = |name: &str, response: &Response| {
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| {
                v.to_str()
                    .is_ok_and(|s| s.starts_with(name) && s[name.len()..].starts_with('='))
            })
    };
    for cookie in set_cookies {
        let name = cookie
            .to_str()
            .ok()
            .and_then(|s| s.split('=').next())
            .unwrap_or("")
            .to_owned();
        if !already(&name, &response) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}
