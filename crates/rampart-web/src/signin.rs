//! Rendering what the sign-in state machine ([`rampart_core::authn`])
//! decided: a 303 to the target with the new session cookie (and the
//! remember-me, known-device and trusted-device cookies that came with it),
//! or a 303 to `/login/mfa` with the challenge token in the session cookie.
//! The rules are core's; this module only turns outcomes into cookies.

use crate::cookies;
use crate::extract::{ClientInfo, Visitor};
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use rampart_core::authn::{Browser, Decision, Started};
use secrecy::SecretString;

/// What a browser brings to a sign-in: its previous session, where it goes
/// next, whether it asked to be remembered, and its trusted-device mark.
pub fn browser<'a>(
    visitor: &'a Visitor,
    device_mark: Option<&'a SecretString>,
    next: &'a str,
    remember: bool,
) -> Browser<'a> {
    Browser {
        previous: visitor.session.as_deref(),
        next,
        remember,
        device_mark,
    }
}

/// The browser's "remember this device" mark, if it sent one.
pub fn device_mark(state: &AppState, headers: &HeaderMap) -> Option<SecretString> {
    cookies::device_token(&state.settings, headers)
}

/// The response to a first factor's decision.
pub fn respond(state: &AppState, decision: Decision) -> Response {
    match decision {
        Decision::SignedIn(started) => signed_in(state, started),
        Decision::SecondFactorDue { challenge } => second_factor_due(state, &challenge),
    }
}

/// A 303 to the started session's target, with its cookies.
pub fn signed_in(state: &AppState, started: Started) -> Response {
    let target = started.next.clone();
    with_cookies(&target, started_cookies(state, &started))
}

/// For the passkey script (a `fetch`, which must not follow a redirect to
/// another site): 200 with `{"redirect": target}` and the same cookies;
/// the script navigates.
pub fn signed_in_json(state: &AppState, started: Started) -> Response {
    let target = started.next.clone();
    json_with_cookies(&target, started_cookies(state, &started))
}

/// [`renewed`] for the passkey script: 200 with `{"redirect": target}`.
pub fn renewed_json(state: &AppState, token: &SecretString, target: &str) -> Response {
    json_with_cookies(target, [cookies::session_cookie(&state.settings, token)])
}

fn started_cookies(state: &AppState, started: &Started) -> Vec<HeaderValue> {
    let settings = &state.settings;
    let mut set = vec![cookies::session_cookie(settings, &started.token)];
    if let Some((device, ttl)) = &started.known_device {
        set.push(cookies::known_device_cookie(settings, device, *ttl));
    }
    if let Some((cookie, ttl)) = &started.remember {
        set.push(cookies::remember_cookie(settings, cookie, *ttl));
    }
    if let Some((mark, ttl)) = &started.trusted_device {
        set.push(cookies::device_cookie(settings, mark, *ttl));
    }
    set
}

/// A 303 to `target` carrying the session's new token (it was rotated when
/// its holder proved themselves again).
pub fn renewed(state: &AppState, token: &SecretString, target: &str) -> Response {
    with_cookies(target, [cookies::session_cookie(&state.settings, token)])
}

/// A challenge for the second factor: a 303 to `/login/mfa` with the
/// challenge token in the session cookie.
pub fn second_factor_due(state: &AppState, challenge: &SecretString) -> Response {
    with_cookies(
        "/login/mfa",
        [cookies::session_cookie(&state.settings, challenge)],
    )
}

/// A session for an account just made or just proved otherwise
/// (registration, first set-up, a password change), then `target`.
pub async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    user: rampart_core::User,
    client: ClientInfo,
    target: &str,
) -> Result<Response, crate::error::WebError> {
    let started = state
        .signin
        .start_session(user, &client.meta(), visitor.session.as_deref(), target)
        .await?;
    Ok(signed_in(state, started))
}

fn with_cookies(target: &str, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    add_cookies(Redirect::to(target).into_response(), cookies)
}

fn json_with_cookies(target: &str, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    let body = axum::Json(serde_json::json!({ "redirect": target }));
    add_cookies(body.into_response(), cookies)
}

fn add_cookies(mut response: Response, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
