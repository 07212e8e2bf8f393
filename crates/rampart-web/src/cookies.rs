//! The cookies of `docs/api.md`: the session cookie `rampart_session` and the
//! remember-me cookie `rampart_remember`, both `HttpOnly; Path=/;
//! SameSite=Lax`, `Secure` over HTTPS and always in production, `__Host-`
//! prefixed over HTTPS. The session cookie has no `Max-Age` (the server decides
//! when a session ends); the remember-me cookie lives `session.remember_for`.
//! With `session.cookie_domain` both carry `Domain` (single sign-on across
//! subdomains) and, over HTTPS, the `__Secure-` prefix instead of `__Host-`
//! (which forbids `Domain`). The "remember this device" cookie
//! `rampart_trusted` (second factor skipped on this browser) has the same
//! attributes and lives `mfa.remember_device_for`; the known-device cookie
//! `rampart_device` (exempt from the account-wide lock-out) is set at every
//! complete sign-in and lives a year.

use crate::settings::WebSettings;
use axum::http::{HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use secrecy::{ExposeSecret, SecretString};

/// Which of Rampart's cookies.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Session,
    Remember,
    Trusted,
    Known,
}

fn name(settings: &WebSettings, kind: Kind) -> &'static str {
    match (kind, settings.https, settings.cookie_domain.is_some()) {
        (Kind::Session, true, false) => "__Host-rampart_session",
        (Kind::Session, true, true) => "__Secure-rampart_session",
        (Kind::Session, false, _) => "rampart_session",
        (Kind::Remember, true, false) => "__Host-rampart_remember",
        (Kind::Remember, true, true) => "__Secure-rampart_remember",
        (Kind::Remember, false, _) => "rampart_remember",
        (Kind::Trusted, true, false) => "__Host-rampart_trusted",
        (Kind::Trusted, true, true) => "__Secure-rampart_trusted",
        (Kind::Trusted, false, _) => "rampart_trusted",
        (Kind::Known, true, false) => "__Host-rampart_device",
        (Kind::Known, true, true) => "__Host-rampart_device",
        (Kind::Known, false, _) => "rampart_device",
    }
}

fn build<'a>(settings: &WebSettings, kind: Kind, value: String) -> Cookie<'a> {
    let mut cookie = Cookie::build((name(settings, kind), value))
        .http_only(true)
        .path("/")
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies())
        .build();
    if let Some(domain) = &settings.cookie_domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

fn header(cookie: Cookie<'_>) -> HeaderValue {
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn removal(settings: &WebSettings, kind: Kind) -> HeaderValue {
    let mut cookie = build(settings, kind, String::new());
    cookie.make_removal();
    header(cookie)
}

fn read(settings: &WebSettings, kind: Kind, headers: &HeaderMap) -> Option<SecretString> {
    CookieJar::from_headers(headers)
        .get(name(settings, kind))
        .map(|c| SecretString::from(c.value().to_owned()))
}

/// `Set-Cookie` value carrying a session token.
pub fn session_cookie(settings: &WebSettings, token: &SecretString) -> HeaderValue {
    header(build(
        settings,
        Kind::Session,
        token.expose_secret().to_owned(),
    ))
}

/// `Set-Cookie` value that deletes the session cookie.
pub fn expired_session_cookie(settings: &WebSettings) -> HeaderValue {
    removal(settings, Kind::Session)
}

/// The session token the client sent, if any.
pub fn session_token(settings: &WebSettings, headers: &HeaderMap) -> Option<SecretString> {
    read(settings, Kind::Session, headers)
}

fn lasting(
    settings: &WebSettings,
    kind: Kind,
    value: &SecretString,
    max_age: time::Duration,
) -> HeaderValue {
    let mut cookie = build(settings, kind, value.expose_secret().to_owned());
    if matches!(kind, Kind::Known) {
        // Host-only: a known device is this site's, not every subdomain's.
        cookie.unset_domain();
    }
    cookie.set_max_age(max_age);
    header(cookie)
}

/// `Set-Cookie` value carrying a remember-me token for `max_age`.
pub fn remember_cookie(
    settings: &WebSettings,
    value: &SecretString,
    max_age: time::Duration,
) -> HeaderValue {
    lasting(settings, Kind::Remember, value, max_age)
}

/// `Set-Cookie` value carrying a trusted-device mark for `max_age`.
pub fn device_cookie(
    settings: &WebSettings,
    value: &SecretString,
    max_age: time::Duration,
) -> HeaderValue {
    lasting(settings, Kind::Trusted, value, max_age)
}

/// `Set-Cookie` value carrying a known-device mark for `max_age`.
pub fn known_device_cookie(
    settings: &WebSettings,
    value: &SecretString,
    max_age: time::Duration,
) -> HeaderValue {
    lasting(settings, Kind::Known, value, max_age)
}

/// The known-device value the client sent, if any.
pub fn known_device_token(settings: &WebSettings, headers: &HeaderMap) -> Option<SecretString> {
    read(settings, Kind::Known, headers)
}

/// The trusted-device value the client sent, if any.
pub fn device_token(settings: &WebSettings, headers: &HeaderMap) -> Option<SecretString> {
    read(settings, Kind::Trusted, headers)
}

/// `Set-Cookie` value that deletes the remember-me cookie.
pub fn expired_remember_cookie(settings: &WebSettings) -> HeaderValue {
    removal(settings, Kind::Remember)
}

/// The remember-me value the client sent, if any.
pub fn remember_token(settings: &WebSettings, headers: &HeaderMap) -> Option<SecretString> {
    read(settings, Kind::Remember, headers)
}
