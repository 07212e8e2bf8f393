//! Session protection: the same session cookie from another client (user
//! agent here) ends the session under `strong`, and under `basic` keeps it
//! but asks for the password before sensitive actions.

use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;

async fn from_other_client(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .user_agent("SomeOtherBrowser/1.0")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", format!("rampart_session={token}"))
        .fetch()
        .await
}

/// The application with `session.protection = level`.
async fn with_protection(backend: &Backend, level: &'static str) -> TestApp {
    TestApp::spawn_with(backend, |raw| {
        raw.session.get_or_insert_default().protection = Some(level.into())
    })
    .await
}

#[backend_test]
async fn strong_protection_ends_a_moved_session(backend: Backend) {
    let app = with_protection(&backend, "strong").await;
    let browser = app.signed_up("alice").await;
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    let token = browser.session_token().unwrap();
    let resp = from_other_client(&app, "/account", &token).await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "another client is not signed in"
    );
    assert_eq!(
        browser.status("/account").await,
        StatusCode::SEE_OTHER,
        "the session ended"
    );
}

#[backend_test]
async fn basic_protection_asks_for_the_password_again(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("bob").await;
    let token = browser.session_token().unwrap();
    assert_eq!(
        browser.status("/account/password").await,
        StatusCode::OK,
        "fresh"
    );
    let resp = from_other_client(&app, "/account", &token).await;
    assert_eq!(resp.status(), StatusCode::OK, "basic keeps the session");
    let resp = from_other_client(&app, "/account/password", &token).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"],
        "/reauth?next=%2Faccount%2Fpassword",
        "but asks for the password"
    );
    assert_eq!(
        browser.status("/account/password").await,
        StatusCode::SEE_OTHER,
        "the session as a whole is no longer fresh"
    );
    let resp = browser.reauth(GOOD_PASSWORD, "/account/password").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.status("/account/password").await, StatusCode::OK);

    let off = with_protection(&backend, "off").await;
    let browser = off.signed_up("carol").await;
    let token = browser.session_token().unwrap();
    assert_eq!(
        from_other_client(&off, "/account/password", &token)
            .await
            .status(),
        StatusCode::OK,
        "off: nothing happens"
    );
}
