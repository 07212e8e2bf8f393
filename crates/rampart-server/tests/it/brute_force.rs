//! The account-wide lock-out and counting before checking, as an attacker
//! would test them: guesses fired concurrently, guesses spread over many
//! networks (through a trusted proxy's X-Forwarded-For), second-factor codes
//! guessed from many networks with the password known, and the
//! password-change endpoint used as an oracle.

use rampart_server::config::{RawLogin, StringList};
use rampart_testkit::smtp::SmtpSink;
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// An API sign-in from `network` (a /24, as seen through the proxy).
async fn api_sign_in(app: &TestApp, password: &str, from: &str, code: Option<&str>) -> StatusCode {
    let mut body = json!({"username": "vic", "password": password});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .header("x-forwarded-for", from)
        .json(&body)
        .fetch()
        .await
        .status()
}

fn behind_proxy(raw: &mut rampart_server::config::RawConfig) {
    raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
}

/// A server behind the proxy with the brute-force limits `login`.
async fn spawn_limited(backend: &Backend, login: RawLogin) -> TestApp {
    TestApp::spawn_with(backend, |raw| {
        behind_proxy(raw);
        raw.login = Some(login);
    })
    .await
}

async fn with_vic(app: &TestApp) {
    app.browser().sign_up("vic").await;
}

#[backend_test]
async fn concurrent_guesses_are_limited_like_sequential_ones(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    with_vic(&app).await;
    let guesses = (0..15).map(|n| {
        let app = &app;
        async move { api_sign_in(app, &format!("wrong guess {n}"), "198.51.100.7", None).await }
    });
    let answers = futures_join_all(guesses).await;
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (refused, limited),
        (5, 10),
        "as five sequential guesses would: {answers:?}"
    );
    assert_eq!(
        api_sign_in(&app, GOOD_PASSWORD, "198.51.100.7", None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password, before any hashing"
    );
}

/// Counting first must not refuse the owner: twelve correct sign-ins fired
/// at once (more than every allowance of the name) all pass, as twelve
/// sequential ones would; reservations that would lock wait for the ones in
/// flight, which succeed and clear the counters.
#[backend_test]
async fn concurrent_sign_ins_of_the_owner_all_pass(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    with_vic(&app).await;
    let sign_ins =
        (0..12).map(|_| async { api_sign_in(&app, GOOD_PASSWORD, "198.51.100.7", None).await });
    let answers = futures_join_all(sign_ins).await;
    assert!(
        answers.iter().all(|s| *s == StatusCode::CREATED),
        "{answers:?}"
    );
    // Mixed: three wrong guesses in flight with six of the owner's sign-ins;
    // the guesses fail as guesses, the owner is not held back.
    let mixed = (0..9).map(|n| {
        let app = &app;
        async move {
            let password = if n < 3 {
                format!("wrong guess {n}")
            } else {
                GOOD_PASSWORD.to_owned()
            };
            api_sign_in(app, &password, "198.51.100.7", None).await
        }
    });
    let answers = futures_join_all(mixed).await;
    assert!(
        answers[..3].iter().all(|s| *s == StatusCode::UNAUTHORIZED)
            && answers[3..].iter().all(|s| *s == StatusCode::CREATED),
        "{answers:?}"
    );
}

