//! "Sign in with …": `GET /login/oidc/{id}` sends the browser to provider
//! `id`; `GET /login/oidc/{id}/callback` takes its answer. Both are public
//! GETs without a CSRF token: the answer is bound to the browser that
//! started the flow (the server-side record found by `state` names its
//! session digest), to its PKCE verifier and nonce, and is single use; see
//! [`rampart_core::provider`].
//!
//! The same callback finishes linking (`GET /account/identities/link/{id}`,
//! fresh sign-in required) and re-authentication with a linked identity
//! (`GET /reauth/oidc/{id}`). Starting those is a GET too, because the
//! page's `form-action 'self'` would stop a form from leaving for the
//! provider; starting one changes nothing but a pending record.

use crate::error::WebError;
use crate::extract::{ClientInfo, FreshSession, SignedIn, Visitor};
use crate::signin;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_core::authn::ProviderReproved;
use rampart_core::provider::{Finished, Purpose};
use serde::Deserialize;

/// The public sign-in routes.
pub fn public() -> Router<AppState> {
    Router::new()
        .route("/login/oidc/{id}", get(begin_sign_in))
        .route("/login/oidc/{id}/callback", get(callback))
}

/// The routes that need a signed-in user.
pub fn protected() -> Router<AppState> {
    Router::new()
        // A POST with the CSRF token: another site cannot start a link.
        .route("/account/identities/link/{id}", post(begin_link))
        .route("/reauth/oidc/{id}", get(begin_reauth))
}

/// A "Sign in with …" button.
#[derive(serde::Serialize)]
pub struct Button {
    name: String,
    href: String,
}

/// A button per provider (of those in `only`, when given) to
/// `{prefix}/{id}`, carrying `next` when it is a safe local path (or an
/// address `rd` may name).
pub fn buttons(state: &AppState, prefix: &str, next: &str, only: Option<&[String]>) -> Vec<Button> {
    let next = super::reauth::allowed_target(state, next)
        .map(|n| {
            format!(
                "?next={}",
                form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    state
        .providers
        .buttons()
        .into_iter()
        .filter(|(id, _)| only.is_none_or(|sources| sources.contains(&format!("oidc:{id}"))))
        .map(|(id, name)| Button {
            href: format!("{prefix}/{id}{next}"),
            name,
        })
        .collect()
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

fn redirect_uri(state: &AppState, id: &str) -> String {
    let mut url = state.settings.base_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let base = url.as_str().trim_end_matches('/');
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("{base}/login/oidc/{id}/callback")
}

async fn begin(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    next: &str,
    purpose: Purpose,
) -> Result<Response, WebError> {
    // A local path, or (a step-up from forward-auth) an address `rd` may
    // name; anything else lands on the account page.
    let next = super::reauth::target(state, next);
    let url = state
        .providers
        .begin(
            id,
            &redirect_uri(state, id),
            visitor.digest(),
            &next,
            purpose,
        )
        .await?;
    Ok(Redirect::to(&url).into_response())
}

async fn begin_sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    begin(&state, &visitor, &id, &q.next, Purpose::SignIn).await
}

async fn begin_link(
    State(state): State<AppState>,
    visitor: Visitor,
    FreshSession(session): FreshSession,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let purpose = Purpose::Link(session.user.id);
    let back = format!("/account{}", super::sessions::FACTOR_CHANGED);
    begin(&state, &visitor, &id, &back, purpose).await
}

async fn begin_reauth(
    State(state): State<AppState>,
    visitor: Visitor,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let purpose = Purpose::Reauth(session.user.id);
    begin(&state, &visitor, &id, &q.next, purpose).await
}

#[derive(Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientInfo,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, WebError> {
    let signed_in = visitor.session.as_ref().map(|s| &s.user);
    let finished = state
        .providers
        .finish(
            &id,
            &redirect_uri(&state, &id),
            visitor.digest(),
            &q.state,
            q.code.as_deref(),
            q.error.as_deref(),
            signed_in,
            &client.meta(),
        )
        .await?;
    match finished {
        Finished::SignedIn {
            user,
            mfa_enabled,
            source,
            next,
        } => {
            let mark = signin::device_mark(&state, &headers);
            let browser = signin::browser(&visitor, mark.as_ref(), &next, false);
            let decision = state
                .signin
                .provider_proved(user, mfa_enabled, &source, &client.meta(), browser)
                .await?;
            Ok(signin::respond(&state, decision))
        }
        Finished::Linked { next, .. } => {
            // The owner just proved an identity of this account: the
            // session counts as freshly signed in.
            match &visitor.session {
                Some(session) => {
                    let token = state.signin.linked(session, &client.meta()).await?;
                    Ok(signin::renewed(&state, &token, &next))
                }
                None => Ok(Redirect::to(&next).into_response()),
            }
        }
        Finished::Confirmed { next, source, .. } => {
            let Some(session) = &visitor.session else {
                return Ok(Redirect::to(&next).into_response());
            };
            let reproved = state
                .signin
                .provider_reproved(session, &source, &client.meta(), &next)
                .await?;
            Ok(match reproved {
                ProviderReproved::Proved(token) => signin::renewed(&state, &token, &next),
                ProviderReproved::SecondFactorDue { challenge } => {
                    signin::second_factor_due(&state, &challenge)
                }
            })
        }
    }
}
