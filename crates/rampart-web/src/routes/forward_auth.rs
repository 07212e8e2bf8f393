//! `GET /auth/verify`: forward authentication for nginx `auth_request`, Caddy
//! `forward_auth` and Traefik `ForwardAuth`.
//!
//! The caller is the session cookie (a browser session, with session
//! protection applied as on pages) or `Authorization: Bearer` with an API
//! session token or a personal access token holding the `proxy` scope. The
//! original request is read from exactly one source, `access.source`
//! ([`original`]): the other source's headers are ignored, a header sent
//! twice is refused, and nothing falls back to another header, because a
//! client can add any header its proxy does not set. The access rules then
//! decide on the path's canonical form: 200 with `Remote-User`,
//! `Remote-Email`, `Remote-Groups` and `Remote-Auth-Methods` (what the
//! session proved: `pwd,otp`, …); 401 with `Location` to the login page
//! carrying the original URL as `rd`; 401 with `Location` to `/reauth` when
//! a `two_factor` rule needs a second factor this session has not proved
//! (step-up); 403; or, for a signed-in caller whose
//! original request cannot be read, 400. Nothing changes state here, so any
//! method is accepted and no CSRF token is needed.

use crate::api::extract::caller_for;
use crate::cookies;
use crate::extract::{client_address, user_agent};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rampart_core::access::{AccessRequest, Decision, RequestSource};
use rampart_core::authn::AuthMethods;
use rampart_core::{ClientCheck, Scope, Session, SessionKind, User, client_fingerprint};
use rampart_crypto::TokenDigest;
use secrecy::ExposeSecret;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

// Header names made once, not parsed from text at each lookup: this route
// answers before every request of every protected application.
static FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");
static FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
static ORIGINAL_URL: HeaderName = HeaderName::from_static("x-original-url");
static ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");
static AUTHORIZATION: HeaderName = header::AUTHORIZATION;
static REMOTE_USER: HeaderName = HeaderName::from_static("remote-user");
static REMOTE_EMAIL: HeaderName = HeaderName::from_static("remote-email");
static REMOTE_GROUPS: HeaderName = HeaderName::from_static("remote-groups");
static REMOTE_AUTH_METHODS: HeaderName = HeaderName::from_static("remote-auth-methods");

/// The forward-auth route.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/verify", any(verify))
}

/// The original request as the proxy reports it, borrowed from its
/// headers (copied only where a value must change case).
#[derive(Debug, PartialEq, Eq)]
pub struct Original<'a> {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Host, with a port when one was given.
    pub host: &'a str,
    /// Host without port, lower case.
    pub hostname: Cow<'a, str>,
    /// Path and query as sent.
    pub uri: &'a str,
    /// Upper-case method.
    pub method: Cow<'a, str>,
}

impl Original<'_> {
    /// The original URL, `scheme://host/uri`.
    fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.uri)
    }
}

/// Why the original request cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OriginalProblem {
    /// A header the source needs is missing.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// A header came more than once.
    #[error("the {0} header was sent more than once")]
    Repeated(&'static str),
    /// A header's value is not what it should be.
    #[error("the {0} header is not valid")]
    Invalid(&'static str),
}

/// The one value of `header`: absent, or refused when repeated or not text.
fn single<'a>(
    headers: &'a HeaderMap,
    header: &'static HeaderName,
) -> Result<Option<&'a str>, OriginalProblem> {
    let name = header.as_str();
    let mut values = headers.get_all(header).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OriginalProblem::Repeated(name));
    }
    let text = first
        .to_str()
        .map_err(|_| OriginalProblem::Invalid(name))?
        .trim();
    if text.chars().any(char::is_control) {
        return Err(OriginalProblem::Invalid(name));
    }
    Ok(Some(text))
}

fn required<'a>(
    headers: &'a HeaderMap,
    header: &'static HeaderName,
) -> Result<&'a str, OriginalProblem> {
    single(headers, header)?
        .filter(|v| !v.is_empty())
        .ok_or(OriginalProblem::Missing(header.as_str()))
}

