//! One form of every client address: on a dual-stack listener (`[::]`)
//! IPv4 clients arrive as `::ffff:a.b.c.d`; limits, `trusted_proxies`, the
//! audit trail and the session list all see the IPv4 address. Loopback gives
//! two IPv4 networks to test with: 127.0.0.x and 127.0.1.x.

use rampart_server::config::StringList;
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::StatusCode;
use std::net::IpAddr;

/// A cookie-keeping client whose connections leave from `local`.
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .local_address(local.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    password: &str,
    forwarded_for: Option<&str>,
) -> StatusCode {
    let html = client.get(app.url("/login")).fetch_text().await;
    let csrf = csrf_from(&html).unwrap();
    let mut req = client.post(app.url("/login")).form(&[
        ("username", "nora"),
        ("password", password),
        ("csrf_token", &csrf),
    ]);
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    req.fetch().await.status()
}

#[backend_test]
async fn ipv4_clients_of_a_dual_stack_listener_are_ipv4(backend: Backend) {
    let app = TestApp::spawn_dual_stack(&backend, |_| {}).await;
    app.browser().sign_up("nora").await;
    // Five wrong guesses from one IPv4 network lock the name there…
    let guesser = client_from("127.0.0.1");
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, &guesser, "wrong guess 12345", None).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in(&app, &guesser, GOOD_PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …and not on another IPv4 network (as ::ffff:… they shared ::/64).
    let owner = client_from("127.0.1.1");
    assert_eq!(
        sign_in(&app, &owner, GOOD_PASSWORD, None).await,
        StatusCode::SEE_OTHER
    );
    // The audit trail and the session list show IPv4 addresses.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE ip LIKE $1",
            "::ffff:%"
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.failed' AND ip = $1",
            "127.0.0.1"
        )
        .await,
        5
    );
    let page = owner.get(app.url("/account/sessions")).fetch_text().await;
    assert!(page.contains("IP 127.0.1.1"), "{page}");

    // An IPv4 trusted_proxies entry matches a proxy that arrives mapped.
    let proxied = TestApp::spawn_dual_stack(&backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
    })
    .await;
    proxied.browser().sign_up("nora").await;
    let through = client_from("127.0.0.1");
    assert_eq!(
        sign_in(&proxied, &through, "wrong guess 12345", Some("203.0.113.9")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        proxied
            .scalar(
                "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.failed' AND ip = $1",
                "203.0.113.9"
            )
            .await,
        1,
        "the forwarded client address was believed"
    );
}
