//! During a wrong-password flood the last hashing thread leaves its core to
//! signed-in people (`rampart_core::password::flood`), seen through
//! `/metrics`: honest sign-ins beside signed-in pages do not set it off,
//! refused passwords from many networks do.

use crate::brute_force::futures_join_all;
use rampart_server::config::StringList;
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use serde_json::json;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The pause between two pages beside the sign-ins.
const PAGE_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

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

/// `signed_in` loading its account page, once a call.
fn account_page(
    signed_in: Arc<Browser>,
) -> impl FnMut() -> Pin<Box<dyn Future<Output = ()> + Send>> + Clone + Send + 'static {
    move || {
        let signed_in = signed_in.clone();
        Box::pin(
            async move { assert_eq!(signed_in.get("/account").await.status(), StatusCode::OK) },
        )
    }
}

/// Sends `sign_ins` (each a username, password and its expected answer)
/// all at once, so that they wait for the hashing threads, while `page` is
/// called again and again from start to end, a moment apart: a person's
/// clicks, well inside the flood rule's window of signed-in traffic, and
/// not a load of their own that would starve the hashing threads (at nice
/// 5) of a busy test machine until the sign-ins waited past the rule's
/// limit and the last thread rightly kept hashing.
async fn sign_ins_beside<F, Fut>(
    app: &TestApp,
    mut page: F,
    sign_ins: Vec<(String, &str, StatusCode)>,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicBool::new(false));
    let pages = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut served = 0;
            while !done.load(Ordering::Relaxed) {
                page().await;
                served += 1;
                tokio::time::sleep(PAGE_PAUSE).await;
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

/// The flood of [`a_flood_leaves_a_hashing_core_to_signed_in_people`]:
/// unknown names from 20 networks, each refused after the dummy hash.
async fn flood(app: &TestApp) {
    let flood = (0..20)
        .map(|n| async move { sign_in_from(app, n, &format!("nobody{n}"), "a guess").await });
    for answer in futures_join_all(flood).await {
        assert_eq!(answer, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(metric(app, "rampart_hash_pool_flood").await, 1.0);
}

/// A server behind a proxy at 127.0.0.1 (each sign-in comes from the
/// network it names), with two hashing threads: one to leave its core.
async fn two_hashing_threads_behind_a_proxy(backend: &Backend) -> TestApp {
    TestApp::spawn_with(backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
        raw.password.get_or_insert_default().hash_workers = Some(2);
    })
    .await
}

/// Whether the last hashing thread has left its core after up to three
/// bursts of refused sign-ins beside `page`, each burst a flood with the
/// refusals just before it. The rule's conditions are about time (the
/// pages' pace, the flood's seconds, how long sign-ins waited), and a busy
/// test machine may miss them once; a rule that never yields misses them
/// in every burst.
async fn bursts_beside_make_the_last_thread_yield<F, Fut>(app: &TestApp, page: F) -> bool
where
    F: FnMut() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    for burst in 0..3 {
        let refusals = (0..flood_refusals() - 1)
            .map(|n| {
                (
                    format!("burst{burst}x{n}"),
                    "a guess",
                    StatusCode::UNAUTHORIZED,
                )
            })
            .collect();
        sign_ins_beside(app, page.clone(), refusals).await;
        if metric(app, "rampart_hash_pool_yields_total").await >= 1.0 {
            return true;
        }
    }
    false
}

#[backend_test]
async fn a_flood_leaves_a_hashing_core_to_signed_in_people(backend: Backend) {
    let app = two_hashing_threads_behind_a_proxy(&backend).await;
    let signed_in = Arc::new(app.signed_up("vic").await);
    app.signed_up("walt").await;
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 0.0);

    // Honest sign-ins at once beside signed-in pages: the pool is
    // saturated, but there is no flood: both threads hash.
    let honest = (0..8)
        .map(|_| ("walt".to_owned(), GOOD_PASSWORD, StatusCode::CREATED))
        .collect();
    sign_ins_beside(&app, account_page(signed_in.clone()), honest).await;
    assert_eq!(metric(&app, "rampart_hash_pool_flood").await, 0.0);
    assert_eq!(metric(&app, "rampart_hash_pool_yields_total").await, 0.0);

    // A flood: unknown names from many networks, each refused after the
    // dummy hash; then more of them at once beside the signed-in pages.
    flood(&app).await;
    assert!(
        bursts_beside_make_the_last_thread_yield(&app, account_page(signed_in)).await,
        "the last hashing thread never left its core"
    );
}

/// A browser signed in again by its remember-me cookie is served signed in
/// on that very request, and counts as signed-in traffic then: during a
/// flood, the last hashing thread leaves its core to people whose every
/// request restores a session (each one holds nothing but the rotated
/// remember-me cookie of the one before).
#[backend_test]
async fn a_flood_leaves_a_hashing_core_to_people_signed_in_again_by_remember_me(backend: Backend) {
    let app = two_hashing_threads_behind_a_proxy(&backend).await;
    let browser = app.browser();
    app.signed_up("rosa").await;
    browser.login_remembered("rosa").await;
    let remember = browser
        .cookie("rampart_remember")
        .expect("a remember-me cookie");
    // Restored, not resolved: the signed-in browser itself is never used
    // again, so no session is resolved from here on.
    drop(browser);
    flood(&app).await;
    assert_eq!(metric(&app, "rampart_hash_pool_yields_total").await, 0.0);

    let base = app.url("");
    let remember = Arc::new(std::sync::Mutex::new(remember));
    let restore = move || {
        let (base, remember) = (base.clone(), remember.clone());
        async move {
            let browser = Browser::new(&base);
            let held = remember.lock().unwrap().clone();
            browser.set_cookie("rampart_remember", &held);
            assert_eq!(browser.get("/account").await.status(), StatusCode::OK);
            let rotated = browser.cookie("rampart_remember").expect("rotated");
            assert_ne!(rotated, held, "restored, so rotated");
            *remember.lock().unwrap() = rotated;
        }
    };
    // Without the restores counted, no burst makes the last thread yield.
    assert!(
        bursts_beside_make_the_last_thread_yield(&app, restore).await,
        "the last hashing thread never left its core to restored sessions"
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
