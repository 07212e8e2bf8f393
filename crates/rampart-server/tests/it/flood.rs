//! During a wrong-password flood the last hashing thread leaves its core to
//! signed-in people (`rampart_core::password::flood`), seen through
//! `/metrics`: honest sign-ins beside signed-in pages do not set it off,
//! refused passwords from many networks do.

use crate::brute_force::futures_join_all;
use rampart_server::config::StringList;
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// An API sign-in as `username` from the network `n` (through the proxy).
async fn sign_in_from(app: &TestApp, n: usize, username: &str, password: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .header("x-forwarded-for", format!("198.51.{}.7", n % 250))
        .json(&json!({"username": username, "password": password}))
        .fetch()
        .await
        .status()
}

/// A number from `/metrics`.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = reqwest::Client::new()
        .get(app.url("/metrics"))
        .fetch()
        .await
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
        .parse()
        .unwrap()
}

/// Sends `sign_ins` (each a username, password and its expected answer)
/// all at once, so that they wait for the hashing threads, while
/// `signed_in` loads its account page without a pause from start to end.
async fn sign_ins_beside_pages(
    app: &TestApp,
    signed_in: Arc<Browser>,
    sign_ins: Vec<(String, &str, StatusCode)>,
) {
    let done = Arc::new(AtomicBool::new(false));
    let pages = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut served = 0;
            while !done.load(Ordering::Relaxed) {
                assert_eq!(signed_in.get("/account").await.status(), StatusCode::OK);
                served += 1;
            }
            served
        })
    };
    // The page load is running before the first sign-in.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let answers = sign_ins
        .iter()
        .enumerate()
        .map(|(n, (username, password, _))| sign_in_from(app, 100 + n, username, password));
    let answers = futures_join_all(answers).await;
    done.store(true, Ordering::Relaxed);
    for (answer, (_, _, expected)) in answers.into_iter().zip(&sign_ins) {
        assert_eq!(answer, *expected);
    }
    assert!(pages.await.unwrap() > 0);
}

#[backend_test]
async fn a_flood_leaves_a_hashing_core_to_signed_in_people(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
        raw.password.get_or_insert_default().hash_workers = Some(2);
    })
    .await;
    let signed_in = Arc::new(app.signed_up("vic").await);
    app.signed_up("walt").await;
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 0.0);

    // Honest sign-ins at once beside signed-in pages: the pool is
    // saturated, but there is no flood: both threads hash.
    let honest = (0..8)
        .map(|_| ("walt".to_owned(), GOOD_PASSWORD, StatusCode::CREATED))
        .collect();
    sign_ins_beside_pages(&app, signed_in.clone(), honest).await;
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 0.0);
    assert_eq!(metric(&app, "rampart_hash_pool_yields_total").await, 0.0);

    // A flood: unknown names from many networks, each refused after the
    // dummy hash; then more of them at once beside the signed-in pages.
    let flood = (0..20).map(|n| {
        let app = &app;
        async move { sign_in_from(app, n, &format!("nobody{n}"), "a guess").await }
    });
    for answer in futures_join_all(flood).await {
        assert_eq!(answer, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 1.0);
    let more = (0..8)
        .map(|n| (format!("someone{n}"), "a guess", StatusCode::UNAUTHORIZED))
        .collect();
    sign_ins_beside_pages(&app, signed_in, more).await;
    assert!(
        metric(&app, "rampart_hash_pool_yields_total").await >= 1.0,
        "the last hashing thread never left its core"
    );
}

/// A locked account's right password is refused like any wrong guess, and
/// counted like one: the flood count tells nothing of whether a guess was
/// right (anyone who reads `/metrics` could otherwise test passwords
/// against a locked account).
#[backend_test]
async fn a_locked_accounts_right_password_counts_like_any_refusal(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
    })
    .await;
    app.signed_up("judy").await;
    app.lock("judy", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    let guesses = (0..flood_refusals() - 1).map(|n| {
        let app = &app;
        async move { sign_in_from(app, n, &format!("nobody{n}"), "a guess").await }
    });
    for answer in futures_join_all(guesses).await {
        assert_eq!(answer, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 0.0);
    let right = sign_in_from(&app, 200, "judy", GOOD_PASSWORD).await;
    assert_ne!(right, StatusCode::CREATED, "a locked account signed in");
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 1.0);
}

fn flood_refusals() -> usize {
    rampart_core::password::flood::FLOOD_REFUSALS as usize
}
