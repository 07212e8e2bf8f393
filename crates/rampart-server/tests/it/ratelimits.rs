//! Limits on mails and registrations: per e-mail address and per client
//! address, GCRA state in the database (shared by instances), 429 with
//! `Retry-After` beyond them, and the same answer for unknown addresses.

use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Client, StatusCode};
use serde_json::json;
use time::Duration;

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.browser()
        .send_form("/password/forgot", &[("email", email)])
        .await
}

#[backend_test]
async fn reset_mails_are_limited_per_address_and_client(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        let rate = raw.rate.get_or_insert_default();
        rate.mail_per_address = Some(3);
        rate.mail_per_client = Some(6)
    })
    .await;
    app.browser().sign_up("alice").await;
    // The verification mail at registration is not a request from the form.
    for _ in 0..3 {
        assert_eq!(
            forgot(&app, "alice@example.com").await.status(),
            StatusCode::OK
        );
    }
    let limited = forgot(&app, "ALICE@example.com").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait));
    // An unknown address is counted the same way: no enumeration.
    for _ in 0..3 {
        forgot(&app, "nobody@example.com").await;
    }
    assert_eq!(
        forgot(&app, "nobody@example.com").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The client's own budget (6) is spent across addresses, API included.
    let api = Client::new()
        .post(app.url("/api/v1/password-resets"))
        .json(&json!({"email": "carol@example.com"}))
        .fetch()
        .await;
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(api.headers().contains_key("retry-after"));
    // GCRA: 3 per hour sustained means one more every 20 minutes.
    app.clock.advance(Duration::minutes(21));
    assert_eq!(
        forgot(&app, "alice@example.com").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        forgot(&app, "alice@example.com").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[backend_test]
async fn registrations_are_limited_per_client(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.rate.get_or_insert_default().registrations_per_client = Some(2)
    })
    .await;
    for name in ["one", "two"] {
        let resp = app.browser().sign_up(name).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let third = app.browser().sign_up("three").await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    let api = Client::new()
        .post(app.url("/api/v1/users"))
        .json(&json!({"username": "four", "email": "four@example.com", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        2,
        "nothing was written"
    );
}

#[backend_test]
async fn two_instances_share_the_api_budget(backend: Backend) {
    let small =
        |raw: &mut rampart_server::config::RawConfig| raw.api = rampart_testkit::api_rate(1, 3);
    let first = TestApp::spawn_with(&backend, small).await;
    let url = first.database_url.clone();
    let second = TestApp::spawn_with(&backend, move |raw| {
        small(raw);
        raw.database_url = Some(url);
    })
    .await;
    let call = |app: &TestApp| Client::new().get(app.url("/api/v1/me")).send();
    for _ in 0..3 {
        assert_eq!(
            call(&first).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The second instance's own limiter has its whole burst left, but the
    // shared budget of this client is spent.
    let refused = call(&second).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
}
