//! The session cookie of API.md: `rampart_session` (`__Host-` prefixed over
//! HTTPS), `HttpOnly; Path=/; SameSite=Lax`, `Secure` over HTTPS and always in
//! production. No `Max-Age`: the server decides when a session ends. With
//! `session.cookie_domain` the cookie carries `Domain` (single sign-on across
//! subdomains) and, over HTTPS, the `__Secure-` prefix instead of `__Host-`.

use crate::settings::WebSettings;
use axum::http::{HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use secrecy::{ExposeSecret, SecretString};

fn base<'a>(settings: &WebSettings, value: String) -> Cookie<'a> {
    let mut cookie = Cookie::build((settings.session_cookie_name(), value))
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

/// `Set-Cookie` value carrying a session token.
pub fn session_cookie(settings: &WebSettings, token: &SecretString) -> HeaderValue {
    let cookie = base(settings, token.expose_secret().to_owned());
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` value that deletes the session cookie.
pub fn expired_session_cookie(settings: &WebSettings) -> HeaderValue {
    let mut cookie = base(settings, String::new());
    cookie.make_removal();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token the client sent, if any.
pub fn session_token(settings: &WebSettings, headers: &HeaderMap) -> Option<SecretString> {
    CookieJar::from_headers(headers)
        .get(settings.session_cookie_name())
        .map(|c| SecretString::from(c.value().to_owned()))
}

/// The remember-me cookie's name, with the same prefix rules as the session's.
pub fn remember_cookie_name(settings: &WebSettings) -> &'static str {
    match (settings.https, settings.cookie_domain.is_some()) {
        (true, false) => "__Host-rampart_remember",
        (true, true) => "__Secure-rampart_remember",
        (false, _) => "rampart_remember",
    }
}

fn remember_base<'a>(settings: &WebSettings, value: String) -> Cookie<'a> {
    let mut cookie = Cookie::build((remember_cookie_name(settings), value))
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

/// `Set-Cookie` value carrying a remember-me token for `max_age`.
pub fn remember_cookie(
    settings: &WebSettings,
    value: &SecretString,
    max_age: time::Duration,
) -> HeaderValue {
    let mut cookie = remember_base(settings, value.expose_secret().to_owned());
    cookie.set_max_age(max_age);
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` value that deletes the remember-me cookie.
pub fn expired_remember_cookie(settings: &WebSettings) -> HeaderValue {
    let mut cookie = remember_base(settings, String::new());
    cookie.make_removal();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The remember-me value the client sent, if any.
pub fn remember_token(settings: &WebSettings, headers: &HeaderMap) -> Option<SecretString> {
    CookieJar::from_headers(headers)
        .get(remember_cookie_name(settings))
        .map(|c| SecretString::from(c.value().to_owned()))
}
