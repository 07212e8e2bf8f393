//! `GET /auth/verify`: forward authentication for nginx `auth_request`, Caddy
//! `forward_auth` and Traefik `ForwardAuth`.
//!
//! The proxy describes the original request in `X-Forwarded-Method`,
//! `-Proto`, `-Host`, `-Uri` (or `X-Original-URL`); the caller is the session
//! cookie or an `Authorization: Bearer` session token or personal access
//! token. The access rules decide: 200 with `Remote-User`, `Remote-Email` and
//! `Remote-Groups`; 401 with `Location` to the login page carrying the
//! original URL as `rd`; or 403. Nothing changes state here, so any method is
//! accepted and no CSRF token is needed.

use crate::api::extract::caller_for;
use crate::cookies;
use crate::extract::ClientInfo;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rampart_core::User;
use rampart_core::access::{AccessRequest, Decision};
use rampart_crypto::TokenDigest;
use rampart_crypto::token::looks_like_token;
use secrecy::ExposeSecret;

/// The forward-auth route.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/verify", any(verify))
}

/// The original request as the proxy reports it.
struct Original {
    scheme: String,
    host: String,
    uri: String,
    method: String,
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn original(headers: &HeaderMap) -> Original {
    let method = header_text(headers, "x-forwarded-method")
        .unwrap_or("GET")
        .to_ascii_uppercase();
    if let Some(url) = header_text(headers, "x-original-url").and_then(|u| url::Url::parse(u).ok())
    {
        let mut uri = url.path().to_owned();
        if let Some(q) = url.query() {
            uri.push('?');
            uri.push_str(q);
        }
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        return Original {
            scheme: url.scheme().to_owned(),
            host,
            uri,
            method,
        };
    }
    Original {
        scheme: header_text(headers, "x-forwarded-proto")
            .unwrap_or("http")
            .to_ascii_lowercase(),
        host: header_text(headers, "x-forwarded-host")
            .or_else(|| header_text(headers, header::HOST.as_str()))
            .unwrap_or_default()
            .to_owned(),
        uri: header_text(headers, "x-forwarded-uri")
            .unwrap_or("/")
            .to_owned(),
        method,
    }
}

async fn signed_in_user(state: &AppState, headers: &HeaderMap) -> Result<Option<User>, Response> {
    let bearer = header_text(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    if let Some(token) = bearer {
        let caller = caller_for(state, &token)
            .await
            .map_err(IntoResponse::into_response)?;
        return Ok(caller.map(|c| c.user));
    }
    let Some(token) = cookies::session_token(&state.settings, headers) else {
        return Ok(None);
    };
    if !looks_like_token(token.expose_secret()) {
        return Ok(None);
    }
    match state
        .sessions
        .resolve(&TokenDigest::of(token.expose_secret()))
        .await
    {
        Ok(session) => Ok(session.map(|s| s.user.clone())),
        Err(err) => Err(crate::error::WebError::from(err).into_response()),
    }
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn verify(State(state): State<AppState>, client: ClientInfo, headers: HeaderMap) -> Response {
    let original = original(&headers);
    let host = original
        .host
        .rsplit_once(':')
        .filter(|(_, port)| port.parse::<u16>().is_ok())
        .map_or(original.host.as_str(), |(h, _)| h);
    let user = match signed_in_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let request = AccessRequest {
        host,
        path: &original.uri,
        method: &original.method,
        client: client.ip,
    };
    match state.settings.access.decide(&request, user.as_ref()) {
        Decision::Allow => {
            let mut response = text(StatusCode::OK, "ok");
            // Always present, empty for an anonymous visitor on a bypass rule:
            // proxies that copy them (Caddy 2.6 substitutes a placeholder
            // text for a missing one) then overwrite whatever the client sent.
            let (name, email, groups) = match &user {
                Some(user) => {
                    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
                    (
                        user.username.as_str().to_owned(),
                        user.email.as_str().to_owned(),
                        roles.join(","),
                    )
                }
                None => (String::new(), String::new(), String::new()),
            };
            let h = response.headers_mut();
            for (header_name, value) in [
                ("remote-user", name),
                ("remote-email", email),
                ("remote-groups", groups),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    h.insert(header_name, value);
                }
            }
            response
        }
        Decision::Forbidden => text(StatusCode::FORBIDDEN, "forbidden"),
        Decision::Unauthenticated => {
            let mut response = text(StatusCode::UNAUTHORIZED, "sign in first");
            let target = format!("{}://{}{}", original.scheme, original.host, original.uri);
            let mut login = state.settings.base_url.clone();
            login.set_path("/login");
            let allowed =
                url::Url::parse(&target).is_ok_and(|u| state.settings.allows_redirect_to(&u));
            if allowed {
                login.query_pairs_mut().append_pair("rd", &target);
            }
            if let Ok(value) = HeaderValue::from_str(login.as_str()) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
    }
}
