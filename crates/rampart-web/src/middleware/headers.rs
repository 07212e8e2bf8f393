//! Security headers on every response (listed in `docs/api.md`): a strict CSP without
//! `unsafe-inline` (the one script, `static/passkey.js`, is served by Rampart
//! itself and runs no inline code), frame denial,
//! nosniff, a same-origin referrer policy, HSTS over HTTPS, and
//! `Cache-Control: no-store` unless a route chose its own caching (only
//! static assets do). axum sends no `Server` banner.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use tower::util::MapResponseLayer;

const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The layer that adds the security headers to every response; HSTS when
/// the site is served over `https`. It only maps the response on its way
/// out, so it does not clone the services below it.
pub fn layer(
    https: bool,
) -> MapResponseLayer<impl Fn(Response) -> Response + Clone + Send + Sync + 'static> {
    MapResponseLayer::new(move |response| secure(response, https))
}

/// `response` with the security headers added.
fn secure(mut response: Response, https: bool) -> Response {
    let headers = response.headers_mut();
    // Room for all of them at once, rather than growing the map twice.
    headers.reserve(8);
    let fixed: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
