//! Uniqueness is the database's job: 20 simultaneous sign-ups of one name
//! create exactly one account.

use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use std::sync::Arc;

#[backend_test]
async fn concurrent_registration_creates_one_user(backend: Backend) {
    // All racers share one address; the registration limit is not under test.
    let app = Arc::new(
        TestApp::spawn_with(&backend, |raw| {
            raw.rate.get_or_insert_default().registrations_per_client = Some(100)
        })
        .await,
    );
    let mut browsers = Vec::new();
    for i in 0..20 {
        let browser = app.browser();
        let token = browser.csrf("/register").await;
        browsers.push((i, browser, token));
    }
    let tasks: Vec<_> = browsers
        .into_iter()
        .map(|(i, browser, token)| {
            tokio::spawn(async move {
                let email = format!("racer{i}@example.com");
                browser
                    .post(
                        "/register",
                        &[
                            ("username", "racer"),
                            ("email", &email),
                            ("password", GOOD_PASSWORD),
                            ("password_confirm", GOOD_PASSWORD),
                            ("csrf_token", &token),
                        ],
                    )
                    .await
                    .status()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::SEE_OTHER => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key = $1",
            "racer"
        )
        .await,
        1
    );
}
