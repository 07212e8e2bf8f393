//! Authentication level per session and step-up: a session records how it
//! was proved (`Remote-Auth-Methods`), a `two_factor` access rule sends a
//! session without a second factor to prove one at `/reauth` (or to enrol
//! one), remember-me alone never satisfies it, and `/reauth` asks for the
//! second factor and rotates the session token.

use crate::forward_auth::rule;
use crate::mfa::{answer, enrol};
use rampart_server::config::{RawAccess, StringList};
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn app_with_step_up(backend: &Backend) -> TestApp {
    TestApp::spawn_with(backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
        raw.access = Some(RawAccess {
            default_policy: Some("deny".into()),
            rules: Some(vec![
                rule(None, Some("/secure"), "two_factor", &[]),
                rule(None, None, "authenticated", &[]),
            ]),
            ..Default::default()
        })
    })
    .await
}

/// `/auth/verify` for `uri` on Rampart's own host, with `browser`'s
/// session cookie.
async fn verify(app: &TestApp, uri: &str, auth: Option<(&str, &str)>) -> reqwest::Response {
    let host = app.base.trim_start_matches("http://").to_owned();
    crate::forward_auth::verify(app, &host, uri, auth).await
}

async fn verify_as(app: &TestApp, browser: &Browser, uri: &str) -> reqwest::Response {
    let cookie = format!("rampart_session={}", browser.session_token().unwrap());
    verify(app, uri, Some(("cookie", &cookie))).await
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn reauth(browser: &Browser, next: &str, code: Option<&str>) -> reqwest::Response {
    let page = browser
        .get(&format!("/reauth?next={}", urlencode(next)))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&page).unwrap();
    let mut form = vec![
        ("password", GOOD_PASSWORD),
        ("next", next),
        ("csrf_token", csrf.as_str()),
    ];
    if let Some(code) = code {
        form.push(("code", code));
    }
    browser.post("/reauth", &form).await
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[backend_test]
async fn two_factor_rule_asks_for_a_second_factor(backend: Backend) {
    let app = app_with_step_up(&backend).await;
    let alice = app.signed_up("alice").await;

    // A password session passes ordinary rules and says how it was proved.
    let resp = verify_as(&app, &alice, "/x").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "pwd");
    // Without a second factor on the account, the step-up is enrolment.
    let resp = verify_as(&app, &alice, "/secure/x").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&resp, "location"),
        format!("{}/account/mfa/totp", app.base)
    );
    // Every spelling of the path is decided alike.
    for spelled in [
        "/SECURE/x",
        "/secure;x/x",
        "/public/../secure/x",
        "/%73ecure/x",
    ] {
        let resp = verify_as(&app, &alice, spelled).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{spelled}");
    }
    // A client cannot bring its own methods.
    let cookie = format!("rampart_session={}", alice.session_token().unwrap());
    let forged = crate::forward_auth::verify_with(
        &app,
        app.base.trim_start_matches("http://"),
        "/secure/x",
        &[("cookie", &cookie), ("remote-auth-methods", "pwd,otp")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // Enrolling proves the factor in this session: it now passes.
    let (_secret, codes) = enrol(&app, &alice).await;
    let resp = verify_as(&app, &alice, "/secure/x").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "pwd,otp");

    // A sign-in with the password and a recovery code passes too, and asks
    // to be remembered.
    let bob_device = app.browser();
    let resp = bob_device.login_remembered("alice").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        answer(&bob_device, &codes[0]).await.status(),
        StatusCode::SEE_OTHER
    );
    let resp = verify_as(&app, &bob_device, "/secure/x").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "pwd,rec");

    // Remember-me alone never satisfies the rule.
    let remembered = app.browser();
    remembered.set_cookie(
        "rampart_remember",
        &bob_device.cookie("rampart_remember").unwrap(),
    );
    assert_eq!(remembered.status("/account").await, StatusCode::OK);
    let resp = verify_as(&app, &remembered, "/x").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "remember_me");
    let target = format!("{}/secure/x?y=1", app.base);
    let resp = verify_as(&app, &remembered, "/secure/x?y=1").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&resp, "location"),
        format!("{}/reauth?next={}", app.base, urlencode(&target))
    );

    // The step-up: the password alone is not enough; with a code, back to
    // the application, with a new session token.
    let before = remembered.session_token().unwrap();
    let resp = reauth(&remembered, &target, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = reauth(&remembered, &target, Some(&codes[1])).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), target);
    let after = remembered.session_token().unwrap();
    assert_ne!(before, after, "the session token is rotated");
    let resp = verify_as(&app, &remembered, "/secure/x").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "pwd,rec");
    let old = format!("rampart_session={before}");
    assert_eq!(
        verify(&app, "/x", Some(("cookie", &old))).await.status(),
        StatusCode::UNAUTHORIZED,
        "the token before the step-up no longer works"
    );

    // A personal access token cannot step up: 403 at a two_factor rule.
    let signed_in: Value = reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"username": "alice", "password": GOOD_PASSWORD, "code": codes[2]}))
        .fetch_json()
        .await;
    let api = signed_in["token"].as_str().unwrap().to_owned();
    let pat = format!("Bearer {}", app.api().token(&api, &["proxy"]).await);
    let resp = verify(&app, "/secure/x", Some(("authorization", &pat))).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = verify(&app, "/x", Some(("authorization", &pat))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "");
    // An API session signed in with its code passes.
    let bearer = format!("Bearer {api}");
    let resp = verify(&app, "/secure/x", Some(("authorization", &bearer))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "remote-auth-methods"), "pwd,rec");
}

