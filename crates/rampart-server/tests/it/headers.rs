//! The security headers of `docs/api.md` on every response.

use rampart_testkit::{Backend, TestApp, backend_test};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderMap};

/// The headers every page carries, with their values (`path` names the
/// response in a failure).
pub(crate) fn assert_security_headers(path: &str, headers: &HeaderMap) {
    let get = |name: &str| rampart_testkit::api::header(headers, name);
    let csp = get(CONTENT_SECURITY_POLICY.as_str());
    assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert_eq!(get("x-frame-options"), "DENY", "{path}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
    assert_eq!(get("referrer-policy"), "same-origin", "{path}");
    assert!(headers.get("server").is_none(), "{path}: no version banner");
}

#[backend_test]
async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("alice").await;
    for path in [
        "/login",
        "/register",
        "/account",
        "/healthz",
        "/static/rampart.css",
        "/no-such-page",
    ] {
        let resp = browser.get(path).await;
        assert_security_headers(path, resp.headers());
    }
    let account = browser.get("/account").await;
    assert_eq!(account.headers().get(CACHE_CONTROL).unwrap(), "no-store");
    let login = browser.get("/login").await;
    assert_eq!(login.headers().get(CACHE_CONTROL).unwrap(), "no-store");
    let refused = browser.post("/logout", &[]).await;
    assert_security_headers("403", refused.headers());
    assert!(
        browser
            .get("/account")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none(),
        "no HSTS over plain HTTP"
    );
}

#[backend_test]
async fn hsts_only_over_https(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| raw.behind_tls_proxy = Some(true)).await;
    let resp = app.browser().get("/login").await;
    let hsts = resp
        .headers()
        .get("strict-transport-security")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age=31536000"), "{hsts}");
}
