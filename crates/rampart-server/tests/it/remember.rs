//! Remember-me: asked for or absent, rotating on every use, and a replayed
//! old value signing nobody in and ending the whole series.

use rampart_testkit::api::location;
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Method, StatusCode};
use time::Duration;

fn set_cookie_named(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// A browser holding nothing but a remember-me cookie.
fn fresh_browser_with(app: &TestApp, remember: &str) -> Browser {
    let browser = app.browser();
    browser.set_cookie("rampart_remember", remember);
    browser
}

/// What `/account` answers a browser holding only the remember-me cookie.
async fn account_with(app: &TestApp, remember: &str) -> StatusCode {
    fresh_browser_with(app, remember)
        .get("/account")
        .await
        .status()
}

#[backend_test]
async fn remember_me_only_when_asked_and_rotates(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("alice").await;
    let plain = app.browser();
    let resp = plain.login("alice", GOOD_PASSWORD).await;
    assert!(
        set_cookie_named(&resp, "rampart_remember").is_none(),
        "no cookie unless asked"
    );

    let browser = app.browser();
    let resp = browser.login_remembered("alice").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie_named(&resp, "rampart_remember").expect("remember-me cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    let first = browser.cookie("rampart_remember").unwrap();
    let stored = app
        .scalar(
            "SELECT COUNT(*) FROM remember_tokens WHERE validator_hash LIKE $1",
            &format!("%{}%", first.split('.').nth(1).unwrap()),
        )
        .await;
    assert_eq!(stored, 0, "the validator is stored hashed only");

    // A new browser with only that cookie is signed in, and the cookie rotates.
    let elsewhere = fresh_browser_with(&app, &first);
    let resp = elsewhere.get("/account").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Hello, alice"));
    let second = elsewhere.cookie("rampart_remember").unwrap();
    assert_ne!(first, second, "the value changes after use");
    assert!(
        elsewhere
            .session_token()
            .is_some_and(|t| !t.starts_with("anon.")),
        "a real session was created"
    );

    // When that session ends, the rotated cookie signs in again.
    app.clock.advance(Duration::hours(2));
    let again = fresh_browser_with(&app, &second);
    assert_eq!(again.status("/account").await, StatusCode::OK);
    // After 14 days nothing is remembered.
    let third = again.cookie("rampart_remember").unwrap();
    app.clock.advance(Duration::days(15));
    assert_eq!(account_with(&app, &third).await, StatusCode::SEE_OTHER);
}

#[backend_test]
async fn a_replayed_cookie_ends_the_series_and_mails_the_owner(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    app.browser().sign_up("bob").await;
    let victim = app.browser();
    victim.login_remembered("bob").await;
    let stolen = victim.cookie("rampart_remember").unwrap();

    // The victim's browser uses it after its session ended: it rotates.
    app.clock.advance(Duration::hours(2));
    let victim_later = fresh_browser_with(&app, &stolen);
    assert_eq!(victim_later.status("/account").await, StatusCode::OK);
    let rotated = victim_later.cookie("rampart_remember").unwrap();

    // A parallel request of the same browser, within seconds of the rotation,
    // is only refused: the series survives.
    let parallel = fresh_browser_with(&app, &stolen);
    assert_eq!(parallel.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM remember_tokens WHERE rotated_at IS NULL")
            .await,
        1,
        "the series is still alive"
    );

    // The thief replays the old value.
    app.clock.advance(Duration::seconds(30));
    let thief = fresh_browser_with(&app, &stolen);
    let resp = thief.get("/account").await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "a replayed value signs nobody in"
    );
    assert!(
        set_cookie_named(&resp, "rampart_remember").is_some_and(|c| c.contains("Max-Age=0")),
        "and is cleared"
    );

    // The whole series is gone: the victim's current value no longer works either.
    app.clock.advance(Duration::hours(2));
    assert_eq!(account_with(&app, &rotated).await, StatusCode::SEE_OTHER);
    let mail = sink
        .wait_for_subject("A copy of your sign-in cookie was used")
        .await;
    assert!(mail.contains("To: bob@example.com"));
}

#[backend_test]
async fn logout_and_password_change_revoke_remember_me(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("carol").await;
    let browser = app.browser();
    browser.login_remembered("carol").await;
    let cookie = browser.cookie("rampart_remember").unwrap();
    let resp = browser.logout().await;
    assert!(set_cookie_named(&resp, "rampart_remember").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(
        account_with(&app, &cookie).await,
        StatusCode::SEE_OTHER,
        "logout revoked the series"
    );

    let other = app.browser();
    other.login_remembered("carol").await;
    let remembered = other.cookie("rampart_remember").unwrap();
    let changer = app.browser();
    changer.login("carol", GOOD_PASSWORD).await;
    let resp = changer
        .change_password(GOOD_PASSWORD, "a fresh phrase 777")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        account_with(&app, &remembered).await,
        StatusCode::SEE_OTHER,
        "a password change revokes remember-me"
    );
}

#[backend_test]
async fn a_series_ends_on_time_however_often_it_is_used(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("cleo").await;
    let browser = app.browser();
    browser.login_remembered("cleo").await;
    let mut cookie = browser.cookie("rampart_remember").unwrap();
    // Used every day (each time after the session ended): each rotation
    // keeps the series' end, 14 days after the first sign-in.
    for day in 1..=13 {
        app.clock.advance(Duration::days(1));
        let daily = fresh_browser_with(&app, &cookie);
        let resp = daily.get("/account").await;
        assert_eq!(resp.status(), StatusCode::OK, "day {day}");
        let set = set_cookie_named(&resp, "rampart_remember").unwrap();
        let left = (14 - day) * 86_400;
        let max_age: i64 = set
            .split("Max-Age=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap();
        assert!(
            (left - 2..=left).contains(&max_age),
            "day {day}: the cookie lives {left} s more (whole seconds): {set}"
        );
        cookie = daily.cookie("rampart_remember").unwrap();
    }
    app.clock.advance(Duration::days(1) + Duration::seconds(1));
    assert_eq!(
        account_with(&app, &cookie).await,
        StatusCode::SEE_OTHER,
        "14 days after the first sign-in the series has ended"
    );
}

#[backend_test]
async fn a_restored_session_is_not_fresh(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("dora").await;
    let browser = app.browser();
    browser.login_remembered("dora").await;
    let cookie = browser.cookie("rampart_remember").unwrap();
    app.clock.advance(Duration::hours(2));
    let restored = fresh_browser_with(&app, &cookie);
    assert_eq!(restored.status("/account").await, StatusCode::OK);
    let resp = restored.get("/account/password").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&resp).starts_with("/reauth"),
        "a sensitive page asks for the password first"
    );
    let events = app.events("login.succeeded", "%remember_me%").await;
    assert_eq!(events, 1, "the restored sign-in is audited");
}

