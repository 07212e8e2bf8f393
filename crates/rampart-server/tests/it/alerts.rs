//! Alerts: signed webhooks received by a real HTTP server in the test
//! (verified with the `hmac` crate, not Rampart's code), redelivered to a
//! receiver that was down, and mails to users about their accounts.

use hmac::{KeyInit, Mac};
use rampart_core::Clock as _;
use rampart_testkit::smtp::SmtpSink;
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "webhook-secret-0123456789";

type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// A webhook receiver on `addr` (or a free port) that keeps what it gets.
async fn receiver(addr: Option<SocketAddr>) -> (SocketAddr, Received) {
    let got: Received = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener =
        tokio::net::TcpListener::bind(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, got)
}

async fn app_with_hook(backend: &Backend, hook: SocketAddr, smtp: Option<&SmtpSink>) -> TestApp {
    let smtp = smtp.map(|s| format!("smtp://{}", s.addr));
    TestApp::spawn_with(backend, move |raw| {
        raw.alerts = Some(rampart_server::config::RawAlerts {
            webhook_url: Some(format!("http://{hook}/hook")),
            webhook_secret: Some(SECRET.to_owned()),
            webhook_secret_file: None,
        });
        raw.login.get_or_insert_default().lockout_after_per_address = Some(8);
        raw.smtp_url = smtp;
    })
    .await
}

async fn wait_for(got: &Received, n: usize) -> Vec<(axum::http::HeaderMap, String)> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let seen = got.lock().unwrap().clone();
        if seen.len() >= n || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks the signature as a receiver would, with the `hmac` crate.
fn verified(headers: &axum::http::HeaderMap, body: &str) -> Value {
    let timestamp = headers["x-rampart-timestamp"].to_str().unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected = format!(
        "sha256={}",
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    );
    assert_eq!(headers["x-rampart-signature"].to_str().unwrap(), expected);
    assert!(headers.contains_key("x-rampart-delivery"));
    assert_eq!(headers["content-type"], "application/json");
    serde_json::from_str(body).unwrap()
}

#[backend_test]
async fn lock_out_and_admin_grant_reach_a_signed_webhook(backend: Backend) {
    let sink = SmtpSink::start().await;
    let (hook, got) = receiver(None).await;
    let app = app_with_hook(&backend, hook, Some(&sink)).await;
    app.browser().sign_up("alice").await;
    for _ in 0..5 {
        app.browser().login("alice", "wrong guess 1").await;
    }
    app.make_admin("alice").await;
    let seen = wait_for(&got, 2).await;
    let alerts: Vec<Value> = seen.iter().map(|(h, b)| verified(h, b)).collect();
    let kinds: Vec<&str> = alerts.iter().filter_map(|a| a["alert"].as_str()).collect();
    assert!(kinds.contains(&"account_locked"), "{kinds:?}");
    assert!(kinds.contains(&"admin_granted"), "{kinds:?}");
    let locked = alerts
        .iter()
        .find(|a| a["alert"] == "account_locked")
        .unwrap();
    assert_eq!(locked["event"]["username"], "alice");
    assert_eq!(locked["event"]["ip"], "127.0.0.1");
    for (_, body) in &seen {
        assert!(!body.contains(GOOD_PASSWORD) && !body.contains("wrong guess 1"));
    }
    let mail = sink
        .wait_for_subject("Sign-in to your account was paused")
        .await;
    assert!(mail.contains("To: alice@example.com"));
    // Delivered rows stay, as the delivery log.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL AND last_status = 204")
        .await,
        2
    );
}

#[backend_test]
async fn a_receiver_that_was_down_gets_the_delivery_later(backend: Backend) {
    let port = SocketAddr::from(([127, 0, 0, 1], rampart_testkit::free_port()));
    let app = app_with_hook(&backend, port, None).await;
    Client::new()
        .post(app.url("/api/v1/users"))
        .json(&json!({"username": "bob", "email": "bob@example.com", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    app.make_admin("bob").await;
    // Nobody listens: the attempt fails and is rescheduled.
    let deadline = Instant::now() + Duration::from_secs(15);
    while app
        .count(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE attempts > 0 AND delivered_at IS NULL AND last_error <> ''",
        )
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "no failed attempt was recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The receiver comes up; once the retry is due, the delivery arrives.
    let (_, got) = receiver(Some(port)).await;
    app.clock.advance(time::Duration::minutes(10));
    let seen = wait_for(&got, 1).await;
    assert_eq!(seen.len(), 1, "delivered after the receiver came back");
    let alert = verified(&seen[0].0, &seen[0].1);
    assert_eq!(alert["alert"], "admin_granted");
    let timestamp: i64 = seen[0].0["x-rampart-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((timestamp - app.clock.now().unix_timestamp()).abs() < 5);
}

#[backend_test]
async fn credential_stuffing_and_new_devices_raise_alerts(backend: Backend) {
    let sink = SmtpSink::start().await;
    let (hook, got) = receiver(None).await;
    let app = app_with_hook(&backend, hook, Some(&sink)).await;
    // Many names, one address: the address locks and an attack is suspected.
    for n in 0..8 {
        app.browser()
            .login(&format!("victim{n}"), "Summer2024!")
            .await;
    }
    let seen = wait_for(&got, 1).await;
    let alert = verified(&seen[0].0, &seen[0].1);
    assert_eq!(alert["alert"], "credential_stuffing");
    assert_eq!(alert["event"]["type"], "attack.suspected");
    assert_eq!(alert["event"]["details"]["network"], "127.0.0.0/24");
    assert_eq!(app.events("attack.suspected", "%").await, 1);

    // A sign-in from a browser never seen before mails the user.
    app.clock.advance(time::Duration::hours(2));
    Client::new()
        .post(app.url("/api/v1/users"))
        .json(
            &json!({"username": "carol", "email": "carol@example.com", "password": GOOD_PASSWORD}),
        )
        .fetch()
        .await;
    let sign_in = |agent: &'static str| {
        Client::new()
            .post(app.url("/api/v1/sessions"))
            .header("user-agent", agent)
            .json(&json!({"username": "carol", "password": GOOD_PASSWORD}))
            .send()
    };
    for agent in ["Laptop/1.0", "Laptop/1.0"] {
        assert_eq!(sign_in(agent).await.unwrap().status(), StatusCode::CREATED);
    }
    assert_eq!(
        sign_in("Phone/2.0").await.unwrap().status(),
        StatusCode::CREATED
    );
    let mail = sink.wait_for_subject("A sign-in from a new device").await;
    assert!(mail.contains("Phone/2.0"), "{mail}");
    assert!(mail.contains("To: carol@example.com"));
    assert!(
        !sink
            .messages()
            .iter()
            .any(|m| m.contains("A sign-in from a new device") && m.contains("Laptop/1.0")),
        "the first and a known device send nothing"
    );
}