#[backend_test]
async fn reauth_asks_for_the_second_factor_and_rotates_the_token(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let alice = app.signed_up("alice").await;

    // Without a second factor: the password, and a new token.
    let page = alice.page("/reauth").await;
    assert!(!page.contains("name=\"code\""), "no code field");
    let before = alice.session_token().unwrap();
    let resp = reauth(&alice, "/account/sessions", None).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), "/account/sessions");
    let after = alice.session_token().unwrap();
    assert_ne!(before, after);
    let stale = app.browser_with_session(&before);
    assert_eq!(
        stale.status("/account").await,
        StatusCode::SEE_OTHER,
        "the old token is gone"
    );
    assert_eq!(alice.status("/account").await, StatusCode::OK);

    // With one: the page asks for the code, and the password alone, a
    // wrong code or a used code are refused without rotating anything.
    let (secret, codes) = enrol(&app, &alice).await;
    let page = alice.page("/reauth").await;
    assert!(page.contains("name=\"code\""), "a code field");
    let before = alice.session_token().unwrap();
    let used = app.totp_code(&secret, 0);
    for code in [None, Some("000000"), Some(used.as_str())] {
        let resp = reauth(&alice, "/account", code).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{code:?}");
        assert_eq!(alice.session_token().unwrap(), before);
    }
    // A wrong password with a good code is refused too, and the code is not
    // spent on it.
    let page = alice.page("/reauth").await;
    let resp = alice
        .post(
            "/reauth",
            &[
                ("password", "not-the-password-at-all"),
                ("code", &codes[0]),
                ("next", "/account"),
                ("csrf_token", &csrf_from(&page).unwrap()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = reauth(&alice, "/account", Some(&app.totp_code(&secret, 1))).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_ne!(alice.session_token().unwrap(), before);
    let resp = reauth(&alice, "/account", Some(&codes[0])).await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "the recovery code was not spent"
    );
    // Somewhere else is never a target.
    let resp = reauth(&alice, "https://evil.example/x", Some(&codes[1])).await;
    assert_eq!(header(&resp, "location"), "/account");
    // Each success is in the audit trail with what it proved: once with the
    // password alone, then with a code, then twice with a recovery code.
    let proved = |methods: &'static str| {
        let app = &app;
        async move {
            app.scalar(
                "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.succeeded' AND username = 'alice' \
                 AND details LIKE '%\"reauthentication\":true%' AND details LIKE $1",
                &format!("%\"methods\":\"{methods}\"%"),
            )
            .await
        }
    };
    assert_eq!(proved("pwd").await, 1);
    assert_eq!(proved("pwd,otp").await, 1);
    assert_eq!(proved("pwd,rec").await, 2);
}
