//! Operating behaviour: the bounded hashing pool answers 503 + Retry-After on
//! overflow (never a 500, never a stall), and operators can rebrand pages.

use rampart_server::config::RawConfig;
use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;

/// One hashing worker and no queue, so that a few sign-ins at once overflow
/// the pool; these tests flood one name on purpose, so lock-outs are kept out
/// of them.
pub(crate) fn one_hash_worker(raw: &mut RawConfig) {
    let password = raw.password.get_or_insert_default();
    password.hash_workers = Some(1);
    password.hash_queue = Some(0);
    let login = raw.login.get_or_insert_default();
    login.lockout_after = Some(1000);
    login.lockout_after_per_account = Some(1000);
}

#[backend_test]
async fn hash_pool_overflow_answers_503_with_retry_after(backend: Backend) {
    let app = TestApp::spawn_with(&backend, one_hash_worker).await;
    app.browser().sign_up("alice").await;
    let mut attempts = Vec::new();
    for _ in 0..16 {
        let browser = app.browser();
        let token = browser.csrf("/login").await;
        attempts.push(tokio::spawn(async move {
            let resp = browser
                .post(
                    "/login",
                    &[
                        ("username", "alice"),
                        ("password", "wrong password here"),
                        ("csrf_token", &token),
                    ],
                )
                .await;
            (
                resp.status(),
                resp.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned()),
            )
        }));
    }
    let mut busy = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            (StatusCode::SERVICE_UNAVAILABLE, retry_after) => {
                assert_eq!(retry_after.as_deref(), Some("1"));
                busy += 1;
            }
            (StatusCode::UNAUTHORIZED, _) => {}
            (other, _) => panic!("unexpected {other}"),
        }
    }
    assert!(
        busy > 0,
        "16 simultaneous hashes on one worker with no queue must overflow"
    );
    // Signed-in traffic never waits for the pool.
    let signed_in = app.browser();
    signed_in.login("alice", GOOD_PASSWORD).await;
    assert_eq!(signed_in.status("/account").await, StatusCode::OK);
}

#[backend_test]
async fn templates_can_be_overridden(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("login.html"),
        "{% extends \"base.html\" %}{% block content %}<h1>Welcome to ACME</h1><form method=post action=/login><input type=hidden name=csrf_token value=\"{{ csrf_token }}\"></form>{% endblock %}",
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    let app = TestApp::spawn_with(&backend, |raw| raw.templates_dir = Some(path)).await;
    let html = app.browser().page("/login").await;
    assert!(html.contains("Welcome to ACME"), "{html}");
    assert!(
        html.contains("rampart.css"),
        "the built-in base.html still applies"
    );
    let register = app.browser().page("/register").await;
    assert!(register.contains("Create an account"));

    std::fs::write(dir.path().join("account.html"), "{% if %}").unwrap();
    let config = rampart_server::config::Config::from_raw(rampart_server::config::RawConfig {
        templates_dir: Some(dir.path().to_path_buf()),
        data_dir: Some(app.data_dir.path().join("other")),
        database_url: Some(app.database_url.clone()),
        ..Default::default()
    })
    .unwrap();
    let clock = std::sync::Arc::new(rampart_core::SystemClock);
    let err = rampart_server::app::build(&config, clock)
        .await
        .err()
        .expect("a broken template stops start-up");
    assert!(format!("{err:#}").contains("account.html"), "{err:#}");
}
