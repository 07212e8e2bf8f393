//! Session lifetimes (driven by the manual clock), storage of token digests
//! only, and the write-behind of `last_seen`.

use rampart_testkit::api::{error_code, location};
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::time::Duration as StdDuration;
use time::Duration;

#[backend_test]
async fn idle_sessions_expire_and_activity_extends_them(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("alice").await;
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(59));
        assert_eq!(
            browser.status("/account").await,
            StatusCode::OK,
            "activity within the idle timeout keeps the session"
        );
    }
    app.clock.advance(Duration::minutes(61));
    let resp = browser.get("/account").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "the expired session is deleted"
    );
}

#[backend_test]
async fn sessions_end_at_the_absolute_timeout_however_active(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("bob").await;
    // 47 × 30 min = 23.5 h of steady activity: still signed in.
    for _ in 0..47 {
        app.clock.advance(Duration::minutes(30));
        assert_eq!(browser.status("/account").await, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        browser.status("/account").await,
        StatusCode::SEE_OTHER,
        "24 h after sign-in the session ends"
    );
}

#[backend_test]
async fn timeouts_are_configurable(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        let session = raw.session.get_or_insert_default();
        session.idle_timeout = Some("5m".into());
        session.absolute_timeout = Some("2h".into())
    })
    .await;
    let idle = app.signed_up("carol").await;
    app.clock.advance(Duration::minutes(4));
    assert_eq!(idle.status("/account").await, StatusCode::OK);
    app.clock.advance(Duration::minutes(6));
    assert_eq!(idle.status("/account").await, StatusCode::SEE_OTHER);

    let active = app.browser();
    active.login("carol", GOOD_PASSWORD).await;
    for _ in 0..29 {
        app.clock.advance(Duration::minutes(4));
        assert_eq!(active.status("/account").await, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(5));
    assert_eq!(active.status("/account").await, StatusCode::SEE_OTHER);
}

#[backend_test]
async fn only_the_token_digest_is_stored(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("dave").await;
    let token = browser.session_token().unwrap();
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            &token
        )
        .await,
        0
    );
    let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            &digest
        )
        .await,
        1
    );
    let stored = app
        .scalar(
            "SELECT COUNT(*) FROM users WHERE password_hash LIKE $1",
            "$argon2id$v=19$m=19456,t=2,p=1$%",
        )
        .await;
    assert_eq!(stored, 1, "Argon2id with the OWASP parameters");
}

