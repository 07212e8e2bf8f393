//! CSRF: a state-changing request without a valid token bound to its own
//! session, or from another origin, is refused with 403 and changes nothing.

use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;

#[backend_test]
async fn logout_without_a_valid_token_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("alice").await;
    let missing = browser.post("/logout", &[]).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    rampart_testkit::assert_body(missing, "not sent by this site").await;
    let wrong = browser
        .post(
            "/logout",
            &[("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let empty = browser.post("/logout", &[("csrf_token", "")]).await;
    assert_eq!(empty.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser.status("/account").await,
        StatusCode::OK,
        "still signed in"
    );
}

#[backend_test]
async fn a_token_from_another_session_is_refused(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let victim = app.signed_up("bob").await;
    let attacker = app.signed_up("mallory").await;
    let attackers_token = attacker.csrf("/account").await;
    let resp = victim
        .post("/logout", &[("csrf_token", &attackers_token)])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(victim.status("/account").await, StatusCode::OK);
    // The victim's token from before sign-in (another session) is dead too.
    let fresh = app.browser();
    let pre_login = fresh.csrf("/login").await;
    fresh.login("bob", GOOD_PASSWORD).await;
    assert_eq!(
        fresh
            .post("/logout", &[("csrf_token", &pre_login)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[backend_test]
async fn registration_and_login_need_a_token(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    browser.get("/register").await;
    let form = [
        ("username", "carol"),
        ("email", "carol@example.com"),
        ("password", GOOD_PASSWORD),
        ("password_confirm", GOOD_PASSWORD),
    ];
    assert_eq!(
        browser.post("/register", &form).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.account_count().await, 0, "no user was created");
    // A client that never received a session cookie cannot post at all.
    let cookieless = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = cookieless
        .post(app.url("/login"))
        .form(&[("username", "x"), ("password", "y"), ("csrf_token", "z")])
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[backend_test]
async fn cross_origin_requests_are_refused(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("dave").await;
    let token = browser.csrf("/account").await;
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let resp = browser
            .client
            .post(browser.url("/logout"))
            .header(header, value)
            .form(&[("csrf_token", token.as_str())])
            .fetch()
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    let same_origin = browser
        .client
        .post(browser.url("/logout"))
        .header("origin", app.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf_token", token.as_str())])
        .fetch()
        .await;
    assert_eq!(same_origin.status(), StatusCode::SEE_OTHER);
}

/// The CSRF check runs inside the session and inside the error pages and
/// security headers: a refused form from a first-time visitor is still a
/// page in the site's frame, with the headers every page has, and still
/// leaves the visitor the pre-login cookie its next form needs (which then
/// goes through).
#[backend_test]
async fn a_refused_form_is_a_page_and_leaves_a_visitor_cookie(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("alice").await;
    let stranger = app.browser();
    let refused = stranger
        .post(
            "/login",
            &[("username", "alice"), ("password", GOOD_PASSWORD)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let headers = refused.headers().clone();
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html")),
        "{headers:?}"
    );
    crate::headers::assert_security_headers("a refused form", &headers);
    assert_eq!(
        headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let page = refused.text().await.unwrap();
    assert!(page.contains("not sent by this site"), "{page}");
    assert!(page.contains("<html"), "a whole page: {page}");
    let visitor = stranger.session_token().expect("a pre-login cookie");
    assert!(visitor.starts_with("anon."), "{visitor}");
    // With the cookie it left and the form's token, the sign-in goes through.
    let resp = stranger.login("alice", GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(stranger.status("/account").await, StatusCode::OK);
}
