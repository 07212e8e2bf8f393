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