#[backend_test]
async fn last_seen_is_written_behind(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("erin").await;
    let created = app.count("SELECT MIN(last_seen_at) FROM sessions").await;
    app.clock.advance(Duration::minutes(5));
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    let expected = created + 300;
    let mut seen = created;
    for _ in 0..50 {
        seen = app.count("SELECT MIN(last_seen_at) FROM sessions").await;
        if seen >= expected {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(
        seen, expected,
        "last_seen reaches the database in the next batch"
    );
    // Within the touch interval, further requests do not write again.
    app.clock.advance(Duration::seconds(20));
    browser.get("/account").await;
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert_eq!(
        app.count("SELECT MIN(last_seen_at) FROM sessions").await,
        expected
    );
}

async fn api_status(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
) -> StatusCode {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(bearer)
        .fetch()
        .await
        .status()
}

#[backend_test]
async fn ending_sessions_needs_a_fresh_sign_in(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let alice = app.signed_up("alice").await;
    let phone = app.browser();
    phone.login("alice", GOOD_PASSWORD).await;
    let api = app.api_login("alice", GOOD_PASSWORD).await;
    let pat = app.api().token(&api, &["read:me", "write:me"]).await;
    // A personal access token never re-enters a password: it cannot.
    assert_eq!(
        api_status(&app, reqwest::Method::DELETE, "/api/v1/me/sessions", &pat).await,
        StatusCode::FORBIDDEN
    );

    // Past session.fresh_for (10 minutes), the page sends to /reauth and
    // nothing ends; so does the API.
    app.clock.advance(Duration::minutes(11));
    let resp = alice.revoke_session("others").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/reauth?next="), "{resp:?}");
    assert_eq!(phone.status("/account").await, StatusCode::OK);
    let (status, body) = app.api().delete("/me/sessions", &api).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "reauthentication_required");
    assert_eq!(phone.status("/account").await, StatusCode::OK);

    // Proved again, the page ends the others.
    let page = alice.page("/reauth?next=/account/sessions").await;
    alice
        .post(
            "/reauth",
            &[
                ("password", GOOD_PASSWORD),
                ("next", "/account/sessions"),
                ("csrf_token", &csrf_from(&page).unwrap()),
            ],
        )
        .await;
    let resp = alice.revoke_session("others").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/account/sessions");
    assert_eq!(phone.status("/account").await, StatusCode::SEE_OTHER);
    // A fresh API session ends the others too.
    let fresh = app.api_login("alice", GOOD_PASSWORD).await;
    assert_eq!(
        api_status(&app, reqwest::Method::DELETE, "/api/v1/me/sessions", &fresh).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(alice.status("/account").await, StatusCode::SEE_OTHER);
}

/// True when neither the browser's session nor its remember-me cookie
/// opens the account any more (the cookie is spent by trying).
async fn signed_out(app: &TestApp, browser: &Browser) -> bool {
    let by_cookie = app.browser();
    by_cookie.set_cookie(
        "rampart_remember",
        &browser.cookie("rampart_remember").unwrap(),
    );
    !still_in(app, browser).await && by_cookie.status("/account").await != StatusCode::OK
}

/// True when the browser's session still opens the account.
async fn still_in(app: &TestApp, browser: &Browser) -> bool {
    let by_session = app.browser_with_session(&browser.session_token().unwrap());
    by_session.status("/account").await == StatusCode::OK
}

#[backend_test]
async fn an_operator_signs_everyone_out_everywhere(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let remembered = |name: &'static str| {
        let app = &app;
        async move {
            let browser = app.signed_up(name).await;
            browser.logout().await;
            browser.login_remembered(name).await;
            browser
        }
    };
    let alice = remembered("alice").await;
    let bob = remembered("bob").await;
    let carol = remembered("carol").await;
    app.make_admin("carol").await;
    let bob_api = app.api_login("bob", GOOD_PASSWORD).await;

    // One account, from the command line: Alice alone.
    let out = crate::mfa::rampart_cli(&app, &["user", "sign-out", "alice"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Signed alice out everywhere"));
    assert!(
        signed_out(&app, &alice).await,
        "alice's session and remember-me end"
    );
    assert!(still_in(&app, &bob).await, "bob is untouched");
    assert_eq!(
        app.user_events("sessions.revoked_all", "alice", "%\"by\":\"operator\"%")
            .await,
        1
    );
    assert!(still_in(&app, &bob).await);

    // Everyone, through the API: refused without users:write.
    assert_eq!(
        api_status(
            &app,
            reqwest::Method::DELETE,
            "/api/v1/admin/sessions",
            &bob_api
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert!(still_in(&app, &bob).await);
    let admin = app.api_login("carol", GOOD_PASSWORD).await;
    // A personal access token, even with the admin scope, cannot: a leaked
    // token must not throw everyone out.
    let api = rampart_testkit::api::Api::new(&app);
    let pat = api.token(&admin, &["admin"]).await;
    let everyone = |bearer: String| {
        let api = &api;
        async move {
            let (status, body) = api.delete("/admin/sessions", &bearer).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            rampart_testkit::api::error_code(&body).to_owned()
        }
    };
    assert_eq!(everyone(pat).await, "session_required");
    assert!(still_in(&app, &bob).await);
    // Nor can a session signed in long ago.
    app.clock.advance(Duration::minutes(11));
    assert_eq!(everyone(admin).await, "reauthentication_required");
    assert!(still_in(&app, &bob).await);
    let admin = app.api_login("carol", GOOD_PASSWORD).await;
    assert_eq!(
        api_status(
            &app,
            reqwest::Method::DELETE,
            "/api/v1/admin/sessions",
            &admin
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert!(signed_out(&app, &bob).await && signed_out(&app, &carol).await);
    for token in [&bob_api, &admin] {
        assert_eq!(
            api_status(&app, reqwest::Method::GET, "/api/v1/me", token).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM remember_tokens").await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'sessions.revoked_all' AND user_id IS NULL AND details LIKE '%everyone%' AND details LIKE $1",
            "%administrator carol%"
        )
        .await,
        1
    );
    // And from the command line.
    let again = app.browser();
    again.login("bob", GOOD_PASSWORD).await;
    let out = crate::mfa::rampart_cli(&app, &["user", "sign-out", "--all"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(again.status("/account").await, StatusCode::SEE_OTHER);
    let neither = crate::mfa::rampart_cli(&app, &["user", "sign-out"]);
    assert!(!neither.status.success(), "a name or --all is needed");
}

#[backend_test]
async fn a_factor_change_offers_to_end_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let alice = app.signed_up("alice").await;
    // Alone, there is nothing to offer.
    let (_secret, codes) = crate::mfa::enrol(&app, &alice).await;
    let page = alice.page("/account?changed=factor").await;
    assert!(!page.contains("id=\"sign-out-others\""), "no other session");

    let laptop = app.browser();
    laptop.login("alice", GOOD_PASSWORD).await;
    let resp = crate::mfa::answer(&laptop, &codes[0]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.status("/account").await, StatusCode::OK);
    let page = alice.page("/account").await;
    assert!(!page.contains("id=\"sign-out-others\""), "nothing changed");
    // New recovery codes are a factor change: the page offers the sign-out.
    let page = alice
        .submit("/account/mfa/totp", "/account/mfa/recovery-codes", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"sign-out-others\""), "{page}");
    // So does turning the factor off.
    let resp = alice.disable_totp(GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = location(&resp).to_owned();
    let page = alice.page(&back).await;
    assert!(page.contains("id=\"sign-out-others\""), "{back}: {page}");
    // The offer ends the laptop's session, not this one.
    let resp = alice
        .submit(
            &back,
            "/account/sessions/revoke",
            &[("session_id", "others")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(alice.status("/account").await, StatusCode::OK);
    // With no other session left, nothing is offered.
    let page = alice.page(&back).await;
    assert!(!page.contains("id=\"sign-out-others\""));
    // Turning the factor on is a change too: the page that shows the new
    // recovery codes offers to end the laptop's password-only session.
    laptop.login("alice", GOOD_PASSWORD).await;
    assert_eq!(laptop.status("/account").await, StatusCode::OK);
    let page = alice.page("/account/mfa/totp").await;
    let secret = page
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let codes = alice
        .send_form("/account/mfa/totp", &[("code", &app.totp_code(&secret, 0))])
        .await;
    assert_eq!(codes.status(), StatusCode::OK);
    let page = codes.text().await.unwrap();
    assert!(page.contains("id=\"recovery-codes\""), "{page}");
    assert!(page.contains("id=\"sign-out-others\""), "{page}");
}

/// `session.max_per_user`: a sign-in beyond the limit ends the account's
/// oldest session (browser or API alike), never the new one nor another
/// account's.
#[backend_test]
async fn the_oldest_sessions_end_at_the_per_account_limit(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.session.get_or_insert_default().max_per_user = Some(2)
    })
    .await;
    let first = app.signed_up("alice").await;
    let bob = app.signed_up("bob").await;
    app.clock.advance(Duration::seconds(5));
    let second = app.browser();
    second.login("alice", GOOD_PASSWORD).await;
    assert_eq!(first.status("/account").await, StatusCode::OK, "two fit");
    app.clock.advance(Duration::seconds(5));
    let third = app.browser();
    third.login("alice", GOOD_PASSWORD).await;
    assert_eq!(
        first.status("/account").await,
        StatusCode::SEE_OTHER,
        "the oldest ended"
    );
    assert_eq!(second.status("/account").await, StatusCode::OK);
    assert_eq!(third.status("/account").await, StatusCode::OK);
    assert_eq!(
        bob.status("/account").await,
        StatusCode::OK,
        "another account"
    );
    // An API session counts too.
    app.clock.advance(Duration::seconds(5));
    let api = app.api_login("alice", GOOD_PASSWORD).await;
    assert_eq!(second.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(third.status("/account").await, StatusCode::OK);
    assert_eq!(
        api_status(&app, reqwest::Method::GET, "/api/v1/me", &api).await,
        StatusCode::OK
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)", "alice")
            .await,
        2
    );
}