/// Runs the futures concurrently on this task; their outputs in order.
pub(crate) async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (slot, fut) in pending.iter_mut().enumerate() {
            if let Some(f) = fut {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[slot] = Some(v);
                        *fut = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

#[backend_test]
async fn guesses_spread_over_networks_lock_the_account(backend: Backend) {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://{}", sink.addr);
    let app = TestApp::spawn_with(&backend, move |raw| {
        behind_proxy(raw);
        raw.smtp_url = Some(url);
    })
    .await;
    with_vic(&app).await;
    // One guess from each of ten networks: each under its network's limit.
    for n in 0..10 {
        assert_eq!(
            api_sign_in(&app, "wrong guess 1", &format!("10.0.{n}.1"), None).await,
            StatusCode::UNAUTHORIZED,
            "guess {n}"
        );
    }
    // The account-wide limit: an eleventh network is held back, the owner
    // too when not on a known device, and IPv6 networks likewise.
    for from in ["10.0.99.1", "2001:db8:1::1", "203.0.113.5"] {
        assert_eq!(
            api_sign_in(&app, GOOD_PASSWORD, from, None).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{from}"
        );
    }
    assert_eq!(app.events("account.locked_out", "%").await, 1);
    let mail = sink
        .wait_for_subject("Sign-in to your account was paused")
        .await;
    assert!(mail.contains("To: vic@example.com"), "{mail}");
    // The lock is progressive, not for ever.
    app.clock.advance(time::Duration::minutes(2));
    assert_eq!(
        api_sign_in(&app, GOOD_PASSWORD, "203.0.113.5", None).await,
        StatusCode::CREATED
    );
}

#[backend_test]
async fn guessed_codes_count_toward_the_account(backend: Backend) {
    let app = TestApp::spawn_with(&backend, behind_proxy).await;
    let browser = app.browser();
    let (secret, _) = crate::mfa::enrol_in_browser(&app, &browser, "vic").await;
    // The attacker knows the password and guesses codes, one per network.
    for n in 0..10 {
        assert_eq!(
            api_sign_in(&app, GOOD_PASSWORD, &format!("10.1.{n}.1"), Some("000000")).await,
            StatusCode::UNAUTHORIZED,
            "code guess {n}"
        );
    }
    let right = app.totp_code(&secret, 0);
    assert_eq!(
        api_sign_in(&app, GOOD_PASSWORD, "10.1.99.1", Some(&right)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "knowing the password does not reset the count of guessed codes"
    );
}

#[backend_test]
async fn consecutive_failures_bar_the_account_until_unlock(backend: Backend) {
    let app = spawn_limited(
        &backend,
        RawLogin {
            lockout_after_per_account: Some(2),
            max_consecutive_failures: Some(4),
            ..Default::default()
        },
    )
    .await;
    with_vic(&app).await;
    for n in 0..4 {
        assert_eq!(
            api_sign_in(&app, "wrong guess 1", &format!("10.2.{n}.1"), None).await,
            StatusCode::UNAUTHORIZED,
            "guess {n}"
        );
        app.clock.advance(time::Duration::hours(2));
    }
    // A day later the account still signs in only after an unlock.
    app.clock.advance(time::Duration::days(1));
    assert_eq!(
        api_sign_in(&app, GOOD_PASSWORD, "203.0.113.5", None).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.events("account.locked_out", "%\"barred\":true%").await,
        1
    );
    app.unlock("vic", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    assert_eq!(
        api_sign_in(&app, GOOD_PASSWORD, "203.0.113.5", None).await,
        StatusCode::CREATED
    );
}

#[backend_test]
async fn the_password_change_is_no_oracle(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    with_vic(&app).await;
    let token = app.api_login("vic", GOOD_PASSWORD).await;
    let change = |current: String| {
        let token = token.clone();
        let app = &app;
        async move {
            app.api()
                .send(
                    Method::PUT,
                    "/me/password",
                    &token,
                    Some(json!({"current_password": current, "new_password": "short"})),
                )
                .await
                .status()
        }
    };
    let answers = futures_join_all((0..12).map(|n| change(format!("wrong guess {n}")))).await;
    let wrong = answers
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!(wrong, 5, "five guesses, then 429: {answers:?}");
    assert!(answers.iter().all(|s| {
        [
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(s)
    }));
    // The right password with a bad new one now says nothing either.
    assert_eq!(
        change(GOOD_PASSWORD.to_owned()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A sign-in through the login page of `browser`, from `from` (as the
/// trusted proxy reports it).
async fn page_sign_in(app: &TestApp, browser: &Browser, password: &str, from: &str) -> StatusCode {
    let csrf = csrf_from(&browser.page("/login").await).unwrap();
    browser
        .client
        .post(app.url("/login"))
        .header("x-forwarded-for", from)
        .form(&[
            ("username", "vic"),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .fetch()
        .await
        .status()
}

#[backend_test]
async fn a_known_device_still_signs_in(backend: Backend) {
    let app = TestApp::spawn_with(&backend, behind_proxy).await;
    with_vic(&app).await;
    // The owner signs in once on their laptop: it becomes a known device.
    let laptop = app.browser();
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER
    );
    let device = laptop
        .cookie("rampart_device")
        .expect("a known-device cookie");
    laptop.logout().await;
    // A botnet spreads guesses over ten networks: the account locks.
    for n in 0..10 {
        assert_eq!(
            api_sign_in(&app, "wrong guess 1", &format!("10.3.{n}.1"), None).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let stranger = app.browser();
    assert_eq!(
        page_sign_in(&app, &stranger, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a browser that never signed in is held back"
    );
    // A forged or copied-to-another-account cookie does not help.
    let forger = app.browser();
    forger.set_cookie("rampart_device", &device.replace('.', "x"));
    assert_eq!(
        page_sign_in(&app, &forger, GOOD_PASSWORD, "192.0.2.11").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner's laptop still gets in.
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER,
        "the known device is not held back by the account-wide lock"
    );
    laptop.logout().await;
    // Its own counter still applies: five wrong passwords from five
    // networks lock that device.
    for n in 0..5 {
        assert_eq!(
            page_sign_in(&app, &laptop, "wrong guess 2", &format!("10.4.{n}.1")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "10.4.99.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the device's own counter"
    );
}

#[backend_test]
async fn the_owner_changes_the_password_during_an_attack(backend: Backend) {
    let app = TestApp::spawn_with(&backend, behind_proxy).await;
    with_vic(&app).await;
    let laptop = app.browser();
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "127.0.0.1").await,
        StatusCode::SEE_OTHER
    );
    for n in 0..10 {
        api_sign_in(&app, "wrong guess 1", &format!("10.5.{n}.1"), None).await;
    }
    // Signed in on a known device, the owner is not held back from
    // choosing a new password while the account is locked for others.
    let resp = laptop
        .change_password(GOOD_PASSWORD, "another long phrase 7")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[backend_test]
async fn signing_out_everywhere_ends_known_devices(backend: Backend) {
    let app = TestApp::spawn_with(&backend, behind_proxy).await;
    with_vic(&app).await;
    let laptop = app.browser();
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER
    );
    assert!(laptop.cookie("rampart_device").is_some());
    laptop.logout().await;
    // The operator signs Vic out everywhere (say, the laptop was stolen).
    crate::mfa::rampart_cli_ok(&app, &["user", "sign-out", "vic"]);
    for n in 0..10 {
        api_sign_in(&app, "wrong guess 1", &format!("10.6.{n}.1"), None).await;
    }
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the laptop is no longer a known device"
    );
}

/// A sign-in binds its known-device cookie to the account as it is now,
/// sign-out epoch included: after the operator signed everyone out, a new
/// sign-in makes the laptop a known device again, one the lock-out spares.
#[backend_test]
async fn a_sign_in_after_signing_out_everywhere_is_a_known_device_again(backend: Backend) {
    let app = TestApp::spawn_with(&backend, behind_proxy).await;
    with_vic(&app).await;
    crate::mfa::rampart_cli_ok(&app, &["user", "sign-out", "vic"]);
    let laptop = app.browser();
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER
    );
    laptop.logout().await;
    for n in 0..10 {
        api_sign_in(&app, "wrong guess 1", &format!("10.7.{n}.1"), None).await;
    }
    assert_eq!(
        page_sign_in(&app, &app.browser(), GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the account is locked for browsers it does not know"
    );
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER,
        "the laptop signed in after the sign-out is known"
    );
}

/// A counter as stored: its failures and its lock (-1 when there is none).
async fn counter(app: &TestApp, key: &str) -> (i64, i64) {
    (
        app.scalar(
            "SELECT COALESCE(MAX(failures), -1) FROM login_throttle WHERE key = $1",
            key,
        )
        .await,
        app.scalar(
            "SELECT COALESCE(MAX(locked_until), -1) FROM login_throttle WHERE key = $1",
            key,
        )
        .await,
    )
}

#[backend_test]
async fn a_success_takes_back_exactly_what_it_reserved(backend: Backend) {
    // The address and the network lock at their fourth failure; the name and
    // the account much later.
    let app = spawn_limited(
        &backend,
        RawLogin {
            lockout_after: Some(100),
            lockout_after_per_address: Some(4),
            lockout_after_per_network: Some(4),
            lockout_after_per_account: Some(100),
            ..Default::default()
        },
    )
    .await;
    with_vic(&app).await;
    let from = "10.9.0.1";
    for n in 1..=3 {
        let guess = api_sign_in(&app, "wrong guess 1", from, None).await;
        assert_eq!(guess, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    assert_eq!(counter(&app, "addr:10.9.0.1").await, (3, 0));
    assert_eq!(counter(&app, "net:10.9.0.0/24").await, (3, 0));
    assert_eq!(counter(&app, "name:vic@10.9.0.0/24").await.0, 3);
    let names = "SELECT COUNT(*) FROM login_throttle WHERE key LIKE $1";
    assert_eq!(app.scalar(names, "acct:%").await, 1);

    // Each correct sign-in reserves a fourth failure, which sets the
    // address's and the network's locks, and takes all of it back: the
    // counts stay, the locks go, the name's and the account's counters end.
    for n in 1..=3 {
        let signed_in = api_sign_in(&app, GOOD_PASSWORD, from, None).await;
        assert_eq!(signed_in, StatusCode::CREATED, "sign-in {n}");
        assert_eq!(counter(&app, "addr:10.9.0.1").await, (3, 0), "{n}");
        assert_eq!(counter(&app, "net:10.9.0.0/24").await, (3, 0), "{n}");
        assert_eq!(counter(&app, "name:vic@10.9.0.0/24").await, (-1, -1));
        assert_eq!(app.scalar(names, "acct:%").await, 0, "{n}");
    }

    // The reservation is real: a fourth guess locks the address.
    let guess = api_sign_in(&app, "wrong guess 2", from, None).await;
    assert_eq!(guess, StatusCode::UNAUTHORIZED);
    let (failures, locked_until) = counter(&app, "addr:10.9.0.1").await;
    assert_eq!(failures, 4);
    assert!(locked_until > 0, "locked");
    let refused = api_sign_in(&app, GOOD_PASSWORD, from, None).await;
    assert_eq!(refused, StatusCode::TOO_MANY_REQUESTS);
}

#[backend_test]
async fn a_re_hashed_password_still_makes_a_known_device(backend: Backend) {
    let app = TestApp::spawn_with(&backend, behind_proxy).await;
    with_vic(&app).await;
    // Vic's hash has weaker costs than the server's: the next sign-in
    // re-hashes it, which changes what a known-device cookie is bound to.
    let weak = rampart_crypto::PasswordHasher::new(64, 1, 1)
        .unwrap()
        .hash(&secrecy::SecretString::from(GOOD_PASSWORD))
        .unwrap();
    let set =
        "UPDATE users SET password_hash = $1 WHERE username_key = $2 RETURNING CAST(1 AS BIGINT)";
    assert_eq!(app.scalar_with(set, &[&weak, "vic"]).await, 1);
    let laptop = app.browser();
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER
    );
    let rehashed =
        "SELECT COUNT(*) FROM users WHERE username_key = $1 AND password_hash LIKE '%m=19456%'";
    assert_eq!(app.scalar(rehashed, "vic").await, 1, "re-hashed");
    laptop.logout().await;
    // The account locks; the laptop's cookie, issued at the sign-in that
    // re-hashed, is bound to the new hash and still lets it in.
    for n in 0..10 {
        let guess = api_sign_in(&app, "wrong guess 1", &format!("10.5.{n}.1"), None).await;
        assert_eq!(guess, StatusCode::UNAUTHORIZED);
    }
    let stranger = app.browser();
    assert_eq!(
        page_sign_in(&app, &stranger, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        page_sign_in(&app, &laptop, GOOD_PASSWORD, "192.0.2.10").await,
        StatusCode::SEE_OTHER,
        "the known device"
    );
}

/// The counters of one attempt are swapped in one statement of each kind,
/// each as its own compare-and-swap: a counter expected absent is inserted
/// only if it still is, one read is changed only if it still is as read,
/// and a counter another attempt changed first (or deleted) is left alone
/// for the attempt to read again. Short lists are padded in the store; a
/// padded entry still changes its counter once.
#[backend_test]
async fn counters_are_swapped_together_each_only_if_unchanged(backend: Backend) {
    use rampart_core::ports::ThrottleRepo;
    use rampart_core::throttle::Counter;
    let app = TestApp::spawn(&backend).await;
    let at =
        |seconds: i64| time::OffsetDateTime::from_unix_timestamp(1_800_000_000 + seconds).unwrap();
    let counter = |failures: i64, locked: i64| Counter {
        failures,
        last_failure_at: at(failures),
        locked_until: at(locked),
    };
    let store = &app.store;
    let stored = |key: &'static str| async move {
        store
            .throttle_counters(&[key])
            .await
            .unwrap()
            .first()
            .map(|(_, c)| *c)
    };
    // All absent: one inserted alone (a list padded five times), then three.
    let one = store
        .swap_throttles(&[("t:a", None, counter(1, 0))])
        .await
        .unwrap();
    assert_eq!(one, ["t:a"]);
    assert_eq!(stored("t:a").await, Some(counter(1, 0)));
    let mut three = store
        .swap_throttles(&[
            ("t:c", None, counter(1, 0)),
            ("t:a", None, counter(1, 0)),
            ("t:b", None, counter(1, 0)),
        ])
        .await
        .unwrap();
    three.sort();
    assert_eq!(
        three,
        ["t:b", "t:c"],
        "t:a is there already: not inserted again"
    );

    // As read: swapped. Changed since (t:b), or gone (t:gone): left alone.
    store
        .swap_throttles(&[("t:b", Some(counter(1, 0)), counter(2, 0))])
        .await
        .unwrap();
    let mut swapped = store
        .swap_throttles(&[
            ("t:a", Some(counter(1, 0)), counter(2, 60)),
            ("t:b", Some(counter(1, 0)), counter(2, 90)),
            ("t:c", Some(counter(1, 0)), counter(2, 0)),
            ("t:gone", Some(counter(1, 0)), counter(2, 0)),
        ])
        .await
        .unwrap();
    swapped.sort();
    assert_eq!(swapped, ["t:a", "t:c"]);
    assert_eq!(stored("t:a").await, Some(counter(2, 60)));
    assert_eq!(
        stored("t:b").await,
        Some(counter(2, 0)),
        "changed first: kept"
    );
    assert_eq!(stored("t:c").await, Some(counter(2, 0)));
    assert_eq!(stored("t:gone").await, None, "not brought back");

    // Both kinds in one list, and all six an attempt can have.
    let keys = ["t:a", "t:b", "t:c", "t:d", "t:e", "t:f"];
    let swaps: Vec<_> = keys
        .iter()
        .map(|key| match *key {
            "t:a" => (*key, Some(counter(2, 60)), counter(3, 60)),
            "t:b" | "t:c" => (*key, Some(counter(2, 0)), counter(3, 0)),
            _ => (*key, None, counter(1, 0)),
        })
        .collect();
    let mut all = store.swap_throttles(&swaps).await.unwrap();
    all.sort();
    assert_eq!(all, keys);
    assert_eq!(stored("t:a").await, Some(counter(3, 60)));
    assert_eq!(stored("t:f").await, Some(counter(1, 0)));
    // Both kinds again, one of each changed first (t:b read stale, t:d
    // there already): the others are written, those two left as they are
    // (on SQLite the two kinds go as one transaction).
    let mut mixed = store
        .swap_throttles(&[
            ("t:a", Some(counter(3, 60)), counter(4, 60)),
            ("t:b", Some(counter(2, 0)), counter(9, 0)),
            ("t:d", None, counter(9, 0)),
            ("t:g", None, counter(1, 0)),
        ])
        .await
        .unwrap();
    mixed.sort();
    assert_eq!(mixed, ["t:a", "t:g"]);
    assert_eq!(stored("t:a").await, Some(counter(4, 60)));
    assert_eq!(
        stored("t:b").await,
        Some(counter(3, 0)),
        "changed first: kept"
    );
    assert_eq!(
        stored("t:d").await,
        Some(counter(1, 0)),
        "there already: kept"
    );
    assert_eq!(stored("t:g").await, Some(counter(1, 0)));
    store
        .swap_throttles(&[("t:a", Some(counter(4, 60)), counter(3, 60))])
        .await
        .unwrap();
    // Read with the same failures but another lock, or another last
    // failure (as after a taken-back attempt): not as read, left alone.
    let other_lock = Counter {
        locked_until: at(5),
        ..counter(1, 0)
    };
    let other_time = Counter {
        last_failure_at: at(7),
        ..counter(1, 0)
    };
    let stale = store
        .swap_throttles(&[
            ("t:e", Some(other_lock), counter(2, 0)),
            ("t:f", Some(other_time), counter(2, 0)),
        ])
        .await
        .unwrap();
    assert!(stale.is_empty(), "{stale:?}");
    assert_eq!(stored("t:e").await, Some(counter(1, 0)));
    assert_eq!(stored("t:f").await, Some(counter(1, 0)));
    // Two attempts swapping from the same reading: exactly one wins each.
    let race = |to: i64| {
        let store = store.clone();
        async move {
            store
                .swap_throttles(&[
                    ("t:a", Some(counter(3, 60)), counter(to, 60)),
                    ("t:d", Some(counter(1, 0)), counter(to, 0)),
                    ("t:h", None, counter(to, 0)),
                ])
                .await
                .unwrap()
        }
    };
    let (first, second) = tokio::join!(race(40), race(50));
    assert_eq!(first.len() + second.len(), 3, "{first:?} {second:?}");
    let a = stored("t:a").await.unwrap().failures;
    let d = stored("t:d").await.unwrap().failures;
    let h = stored("t:h").await.unwrap().failures;
    assert!(
        [40, 50].contains(&a) && [40, 50].contains(&d) && [40, 50].contains(&h),
        "{a} {d} {h}"
    );
}
