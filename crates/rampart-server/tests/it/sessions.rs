//! Session lifetimes (driven by the manual clock), storage of token digests
//! only, and the write-behind of `last_seen`.

use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::time::Duration as StdDuration;
use time::Duration;

backend_tests!(
    idle_sessions_expire_and_activity_extends_them,
    sessions_end_at_the_absolute_timeout_however_active,
    timeouts_are_configurable,
    only_the_token_digest_is_stored,
    last_seen_is_written_behind,
);

async fn idle_sessions_expire_and_activity_extends_them(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    browser
        .register("alice", "alice@example.com", GOOD_PASSWORD)
        .await;
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(59));
        assert_eq!(
            browser.get("/account").await.status(),
            StatusCode::OK,
            "activity within the idle timeout keeps the session"
        );
    }
    app.clock.advance(Duration::minutes(61));
    let resp = browser.get("/account").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE id <> $1", "")
            .await,
        0,
        "the expired session is deleted"
    );
}

async fn sessions_end_at_the_absolute_timeout_however_active(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    browser
        .register("bob", "bob@example.com", GOOD_PASSWORD)
        .await;
    // 47 × 30 min = 23.5 h of steady activity: still signed in.
    for _ in 0..47 {
        app.clock.advance(Duration::minutes(30));
        assert_eq!(browser.get("/account").await.status(), StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        browser.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "24 h after sign-in the session ends"
    );
}

async fn timeouts_are_configurable(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.session = Some(rampart_server::config::RawSession {
            idle_timeout: Some("5m".into()),
            absolute_timeout: Some("2h".into()),
            ..Default::default()
        })
    })
    .await;
    let idle = app.browser();
    idle.register("carol", "carol@example.com", GOOD_PASSWORD)
        .await;
    app.clock.advance(Duration::minutes(4));
    assert_eq!(idle.get("/account").await.status(), StatusCode::OK);
    app.clock.advance(Duration::minutes(6));
    assert_eq!(idle.get("/account").await.status(), StatusCode::SEE_OTHER);

    let active = app.browser();
    active.login("carol", GOOD_PASSWORD).await;
    for _ in 0..29 {
        app.clock.advance(Duration::minutes(4));
        assert_eq!(active.get("/account").await.status(), StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(5));
    assert_eq!(active.get("/account").await.status(), StatusCode::SEE_OTHER);
}

async fn only_the_token_digest_is_stored(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    browser
        .register("dave", "dave@example.com", GOOD_PASSWORD)
        .await;
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

async fn last_seen_is_written_behind(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    browser
        .register("erin", "erin@example.com", GOOD_PASSWORD)
        .await;
    let created = app
        .scalar("SELECT MIN(last_seen_at) FROM sessions WHERE id <> $1", "")
        .await;
    app.clock.advance(Duration::minutes(5));
    assert_eq!(browser.get("/account").await.status(), StatusCode::OK);
    let expected = created + 300;
    let mut seen = created;
    for _ in 0..50 {
        seen = app
            .scalar("SELECT MIN(last_seen_at) FROM sessions WHERE id <> $1", "")
            .await;
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
        app.scalar("SELECT MIN(last_seen_at) FROM sessions WHERE id <> $1", "")
            .await,
        expected
    );
}