#[backend_test]
async fn turning_on_a_second_factor_ends_every_series(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("erik").await;
    let other = app.browser();
    other.login_remembered("erik").await;
    let cookie = other.cookie("rampart_remember").unwrap();
    // Turn on TOTP through the API (a fresh API session).
    let token = app.api_login("erik", GOOD_PASSWORD).await;
    let client = reqwest::Client::new();
    let begun: serde_json::Value = client
        .post(app.url("/api/v1/me/mfa/totp"))
        .bearer_auth(&token)
        .fetch_json()
        .await;
    let secret = begun["secret"].as_str().unwrap();
    let code = app.totp_code(secret, 0);
    let resp = app
        .api()
        .send(
            Method::POST,
            "/me/mfa/totp/confirm",
            &token,
            Some(serde_json::json!({"code": code})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.clock.advance(Duration::hours(2));
    assert_eq!(
        account_with(&app, &cookie).await,
        StatusCode::SEE_OTHER,
        "a password-only series no longer signs in"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM remember_tokens").await, 0);
}

#[backend_test]
async fn theft_ends_the_sessions_the_series_started(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("finn").await;
    let owner = app.browser();
    owner.login_remembered("finn").await;
    let stolen = owner.cookie("rampart_remember").unwrap();
    let elsewhere = app.browser();
    elsewhere.login("finn", GOOD_PASSWORD).await;

    // The thief uses the copy first: the series rotates, a session starts.
    app.clock.advance(Duration::hours(2));
    let thief = fresh_browser_with(&app, &stolen);
    assert_eq!(thief.status("/account").await, StatusCode::OK);
    let thief_session = thief.session_token().unwrap();
    // The owner's browser presents the (now used) value: theft.
    app.clock.advance(Duration::seconds(30));
    let owner_again = fresh_browser_with(&app, &stolen);
    assert_eq!(owner_again.status("/account").await, StatusCode::SEE_OTHER);
    let replay = app.browser_with_session(&thief_session);
    assert_eq!(
        replay.status("/account").await,
        StatusCode::SEE_OTHER,
        "the session the stolen series started has ended"
    );
    let _ = elsewhere;
}

/// Ending sessions ends the remember-me series that would sign the same
/// browsers in again: "sign out your other sessions", an operator ending an
/// account's sessions, and a lock (which an unlock does not undo).
#[backend_test]
async fn ending_sessions_ends_their_remember_me_series(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("alice").await;
    let remembered = || async {
        let browser = app.browser();
        browser.login_remembered("alice").await;
        browser.cookie("rampart_remember").unwrap()
    };
    // The owner signs out the other sessions.
    let laptop = remembered().await;
    let here = app.browser();
    here.login("alice", GOOD_PASSWORD).await;
    let resp = here.revoke_session("others").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(account_with(&app, &laptop).await, StatusCode::SEE_OTHER);
    assert_eq!(here.status("/account").await, StatusCode::OK);
    // Ending one session by its id ends the series it came with.
    let tablet = remembered().await;
    let api = app.api_login("alice", GOOD_PASSWORD).await;
    let (_, sessions) = app.api().get("/me/sessions", &api).await;
    for session in sessions.as_array().unwrap() {
        if session["current"] == false {
            let id = session["id"].as_str().unwrap();
            let status = reqwest::Client::new()
                .delete(app.url(&format!("/api/v1/me/sessions/{id}")))
                .bearer_auth(&api)
                .fetch()
                .await
                .status();
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
    }
    assert_eq!(account_with(&app, &tablet).await, StatusCode::SEE_OTHER);
    // An operator ends them.
    let phone = remembered().await;
    let out = crate::mfa::rampart_cli(&app, &["user", "lock", "alice"]);
    assert!(out.status.success(), "{out:?}");
    let out = crate::mfa::rampart_cli(&app, &["user", "unlock", "alice"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        account_with(&app, &phone).await,
        StatusCode::SEE_OTHER,
        "an unlock does not bring the cookie back"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM remember_tokens").await, 0);
}