fn scheme(raw: &str, name: &'static str) -> Result<&'static str, OriginalProblem> {
    ["http", "https"]
        .into_iter()
        .find(|scheme| raw.eq_ignore_ascii_case(scheme))
        .ok_or(OriginalProblem::Invalid(name))
}

/// `text` in lower case, copied only when it has an upper-case letter.
fn lower(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// `host[:port]`: a DNS name, an IPv4 address or a bracketed IPv6 address,
/// and an optional port; returns the host without its port, lower case.
fn hostname<'a>(raw: &'a str, name: &'static str) -> Result<Cow<'a, str>, OriginalProblem> {
    let bad = || OriginalProblem::Invalid(name);
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (&raw[..inside.len() + 2], port)
    } else {
        match raw.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (raw, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err())
    {
        return Err(bad());
    }
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'[' | b']' | b':')
        })
        && url::Host::parse(host).is_ok();
    if !valid {
        return Err(bad());
    }
    Ok(lower(host.trim_end_matches('.')))
}

fn method<'a>(raw: &'a str, name: &'static str) -> Result<Cow<'a, str>, OriginalProblem> {
    let ok = !raw.is_empty() && raw.len() <= 32 && raw.bytes().all(|b| b.is_ascii_alphabetic());
    if !ok {
        return Err(OriginalProblem::Invalid(name));
    }
    Ok(if raw.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(raw.to_ascii_uppercase())
    } else {
        Cow::Borrowed(raw)
    })
}

fn target<'a>(raw: &'a str, name: &'static str) -> Result<&'a str, OriginalProblem> {
    if raw.starts_with('/') {
        Ok(raw)
    } else {
        Err(OriginalProblem::Invalid(name))
    }
}

/// Reads the original request from `source` and from nowhere else.
pub fn original(
    headers: &HeaderMap,
    source: RequestSource,
) -> Result<Original<'_>, OriginalProblem> {
    match source {
        RequestSource::Forwarded => {
            let host = required(headers, &FORWARDED_HOST)?;
            Ok(Original {
                scheme: scheme(
                    required(headers, &FORWARDED_PROTO)?,
                    FORWARDED_PROTO.as_str(),
                )?,
                hostname: hostname(host, FORWARDED_HOST.as_str())?,
                host,
                uri: target(required(headers, &FORWARDED_URI)?, FORWARDED_URI.as_str())?,
                method: method(
                    required(headers, &FORWARDED_METHOD)?,
                    FORWARDED_METHOD.as_str(),
                )?,
            })
        }
        RequestSource::OriginalUrl => {
            let url = ORIGINAL_URL.as_str();
            let raw = required(headers, &ORIGINAL_URL)?;
            // Split by hand: a URL parser would resolve dot segments, turn
            // backslashes into slashes and drop tabs before the rules see
            // the path, which is the canonicaliser's job (and refusal's).
            let (scheme_text, rest) = raw.split_once("://").ok_or(OriginalProblem::Invalid(url))?;
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (host, path) = rest.split_at(end);
            if host.contains('@') {
                return Err(OriginalProblem::Invalid(url));
            }
            let uri = if path.is_empty() {
                "/"
            } else {
                target(path, url)?
            };
            Ok(Original {
                scheme: scheme(scheme_text, url)?,
                hostname: hostname(host, url)?,
                host,
                uri,
                method: method(
                    required(headers, &ORIGINAL_METHOD)?,
                    ORIGINAL_METHOD.as_str(),
                )?,
            })
        }
    }
}

/// Who is asking, and what their session proved.
struct Caller {
    account: Account,
    /// What the session proved; nothing for a personal access token or a
    /// session used from another client (protection made it stale).
    methods: AuthMethods,
    /// A browser session, which can step up at `/reauth`.
    browser: bool,
}

/// The caller's account: a browser session's, shared with the session
/// cache rather than copied, or a bearer credential's.
enum Account {
    Session(Arc<Session>),
    Bearer(Box<User>),
}

