//! The account lifecycle pages: sessions list and revocation, fresh login
//! (`/reauth`) before sensitive actions, and deleting one's own account.

use rampart_testkit::api::location;
use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

#[backend_test]
async fn sessions_page_lists_and_revokes(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let mine = app.signed_up("alice").await;
    let second = app.browser();
    second.login("alice", GOOD_PASSWORD).await;
    let third = app.browser();
    third.login("alice", GOOD_PASSWORD).await;
    let stranger = app.signed_up("mallory").await;

    let html = mine.page("/account/sessions").await;
    assert_eq!(
        html.matches("name=\"session_id\"").count(),
        3,
        "two others plus everywhere else: {html}"
    );
    assert!(
        html.contains("this session") && html.contains("IP 127.0.0.1"),
        "{html}"
    );

    // Mallory's browser session's id, as her API session lists it.
    let (_, strangers): (StatusCode, Value) = {
        let token = app.api_login("mallory", GOOD_PASSWORD).await;
        app.api().get("/me/sessions", &token).await
    };
    let stranger_id = strangers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = mine.revoke_session(&stranger_id).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "not my session");
    assert_eq!(stranger.status("/account").await, StatusCode::OK);

    let id = html
        .split("name=\"session_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let resp = mine.revoke_session(&id).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let alive = [
        second.status("/account").await,
        third.status("/account").await,
    ];
    assert_eq!(
        alive.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "exactly one other session ended"
    );

    let resp = mine.revoke_session("others").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(third.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(mine.status("/account").await, StatusCode::OK);
}

#[backend_test]
async fn sensitive_actions_need_a_fresh_login(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("bob").await;
    assert_eq!(
        browser.status("/account/password").await,
        StatusCode::OK,
        "fresh right after sign-in"
    );
    app.clock.advance(Duration::minutes(11));
    let resp = browser.get("/account/password").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"],
        "/reauth?next=%2Faccount%2Fpassword"
    );
    let resp = browser.get("/account/delete").await;
    assert_eq!(
        resp.headers()["location"],
        "/reauth?next=%2Faccount%2Fdelete"
    );
    let resp = browser
        .submit(
            "/reauth?next=%2Faccount%2Fpassword",
            "/account/password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", "x y z w v u t"),
                ("new_password_confirm", "x y z w v u t"),
            ],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "a stale POST is sent to /reauth too"
    );
    assert!(location(&resp).starts_with("/reauth"));
    assert_eq!(
        app.browser().login("bob", GOOD_PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the password did not change"
    );

    // The form as the sign-in requirement showed it, with where to go next.
    let page = "/reauth?next=%2Faccount%2Fpassword";
    let form = |password| [("password", password), ("next", "/account/password")];
    let wrong = browser
        .submit(page, "/reauth", &form("not my password"))
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = browser.submit(page, "/reauth", &form(GOOD_PASSWORD)).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        right.headers()["location"],
        "/account/password",
        "back to what they were doing"
    );
    assert_eq!(browser.status("/account/password").await, StatusCode::OK);
    let evil = browser.reauth(GOOD_PASSWORD, "//evil.example").await;
    assert_eq!(evil.headers()["location"], "/account");

    // The API asks for a recent sign-in before minting tokens.
    let token = &app.api_login("bob", GOOD_PASSWORD).await;
    app.clock.advance(Duration::minutes(11));
    let resp = app
        .api()
        .send(
            Method::POST,
            "/me/tokens",
            token,
            Some(json!({"name": "late", "scopes": ["read:me"], "expires_in_days": 1})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "reauthentication_required");
}

#[backend_test]
async fn deleting_an_account_removes_every_trace(backend: Backend) {
    // SMTP is down, so the verification mail stays queued until the deletion.
    let (app, _) = TestApp::spawn_with_dead_smtp(&backend).await;
    let browser = app.signed_up("carol").await;
    let token = &app.api_login("carol", GOOD_PASSWORD).await;
    app.api().token(token, &["read:me"]).await;
    app.browser()
        .send_form("/password/forgot", &[("email", "carol@example.com")])
        .await;
    for _ in 0..100 {
        if app
            .scalar(
                "SELECT COUNT(*) FROM outbox WHERE recipient = $1",
                "carol@example.com",
            )
            .await
            >= 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM outbox WHERE recipient = $1",
            "carol@example.com"
        )
        .await,
        2
    );

    let resp = browser.send_form("/account/delete", &[]).await;
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the box must be ticked"
    );
    let resp = browser
        .send_form("/account/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login");
    assert_eq!(browser.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(
        app.browser().login("carol", GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let api = app.api().send(Method::GET, "/me", token, None).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    for (sql, value) in [
        (
            "SELECT COUNT(*) FROM users WHERE username_key = $1 OR email_key = $1",
            "carol",
        ),
        (
            "SELECT COUNT(*) FROM users WHERE email_key = $1",
            "carol@example.com",
        ),
        (
            "SELECT COUNT(*) FROM outbox WHERE recipient = $1 OR context LIKE '%carol%'",
            "carol@example.com",
        ),
        (
            "SELECT COUNT(*) FROM one_time_tokens WHERE email = $1",
            "carol@example.com",
        ),
        (
            "SELECT COUNT(*) FROM api_tokens WHERE name LIKE $1",
            "carol%",
        ),
        (
            "SELECT COUNT(*) FROM sessions WHERE user_id NOT IN (SELECT id FROM users) OR user_id = $1",
            "",
        ),
        (
            "SELECT COUNT(*) FROM user_roles WHERE user_id NOT IN (SELECT id FROM users) OR user_id = $1",
            "",
        ),
    ] {
        assert_eq!(app.scalar(sql, value).await, 0, "{sql}");
    }
}
