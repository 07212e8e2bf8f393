//! CSRF defence for every state-changing request (anything but GET, HEAD,
//! OPTIONS), in two layers:
//!
//! 1. The browser's own signals: a request whose `Sec-Fetch-Site` says
//!    `cross-site`/`same-site`, or whose `Origin` is neither the configured
//!    base URL nor this request's own host, is refused.
//! 2. A synchronizer token bound to the session: HMAC-SHA-256 under a key
//!    derived from the secret key, over the digest of the visitor's session
//!    token. It changes whenever the session does (sign-in), cannot be used
//!    with another session, and needs no storage. It arrives as the form field
//!    `csrf_token` (or the `X-CSRF-Token` header) and is compared in constant
//!    time.
//!
//! A refused request gets 403 before any handler runs, so nothing changes.

use crate::error::WebError;
use crate::extract::Visitor;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64URL_NOPAD;
use rampart_core::Words;
use rampart_crypto::{TokenDigest, constant_time_eq, hmac_sha256};

/// The CSRF token for a session token digest.
pub fn token_for(key: &[u8; 32], digest: &TokenDigest) -> String {
    BASE64URL_NOPAD.encode(&hmac_sha256(key, &[b"rampart/csrf/v1", &digest.0]))
}

fn refused(reason: &str) -> Response {
    tracing::info!(reason, "state-changing request refused by the CSRF check");
    WebError::Forbidden(Words::new(
        "error-csrf",
        "This form was not sent by this site, or it has expired. Go back, reload the page and try again.",
    ))
    .into_response()
}

fn cross_origin(
    headers: &HeaderMap,
    authority: Option<&str>,
    state: &AppState,
) -> Option<&'static str> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Some("Sec-Fetch-Site is not same-origin");
    }
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("null");
    let configured = state.settings.origin();
    let scheme = state.settings.base_url.scheme();
    // HTTP/2 carries the host as `:authority` (the URI's), not `Host`.
    let own_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or(authority)
        .map(|host| format!("{scheme}://{host}"));
    if origin == configured || own_host.as_deref() == Some(origin) {
        None
    } else {
        Some("Origin is not this site")
    }
}

/// Refuses state-changing requests without a valid CSRF token: the request
/// to go on with, or the refusal. Runs inside the session layer
/// ([`super::session::load_session`]), which has put the [`Visitor`] in the
/// request, so a refusal gets the same cookies and page header as any answer.
pub async fn check(state: &AppState, req: Request) -> Result<Request, Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(req);
    }
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    if let Some(reason) = cross_origin(req.headers(), authority.as_deref(), state) {
        return Err(refused(reason));
    }
    let Some(visitor) = req.extensions().get::<Visitor>().cloned() else {
        return Err(refused("no session"));
    };
    let expected = visitor.csrf_token(&state.settings.csrf_key);
    let header_token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, state.settings.form_body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => return Err(WebError::PayloadTooLarge.into_response()),
    };
    let form_token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.into_owned());
    // The header first: a JSON body is not a form, whatever it contains.
    let presented = header_token.or(form_token).unwrap_or_default();
    if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(refused(if presented.is_empty() {
            "missing token"
        } else {
            "wrong token"
        }));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
