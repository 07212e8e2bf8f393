//! Brute-force defence: progressive lock-out of a login name per network,
//! the same 429 even for the right password, never for ever, lifted by an
//! operator's unlock, and not spreading to the same name from elsewhere.

use rampart_server::config::StringList;
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

#[backend_test]
async fn two_instances_on_one_database_share_a_lock_out(backend: Backend) {
    let first = TestApp::spawn(&backend).await;
    let url = first.database_url.clone();
    let second = TestApp::spawn_with(&backend, move |raw| raw.database_url = Some(url)).await;
    first.browser().sign_up("alice").await;
    // Failures spread over both instances add up.
    for n in 0..5 {
        let app = if n % 2 == 0 { &first } else { &second };
        let resp = attempt(app, &app.browser(), "alice", "wrong guess 1", None).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    for app in [&first, &second] {
        let locked = attempt(app, &app.browser(), "alice", GOOD_PASSWORD, None).await;
        assert_eq!(
            locked.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "both instances refuse"
        );
        assert!(locked.headers().contains_key("retry-after"));
    }
    // An unlock on one instance lifts it on the other.
    first
        .unlock("alice", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    let resp = attempt(&second, &second.browser(), "alice", GOOD_PASSWORD, None).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

async fn attempt(
    app: &TestApp,
    browser: &rampart_testkit::Browser,
    login: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let token = csrf_from(&browser.page("/login").await).unwrap();
    let mut req = browser.client.post(app.url("/login")).form(&[
        ("username", login),
        ("password", password),
        ("csrf_token", &token),
    ]);
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.fetch().await
}

#[backend_test]
async fn failures_lock_progressively_and_never_for_ever(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("alice").await;
    let browser = app.browser();
    for _ in 0..4 {
        assert_eq!(
            attempt(&app, &browser, "alice", "wrong guess 1", None)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The fifth failure locks for 30 s.
    assert_eq!(
        attempt(&app, &browser, "alice", "wrong guess 1", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let locked = attempt(&app, &browser, "alice", GOOD_PASSWORD, None).await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password is refused"
    );
    assert_eq!(locked.headers()["retry-after"], "30");
    let unknown = app.browser();
    for _ in 0..5 {
        attempt(&app, &unknown, "nobody-at-all", "wrong guess 1", None).await;
    }
    let resp = attempt(&app, &unknown, "nobody-at-all", "wrong guess 1", None).await;
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "unknown names lock the same way: no enumeration"
    );

    app.clock.advance(Duration::seconds(31));
    assert_eq!(
        attempt(&app, &browser, "alice", "wrong guess 2", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = attempt(&app, &browser, "alice", GOOD_PASSWORD, None).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        resp.headers()["retry-after"],
        "60",
        "each further failure doubles the wait"
    );
    for _ in 0..12 {
        app.clock.advance(Duration::hours(2));
        attempt(&app, &browser, "alice", "wrong guess 3", None).await;
    }
    let resp = attempt(&app, &browser, "alice", GOOD_PASSWORD, None).await;
    assert_eq!(resp.headers()["retry-after"], "3600", "capped at one hour");
    app.clock.advance(Duration::seconds(3601));
    assert_eq!(
        attempt(&app, &browser, "alice", GOOD_PASSWORD, None)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "never for ever"
    );

    for _ in 0..6 {
        attempt(&app, &browser, "alice", "wrong guess 4", None).await;
    }
    assert_eq!(
        attempt(&app, &browser, "alice", GOOD_PASSWORD, None)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.unlock("alice", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    assert_eq!(
        attempt(&app, &browser, "alice", GOOD_PASSWORD, None)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "an operator's unlock lifts it"
    );
}

#[backend_test]
async fn a_lock_from_one_network_spares_others(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()))
    })
    .await;
    app.browser().sign_up("bob").await;
    let attacker = app.browser();
    for _ in 0..6 {
        attempt(
            &app,
            &attacker,
            "bob",
            "wrong guess 1",
            Some("198.51.100.7"),
        )
        .await;
    }
    assert_eq!(
        attempt(&app, &attacker, "bob", GOOD_PASSWORD, Some("198.51.100.7"))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let owner = app.browser();
    let resp = attempt(&app, &owner, "bob", GOOD_PASSWORD, Some("203.0.113.20")).await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "the owner elsewhere still signs in"
    );

    // One address trying many names is slowed down too.
    let sprayer = app.browser();
    for n in 0..50 {
        attempt(
            &app,
            &sprayer,
            &format!("user{n}"),
            "Summer2024!",
            Some("192.0.2.99"),
        )
        .await;
    }
    let resp = attempt(
        &app,
        &sprayer,
        "someone-new",
        "Summer2024!",
        Some("192.0.2.99"),
    )
    .await;
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "password spraying from one address"
    );
}

#[backend_test]
async fn json_sign_in_is_locked_too(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let client = reqwest::Client::new();
    client
        .post(app.url("/api/v1/users"))
        .json(
            &json!({"username": "carol", "email": "carol@example.com", "password": GOOD_PASSWORD}),
        )
        .fetch()
        .await;
    for _ in 0..5 {
        let resp = client
            .post(app.url("/api/v1/sessions"))
            .json(&json!({"username": "carol", "password": "nope nope nope"}))
            .fetch()
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"username": "carol", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "30");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}
