//! Starting a signed-in session after a successful sign-in or registration:
//! the visitor's previous session (if any) ends, a new token is issued (never
//! the pre-login one: no session fixation), and the browser is redirected with
//! 303 and the new cookie.
//!
//! A correct password of a user with a second factor starts no session: the
//! cookie then holds a challenge token (good only for `/login/mfa`, for
//! `mfa.challenge_ttl`), unless this browser carries a valid
//! "remember this device" mark.

use crate::cookies;
use crate::error::WebError;
use crate::extract::{ClientInfo, Visitor};
use crate::state::AppState;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use rampart_core::{Authenticated, SessionKind, User};
use secrecy::ExposeSecret;

/// Rotates the visitor into a new session for `user` and redirects to `target`.
pub async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    client: ClientInfo,
    target: &str,
) -> Result<Response, WebError> {
    rotate_into_session(state, visitor, user, client, target, None).await
}

/// How the first factor was proved: `method` (`password`, `oidc`) by
/// `source` (`local`, `ldap`, `oidc:<id>`).
#[derive(Debug, Clone, Copy)]
pub struct FirstFactor<'a> {
    /// `password` or `oidc`.
    pub method: &'static str,
    /// `local`, `ldap` or `oidc:<id>`.
    pub source: &'a str,
}

/// [`start_session`], recording `login.succeeded` by `method` and `source`
/// with the new session when the visitor has just signed in.
async fn rotate_into_session(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    client: ClientInfo,
    target: &str,
    method: Option<(&str, &str)>,
) -> Result<Response, WebError> {
    if let Some(previous) = &visitor.session {
        state.sessions.end(previous).await?;
    }
    let user_id = user.id;
    let (token, session) = match method {
        Some((method, source)) => {
            state
                .sessions
                .sign_in(user, &client.meta(), method, source, SessionKind::Browser)
                .await?
        }
        None => {
            state
                .sessions
                .create(user, client.ip.map(|ip| ip.to_string()), client.user_agent)
                .await?
        }
    };
    tracing::info!(%user_id, "signed in");
    let mut response = Redirect::to(target).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::session_cookie(&state.settings, &token),
    );
    if method.is_some() {
        // Every complete sign-in makes this browser a known device of the
        // account (exempt from the account-wide lock-out).
        let device = state
            .devices
            .issue(&session.user)
            .await
            .map_err(WebError::internal)?;
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::known_device_cookie(&state.settings, &device, state.devices.ttl()),
        );
    }
    Ok(response)
}

/// Every factor is proved (`method`, the first of them by `source`): a
/// session, and a remember-me cookie when asked.
#[allow(clippy::too_many_arguments)]
pub async fn complete_sign_in(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    client: ClientInfo,
    target: &str,
    remember: bool,
    method: &str,
    source: &str,
) -> Result<Response, WebError> {
    let user_id = user.id;
    let mut response =
        rotate_into_session(state, visitor, user, client, target, Some((method, source))).await?;
    if remember {
        let cookie = state
            .remember
            .issue(user_id)
            .await
            .map_err(WebError::internal)?;
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::remember_cookie(&state.settings, &cookie, state.remember.ttl()),
        );
    }
    Ok(response)
}

/// The password was right: sign in, or ask for the second factor.
pub async fn password_accepted(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    signed: Authenticated,
    client: ClientInfo,
    target: &str,
    remember: bool,
) -> Result<Response, WebError> {
    let first = FirstFactor {
        method: "password",
        source: signed.source,
    };
    first_factor_accepted(
        state,
        visitor,
        headers,
        (signed.user, signed.mfa_enabled),
        first,
        client,
        target,
        remember,
    )
    .await
}

/// The first factor (a password, or an identity provider's answer) is
/// proved for `user` (`.1`: it has a second factor): sign in, or ask for
/// the second factor unless this browser is a trusted device.
#[allow(clippy::too_many_arguments)]
pub async fn first_factor_accepted(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    (user, mfa_enabled): (User, bool),
    first: FirstFactor<'_>,
    client: ClientInfo,
    target: &str,
    remember: bool,
) -> Result<Response, WebError> {
    let mut method = first.method.to_owned();
    if mfa_enabled {
        let trusted = match cookies::device_token(&state.settings, headers) {
            Some(mark) => {
                state
                    .mfa
                    .is_trusted_device(&user, mark.expose_secret())
                    .await?
            }
            None => false,
        };
        if !trusted {
            if let Some(previous) = &visitor.session {
                state.sessions.end(previous).await?;
            }
            let token = state
                .mfa
                .start_challenge(&user, target, remember, first.source)
                .await?;
            let mut response = Redirect::to("/login/mfa").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies::session_cookie(&state.settings, &token),
            );
            return Ok(response);
        }
        method.push_str("+trusted_device");
    }
    complete_sign_in(
        state,
        visitor,
        user,
        client,
        target,
        remember,
        &method,
        first.source,
    )
    .await
}