impl Caller {
    fn user(&self) -> &User {
        match &self.account {
            Account::Session(session) => &session.user,
            Account::Bearer(user) => user,
        }
    }
}

/// The signed-in caller: a bearer credential, or the browser session
/// cookie under session protection (the client at `ip` with the headers'
/// user agent).
async fn signed_in_user(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Option<Caller>, Response> {
    let bearer = single(headers, &AUTHORIZATION)
        .ok()
        .flatten()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    if let Some(token) = bearer {
        let caller = caller_for(state, &token)
            .await
            .map_err(IntoResponse::into_response)?;
        // A personal access token passes only with the `proxy` scope.
        return Ok(caller
            .filter(|c| c.session().is_some() || c.require(Scope::Proxy).is_ok())
            .map(|c| Caller {
                methods: c.session().map_or(AuthMethods::NONE, |s| s.methods),
                account: Account::Bearer(Box::new(c.user)),
                browser: false,
            }));
    }
    let Some(token) = cookies::session_token(&state.settings, headers) else {
        return Ok(None);
    };
    if SessionKind::of_token(token.expose_secret()) != Some(SessionKind::Browser) {
        return Ok(None);
    }
    let web = |err| crate::error::WebError::from(err).into_response();
    let Some(session) = state
        .sessions
        .resolve(&TokenDigest::of(token.expose_secret()))
        .await
        .map_err(web)?
    else {
        return Ok(None);
    };
    let fingerprint = || client_fingerprint(user_agent(headers), ip);
    match state
        .sessions
        .check_client(session, fingerprint)
        .await
        .map_err(web)?
    {
        ClientCheck::Same(session) => Ok(Some(Caller {
            methods: session.methods,
            account: Account::Session(session),
            browser: true,
        })),
        ClientCheck::Stale(session) => Ok(Some(Caller {
            account: Account::Session(session),
            methods: AuthMethods::NONE,
            browser: true,
        })),
        ClientCheck::Ended => Ok(None),
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

/// 401 with `Location` to the login page, carrying the original URL as `rd`
/// when Rampart may send the browser back there.
fn sign_in_first(state: &AppState, original: Option<&Original<'_>>) -> Response {
    let mut response = text(StatusCode::UNAUTHORIZED, "sign in first");
    let mut login = state.settings.base_url.clone();
    login.set_path("/login");
    if let Some(original) = original {
        let target = original.url();
        if let Some(rd) = state.settings.redirect_target(&target) {
            login.query_pairs_mut().append_pair("rd", &rd);
        }
    }
    if let Ok(value) = HeaderValue::from_str(login.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A browser session that must prove a second factor for this rule: 401
/// with `Location` to `/reauth` (password and code), coming back to the
/// original URL, or to enrolment when the account has no second factor yet.
/// An API caller cannot step up here: 403.
async fn step_up(state: &AppState, caller: &Caller, original: &Original<'_>) -> Response {
    if !caller.browser {
        return text(StatusCode::FORBIDDEN, "a second factor is required");
    }
    let has_factor = match state.signin.has_second_factor(caller.user()).await {
        Ok(has) => has,
        Err(err) => return crate::error::WebError::from(err).into_response(),
    };
    let mut response = text(StatusCode::UNAUTHORIZED, "a second factor is required");
    let mut url = state.settings.base_url.clone();
    if has_factor {
        url.set_path("/reauth");
        let target = original.url();
        if let Some(rd) = state.settings.redirect_target(&target) {
            url.query_pairs_mut().append_pair("next", &rd);
        }
    } else {
        url.set_path(rampart_core::authn::ENROLMENT_PAGE);
    }
    if let Ok(value) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A `Remote-*` value: the text, or empty when it cannot be a header value
/// (never left out, see [`allowed`]).
fn remote_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// [`remote_value`] of text built for the answer, handed over without a copy.
fn remote_value_of(text: String) -> HeaderValue {
    HeaderValue::from_maybe_shared(Bytes::from(text))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn allowed(caller: Option<&Caller>) -> Response {
    let mut response = text(StatusCode::OK, "ok");
    // Always present, empty for an anonymous visitor on a bypass rule:
    // proxies that copy them (Caddy 2.6 substitutes a placeholder text for
    // a missing one) then overwrite whatever the client sent.
    let values = match caller {
        Some(caller) => {
            let user = caller.user();
            let mut groups = String::new();
            for role in &user.roles {
                if !groups.is_empty() {
                    groups.push(',');
                }
                groups.push_str(role.as_str());
            }
            [
                remote_value(user.username.as_str()),
                remote_value(user.email.as_str()),
                remote_value_of(groups),
                remote_value_of(caller.methods.to_list()),
            ]
        }
        None => std::array::from_fn(|_| HeaderValue::from_static("")),
    };
    let h = response.headers_mut();
    let names = [
        &REMOTE_USER,
        &REMOTE_EMAIL,
        &REMOTE_GROUPS,
        &REMOTE_AUTH_METHODS,
    ];
    for (name, value) in names.into_iter().zip(values) {
        h.insert(name.clone(), value);
    }
    response
}

/// The request is taken whole, not through extractors: a `HeaderMap`
/// extractor copies every header, and the client's address is all this
/// route needs of [`crate::extract::ClientInfo`].
async fn verify(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let headers = &parts.headers;
    let ip = client_address(&parts, &state);
    let caller = match signed_in_user(&state, headers, ip).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    // An account that must have a second factor and has none is signed in
    // only to enrol: to the applications it is not signed in (the login
    // page then sends it on to enrolment).
    let caller = match caller {
        Some(caller) => match state.signin.must_enrol(caller.user()).await {
            Ok(false) => Some(caller),
            Ok(true) => None,
            Err(err) => return crate::error::WebError::from(err).into_response(),
        },
        None => None,
    };
    let original = match original(headers, state.settings.access.source) {
        Ok(original) => original,
        Err(_) if caller.is_none() => return sign_in_first(&state, None),
        Err(problem) => {
            tracing::info!(%problem, "forward-auth: the original request cannot be read");
            return text(
                StatusCode::BAD_REQUEST,
                "the original request cannot be read",
            );
        }
    };
    let request = AccessRequest {
        host: &original.hostname,
        path: original.uri,
        method: &original.method,
        client: ip,
    };
    let decided = state
        .settings
        .access
        .decide(&request, caller.as_ref().map(|c| (c.user(), c.methods)));
    match (decided, &caller) {
        (Ok(Decision::Allow), _) => allowed(caller.as_ref()),
        (Ok(Decision::Forbidden), _) => text(StatusCode::FORBIDDEN, "forbidden"),
        (Ok(Decision::Unauthenticated), _) => sign_in_first(&state, Some(&original)),
        (Ok(Decision::StepUp), Some(caller)) => step_up(&state, caller, &original).await,
        (Ok(Decision::StepUp), None) | (Err(_), None) => sign_in_first(&state, None),
        (Err(problem), Some(_)) => {
            tracing::info!(%problem, "forward-auth: the path cannot be decided");
            text(StatusCode::BAD_REQUEST, "the path cannot be decided")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const FORWARDED: [(&str, &str); 4] = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "App.example.com:8443"),
        ("x-forwarded-uri", "/admin/x?y=1"),
        ("x-forwarded-method", "get"),
    ];

    #[test]
    fn each_source_reads_only_its_own_headers() {
        let mut pairs = FORWARDED.to_vec();
        pairs.push(("x-original-url", "https://app.example.com/public/x"));
        pairs.push(("x-original-method", "GET"));
        let h = headers(&pairs);
        let forwarded = original(&h, RequestSource::Forwarded).unwrap();
        assert_eq!(forwarded.uri, "/admin/x?y=1");
        assert_eq!(forwarded.hostname, "app.example.com");
        assert_eq!(forwarded.method, "GET");
        let by_url = original(&h, RequestSource::OriginalUrl).unwrap();
        assert_eq!(by_url.uri, "/public/x");

        // No fallback: the other source's headers never stand in.
        let only_url = headers(&[
            ("x-original-url", "https://app.example.com/public/x"),
            ("x-original-method", "GET"),
        ]);
        assert!(original(&only_url, RequestSource::Forwarded).is_err());
        assert!(original(&headers(&FORWARDED), RequestSource::OriginalUrl).is_err());
    }

    #[test]
    fn unreadable_originals_are_refused() {
        let with = |name: &'static str, value: &str| {
            let mut pairs: Vec<(&'static str, &str)> = FORWARDED
                .iter()
                .filter(|(n, _)| *n != name)
                .copied()
                .collect();
            pairs.push((name, value));
            original(&headers(&pairs), RequestSource::Forwarded).map(|_| ())
        };
        for (name, value) in [
            ("x-forwarded-host", "app.example.com:abc"),
            ("x-forwarded-host", "a b"),
            ("x-forwarded-host", "evil.com/x"),
            ("x-forwarded-host", "user@app.example.com"),
            ("x-forwarded-host", "a.example.com, b.example.com"),
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-uri", "admin"),
            ("x-forwarded-uri", "http://app/admin"),
            ("x-forwarded-method", "G T"),
            ("x-forwarded-method", ""),
        ] {
            assert!(with(name, value).is_err(), "{name}: {value:?}");
        }
        let mut twice = FORWARDED.to_vec();
        twice.push(("x-forwarded-uri", "/public"));
        assert_eq!(
            original(&headers(&twice), RequestSource::Forwarded),
            Err(OriginalProblem::Repeated("x-forwarded-uri"))
        );
        for url in [
            "https://app.example.com:abc/admin",
            "app.example.com/admin",
            "ftp://app.example.com/admin",
            "https://user@app.example.com/admin",
            "https:///admin",
        ] {
            let h = headers(&[("x-original-url", url), ("x-original-method", "GET")]);
            assert!(original(&h, RequestSource::OriginalUrl).is_err(), "{url}");
        }
        let h = headers(&[
            ("x-original-url", "https://app.example.com/public/..;/admin"),
            ("x-original-method", "GET"),
        ]);
        assert_eq!(
            original(&h, RequestSource::OriginalUrl).unwrap().uri,
            "/public/..;/admin",
            "the path is passed on as sent, for the canonicaliser"
        );
        let h = headers(&[
            ("x-original-url", "https://[::1]:8443"),
            ("x-original-method", "GET"),
        ]);
        assert_eq!(
            original(&h, RequestSource::OriginalUrl).unwrap().hostname,
            "[::1]"
        );
    }

    #[test]
    fn remote_headers_are_always_sent_and_never_carry_a_bad_value() {
        let anonymous = allowed(None);
        for name in [
            &REMOTE_USER,
            &REMOTE_EMAIL,
            &REMOTE_GROUPS,
            &REMOTE_AUTH_METHODS,
        ] {
            let values: Vec<_> = anonymous.headers().get_all(name).iter().collect();
            assert_eq!(values, [HeaderValue::from_static("")], "{name}");
        }
        // A value that cannot be a header is sent empty, not left out, so
        // a proxy still overwrites what the client sent under that name.
        assert_eq!(remote_value("eve\r\nRemote-User: admin"), "");
        assert_eq!(remote_value_of("pwd\notp".to_owned()), "");
        assert_eq!(remote_value("alice"), "alice");
        assert_eq!(remote_value_of("pwd,otp".to_owned()), "pwd,otp");
    }

    fn caller(roles: &[&str]) -> Caller {
        Caller {
            account: Account::Bearer(Box::new(User {
                id: rampart_core::UserId::new(),
                username: rampart_core::Username::parse("alice").unwrap(),
                email: rampart_core::Email::parse("alice@example.com").unwrap(),
                email_verified: true,
                roles: roles
                    .iter()
                    .map(|r| rampart_core::RoleName::from_trusted((*r).to_owned()))
                    .collect(),
                locked: false,
                must_change_password: false,
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            })),
            methods: AuthMethods::PASSWORD,
            browser: false,
        }
    }

    /// The values of `name` in `response`.
    fn values<'a>(response: &'a Response, name: &HeaderName) -> Vec<&'a HeaderValue> {
        response.headers().get_all(name).iter().collect()
    }

    #[test]
    fn a_signed_in_caller_is_passed_on_in_all_four_headers() {
        let ok = allowed(Some(&caller(&["admin", "staff"])));
        assert_eq!(values(&ok, &REMOTE_USER), ["alice"]);
        assert_eq!(values(&ok, &REMOTE_EMAIL), ["alice@example.com"]);
        assert_eq!(values(&ok, &REMOTE_GROUPS), ["admin,staff"]);
        assert_eq!(values(&ok, &REMOTE_AUTH_METHODS), ["pwd"]);
        let no_roles = allowed(Some(&caller(&[])));
        assert_eq!(values(&no_roles, &REMOTE_GROUPS), [""]);
        // A role read back from a tampered database that cannot be a header
        // value: the groups are sent empty, the other headers as they are.
        let bad = allowed(Some(&caller(&["admin\r\nRemote-User: root"])));
        assert_eq!(values(&bad, &REMOTE_GROUPS), [""]);
        assert_eq!(values(&bad, &REMOTE_USER), ["alice"]);
    }

    #[test]
    fn the_original_is_read_in_canonical_case() {
        let h = headers(&[
            ("x-forwarded-proto", "HTTPS"),
            ("x-forwarded-host", "App.Example.COM."),
            ("x-forwarded-uri", "/Admin"),
            ("x-forwarded-method", "pOsT"),
        ]);
        let found = original(&h, RequestSource::Forwarded).unwrap();
        assert_eq!(found.scheme, "https");
        assert_eq!(found.hostname, "app.example.com");
        assert_eq!(found.host, "App.Example.COM.");
        assert_eq!(
            found.uri, "/Admin",
            "the path's case is the rules' business"
        );
        assert_eq!(found.method, "POST");
        let h = headers(&[
            ("x-original-url", "HtTp://app.example.com"),
            ("x-original-method", "DELETE"),
        ]);
        let found = original(&h, RequestSource::OriginalUrl).unwrap();
        assert_eq!((found.scheme, found.uri), ("http", "/"));
        assert_eq!(found.method, "DELETE");
        // Only the two schemes, in any case; no letter that only looks
        // like one once case is folded beyond ASCII.
        for raw in ["httpx", "htt", "", "https\u{17f}", "HTTP\u{212a}", "ftp"] {
            assert_eq!(
                scheme(raw, "x"),
                Err(OriginalProblem::Invalid("x")),
                "{raw:?}"
            );
        }
        assert_eq!(scheme("hTtPs", "x"), Ok("https"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any header values: an answer or a named refusal, never a panic.
        #[test]
        fn any_header_values_are_answered(
            host in "\\PC{0,40}",
            uri in "\\PC{0,60}",
            url in "\\PC{0,80}",
            method_text in "\\PC{0,10}",
        ) {
            let mut map = HeaderMap::new();
            for (name, value) in [
                ("x-forwarded-host", &host),
                ("x-forwarded-uri", &uri),
                ("x-forwarded-proto", &"https".to_owned()),
                ("x-forwarded-method", &method_text),
                ("x-original-url", &url),
                ("x-original-method", &method_text),
            ] {
                if let Ok(value) = HeaderValue::from_str(value) {
                    map.append(name, value);
                }
            }
            for source in [RequestSource::Forwarded, RequestSource::OriginalUrl] {
                if let Ok(found) = original(&map, source) {
                    prop_assert!(found.uri.starts_with('/'));
                    prop_assert!(!found.hostname.is_empty());
                }
            }
        }
    }
}
