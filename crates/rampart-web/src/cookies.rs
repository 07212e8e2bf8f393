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
use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::cookie::{Cookie, SameSite};
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

/// The value of the cookie `kind` the client sent: parsed as a cookie jar
/// would (each `Cookie` header split at `;`, names and values
/// percent-decoded; of two cookies of one name, the last), without
/// building one: a page request reads two cookies (#20).
fn read(settings: &WebSettings, kind: Kind, headers: &HeaderMap) -> Option<SecretString> {
    read_named(name(settings, kind), headers)
}

/// The value of the cookie named `wanted` in `headers` (see [`read`]).
fn read_named(wanted: &str, headers: &HeaderMap) -> Option<SecretString> {
    headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|piece| Cookie::parse_encoded(piece).ok())
        // The last one: looked for from the end.
        .rfind(|cookie| cookie.name() == wanted)
        .map(|cookie| SecretString::from(cookie.value().to_owned()))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum_extra::extract::cookie::CookieJar;

    /// Reading one cookie finds what a whole cookie jar finds, for what an
    /// attacker would send: the cookie twice (the last counts, as in a
    /// jar), spread over several headers, percent-encoded names and values,
    /// a name that only starts like ours, the `__Host-` name beside the
    /// plain one, stray spaces, empty pieces, and no `=`.
    #[test]
    fn a_cookie_is_read_as_a_cookie_jar_reads_it() {
        let cases: &[&[&str]] = &[
            &["rampart_session=a"],
            &["rampart_session=a; rampart_session=b"],
            &["rampart_session=a", "rampart_session=b"],
            &["rampart_session=a", "other=1; rampart_session=c; x=y"],
            &["rampart_session=a", "rampart_session=b", "x=1"],
            &["x=1", "rampart_session=middle", "y=2; z=3"],
            &["rampart%5Fsession=encoded-name"],
            &["rampart_session=anon.%41b%3D"],
            &["rampart_session_x=longer; rampart_sessio=shorter"],
            &["__Host-rampart_session=host; rampart_session=plain"],
            &["  rampart_session = spaced ;;; ; rampart_session"],
            &["rampart_session"],
            &["=rampart_session; rampart_session="],
            &["rampart_session=\"quoted\""],
            &[""],
            &[],
        ];
        for headers_sent in cases {
            let mut headers = HeaderMap::new();
            for value in *headers_sent {
                headers.append(header::COOKIE, HeaderValue::from_str(value).unwrap());
            }
            for wanted in ["rampart_session", "__Host-rampart_session"] {
                let jar = CookieJar::from_headers(&headers)
                    .get(wanted)
                    .map(|c| c.value().to_owned());
                let read = read_named(wanted, &headers).map(|v| v.expose_secret().to_owned());
                assert_eq!(read, jar, "{wanted} in {headers_sent:?}");
            }
        }
        // A header that is not text is skipped, the others still read.
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_bytes(b"rampart_session=\xff").unwrap(),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("rampart_session=ok"),
        );
        assert_eq!(
            read_named("rampart_session", &headers).map(|v| v.expose_secret().to_owned()),
            Some("ok".to_owned())
        );
    }
}
