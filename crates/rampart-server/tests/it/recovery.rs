//! Mailed links over a real SMTP conversation: password reset (HTML and
//! JSON), e-mail verification, password change, and an SMTP outage that loses
//! nothing.

use rampart_testkit::api::location;
use rampart_testkit::smtp::{SmtpSink, token_in};
use rampart_testkit::{Backend, Fetch, Forwarded, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a brand new passphrase 9";

#[backend_test]
async fn password_reset_by_mail_works_once(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let signed_in = app.signed_up("alice").await;
    // What else could act as alice: a remember-me browser and a token.
    let remembered = app.browser();
    remembered.login_remembered("alice").await;
    assert!(remembered.cookie("rampart_remember").is_some());
    let session = app.api_login("alice", GOOD_PASSWORD).await;
    let pat = app.api().token(&session, &["read:me", "proxy"]).await;
    let me_with = |token: String| {
        reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(me_with(pat.clone()).await.unwrap().status(), StatusCode::OK);

    let browser = app.browser();
    let resp = browser
        .send_form("/password/forgot", &[("email", "ALICE@example.com")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mail = sink.wait_for_subject("Reset your password").await;
    assert!(mail.contains("To: alice@example.com"), "{mail}");
    let token = token_in(&mail, "/password/reset").expect("a reset link");
    assert!(mail.contains(&format!("{}/password/reset?token=", app.base)));

    let form = browser.get(&format!("/password/reset?token={token}")).await;
    assert_eq!(form.status(), StatusCode::OK);
    let csrf = csrf_from(&form.text().await.unwrap()).unwrap();
    let weak = browser.reset_password(&token, "password", &csrf).await;
    assert_eq!(
        weak.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the policy applies; the link stays usable"
    );
    let resp = browser.reset_password(&token, NEW_PASSWORD, &csrf).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login");

    assert_eq!(
        signed_in.status("/account").await,
        StatusCode::SEE_OTHER,
        "every session ended"
    );
    assert_eq!(
        me_with(session).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "API sessions too"
    );
    assert_eq!(
        me_with(pat.clone()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "personal access tokens end with a reset"
    );
    let verify = reqwest::Client::new()
        .get(app.url("/auth/verify"))
        .forwarded("GET", "http", "app.example.com", "/")
        .bearer_auth(&pat)
        .fetch()
        .await;
    assert_eq!(
        verify.status(),
        StatusCode::UNAUTHORIZED,
        "and at forward-auth"
    );
    remembered.set_session_token("stale");
    assert_eq!(
        remembered.status("/account").await,
        StatusCode::SEE_OTHER,
        "the remember-me series ended"
    );
    assert_eq!(
        app.browser().login("alice", GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.browser().login("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let again = browser
        .reset_password(&token, "yet another phrase 5", &csrf)
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
    assert_eq!(
        browser
            .status(&format!("/password/reset?token={token}"))
            .await,
        StatusCode::BAD_REQUEST
    );
    let notice = sink.wait_for_subject("Your password was changed").await;
    assert!(notice.contains("alice"));
    assert!(
        notice.contains("personal access token") && notice.contains("known device"),
        "the notice says what ended: {notice}"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM one_time_tokens WHERE token_hash = $1",
            &token
        )
        .await,
        0,
        "tokens are never stored in clear"
    );
    // The sender deletes a row just after the SMTP server accepted it.
    let mut queued = -1;
    for _ in 0..100 {
        queued = app.count("SELECT COUNT(*) FROM outbox").await;
        if queued == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(queued, 0, "delivered mails leave the outbox");
}

#[backend_test]
async fn reset_answers_the_same_for_unknown_addresses(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    app.browser().sign_up("bob").await;
    sink.wait_for_subject("Confirm your e-mail address").await;
    let browser = app.browser();
    let known = browser
        .send_form("/password/forgot", &[("email", "bob@example.com")])
        .await;
    let (known_status, known_body) = (known.status(), known.text().await.unwrap());
    let unknown = browser
        .send_form("/password/forgot", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(unknown.status(), known_status);
    assert_eq!(unknown.text().await.unwrap(), known_body);
    let invalid = browser
        .send_form("/password/forgot", &[("email", "not an address")])
        .await;
    assert_eq!(invalid.status(), known_status);
    sink.wait_for_subject("Reset your password").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let resets = sink
        .messages()
        .iter()
        .filter(|m| m.contains("Subject: Reset your password"))
        .count();
    assert_eq!(resets, 1, "only the real account gets a mail");
}

#[backend_test]
async fn reset_links_expire_and_die_after_a_password_change(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    app.signed_up("carol").await;
    app.browser()
        .send_form("/password/forgot", &[("email", "carol@example.com")])
        .await;
    let token = token_in(
        &sink.wait_for_subject("Reset your password").await,
        "/password/reset",
    )
    .unwrap();
    app.clock.advance(time::Duration::minutes(31));
    assert_eq!(
        app.browser()
            .status(&format!("/password/reset?token={token}"))
            .await,
        StatusCode::BAD_REQUEST,
        "expired after 30 minutes"
    );

    let browser = app.browser();
    browser.login("carol", GOOD_PASSWORD).await;
    app.browser()
        .send_form("/password/forgot", &[("email", "carol@example.com")])
        .await;
    let second = loop {
        let tokens: Vec<String> = sink
            .messages()
            .iter()
            .filter(|m| m.contains("Subject: Reset your password"))
            .filter_map(|m| {
                token_in(
                    &rampart_testkit::smtp::decode_quoted_printable(m),
                    "/password/reset",
                )
            })
            .collect();
        if tokens.len() == 2 {
            break tokens[1].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        app.browser()
            .status(&format!("/password/reset?token={second}"))
            .await,
        StatusCode::OK
    );
    let resp = browser.change_password(GOOD_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.browser()
            .status(&format!("/password/reset?token={second}"))
            .await,
        StatusCode::BAD_REQUEST,
        "a password change voids reset links"
    );
}

#[backend_test]
async fn mail_survives_an_smtp_outage(backend: Backend) {
    let (app, port) = TestApp::spawn_with_dead_smtp(&backend).await;
    let resp = app.browser().sign_up("dave").await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "registration succeeds with SMTP down"
    );
    let resp = app
        .browser()
        .send_form("/password/forgot", &[("email", "dave@example.com")])
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the reset request succeeds with SMTP down"
    );
    // Let the sender fail at least once.
    let mut failed = 0;
    for _ in 0..100 {
        failed = app
            .count("SELECT COUNT(*) FROM outbox WHERE attempts > 0")
            .await;
        if failed >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        failed, 2,
        "both mails wait in the outbox after a failed attempt"
    );
    let sink = SmtpSink::start_on(port).await;
    app.clock.advance(time::Duration::seconds(10));
    let mail = sink.wait_for_subject("Reset your password").await;
    assert!(token_in(&mail, "/password/reset").is_some());
    sink.wait_for_subject("Confirm your e-mail address").await;
}

#[backend_test]
async fn email_verification_needs_a_post(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let browser = app.signed_up("erin").await;
    let mail = sink.wait_for_subject("Confirm your e-mail address").await;
    let token = token_in(&mail, "/verify-email").unwrap();
    let page = browser.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Confirm my e-mail address"));
    assert!(
        browser.page("/account").await.contains("not yet verified"),
        "GET changed nothing"
    );
    let csrf = csrf_from(&html).unwrap();
    let resp = browser
        .post("/verify-email", &[("token", &token), ("csrf_token", &csrf)])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("is confirmed"));
    assert!(!browser.page("/account").await.contains("not yet verified"));
    let again = browser
        .post("/verify-email", &[("token", &token), ("csrf_token", &csrf)])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
    let forged = browser
        .post("/verify-email", &[("token", "nope"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
}

#[backend_test]
async fn change_password_rotates_this_session_and_ends_others(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let browser = app.signed_up("frank").await;
    let other = app.browser();
    other.login("frank", GOOD_PASSWORD).await;
    let before = browser.session_token().unwrap();
    let wrong = browser.change_password("not it at all", NEW_PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    rampart_testkit::assert_body(wrong, "current password is incorrect").await;
    let resp = browser.change_password(GOOD_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let after = browser.session_token().unwrap();
    assert_ne!(before, after, "this session was rotated");
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    assert_eq!(
        other.status("/account").await,
        StatusCode::SEE_OTHER,
        "other sessions ended"
    );
    let replay = app.browser_with_session(&before);
    assert_eq!(
        replay.status("/account").await,
        StatusCode::SEE_OTHER,
        "the old token is dead"
    );
    sink.wait_for_subject("Your password was changed").await;
    assert_eq!(
        app.browser().status("/account/password").await,
        StatusCode::SEE_OTHER,
        "sign-in required"
    );
}

#[backend_test]
async fn json_password_reset(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let api = reqwest::Client::new();
    let url = |p: &str| app.url(&format!("/api/v1{p}"));
    api.post(url("/users"))
        .json(&json!({"username": "gina", "email": "gina@example.com", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    for email in ["gina@example.com", "nobody@example.com"] {
        let resp = api
            .post(url("/password-resets"))
            .json(&json!({"email": email}))
            .fetch()
            .await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
    }
    let token = token_in(
        &sink.wait_for_subject("Reset your password").await,
        "/password/reset",
    )
    .unwrap();
    let resp = api
        .post(url("/password-resets/confirm"))
        .json(&json!({"token": token, "password": "password"}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = api
        .post(url("/password-resets/confirm"))
        .json(&json!({"token": token, "password": NEW_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = api
        .post(url("/password-resets/confirm"))
        .json(&json!({"token": token, "password": NEW_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_token");
    let resp = api
        .post(url("/sessions"))
        .json(&json!({"username": "gina", "password": NEW_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[backend_test]
async fn changing_the_email_needs_the_new_address_to_confirm(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let browser = app.signed_up("hana").await;
    app.browser().sign_up("ivo").await;
    let taken = browser
        .send_form("/account/email", &[("email", "IVO@example.com")])
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.unwrap().contains("Another account uses"));
    let resp = browser
        .send_form("/account/email", &[("email", "hana.new@example.com")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let confirm = sink
        .wait_for_subject("Confirm your new e-mail address")
        .await;
    assert!(confirm.contains("To: hana.new@example.com"), "{confirm}");
    let notice = sink
        .wait_for_subject("Your e-mail address is being changed")
        .await;
    assert!(notice.contains("To: hana@example.com") && notice.contains("hana.new@example.com"));
    let token = token_in(&confirm, "/account/email/confirm").unwrap();

    let other = app.browser();
    let page = other
        .get(&format!("/account/email/confirm?token={token}"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        browser.page("/account").await.contains("hana@example.com"),
        "GET changed nothing"
    );
    let csrf = csrf_from(&page.text().await.unwrap()).unwrap();
    let done = other
        .post(
            "/account/email/confirm",
            &[("token", &token), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let account = browser.page("/account").await;
    assert!(
        account.contains("hana.new@example.com") && !account.contains("not yet verified"),
        "{account}"
    );
    let again = other
        .post(
            "/account/email/confirm",
            &[("token", &token), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
    assert_eq!(
        app.browser()
            .login("hana.new@example.com", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    app.clock.advance(time::Duration::minutes(11));
    let stale = browser.get("/account/email").await;
    assert!(
        location(&stale).starts_with("/reauth"),
        "a fresh sign-in is required"
    );
}

#[backend_test]
async fn verification_mail_can_be_resent_but_not_too_often(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let browser = app.signed_up("jan").await;
    sink.wait_for(1).await;
    let resp = browser
        .submit("/account", "/account/verify-email/resend", &[])
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the registration mail went out moments ago"
    );
    assert!(resp.headers().get("retry-after").is_some());
    app.clock.advance(time::Duration::minutes(6));
    let browser2 = app.browser();
    browser2.login("jan", GOOD_PASSWORD).await;
    let resp = browser2
        .submit("/account", "/account/verify-email/resend", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mails = sink.wait_for(2).await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.contains("Subject: Confirm your e-mail address"))
            .count(),
        2
    );
}

#[backend_test]
async fn mail_templates_can_be_overridden(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mail")).unwrap();
    std::fs::write(
        dir.path().join("mail/password_reset.txt"),
        "ACME account desk. Reset here: {{ link }}\n",
    )
    .unwrap();
    let sink = SmtpSink::start().await;
    let url = format!("smtp://{}", sink.addr);
    let templates = dir.path().to_path_buf();
    let app = TestApp::spawn_with(&backend, move |raw| {
        raw.smtp_url = Some(url);
        raw.templates_dir = Some(templates);
    })
    .await;
    app.browser().sign_up("kai").await;
    app.browser()
        .send_form("/password/forgot", &[("email", "kai@example.com")])
        .await;
    let mail = sink.wait_for_subject("Reset your password").await;
    assert!(mail.contains("ACME account desk"), "{mail}");
    assert!(
        mail.contains("Choose a new password"),
        "the HTML part is still the built-in one"
    );
    assert!(token_in(&mail, "/password/reset").is_some());
}

/// The reason a refused password gives, from a 422 JSON answer.
fn refusal(body: &Value) -> String {
    body["error"]["details"].to_string() + &body["error"]["message"].to_string()
}

/// Passwords containing the site's words, the username, the e-mail's local
/// part or an operator's word are refused, with the word named, at
/// registration, password change, reset and `rampart user create`.
#[backend_test]
async fn words_of_the_site_and_the_account_are_refused_everywhere(backend: Backend) {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://{}", sink.addr);
    let app = TestApp::spawn_with(&backend, move |raw| {
        raw.smtp_url = Some(url);
        raw.site_name = Some("Acme Portal".into());
        raw.password.get_or_insert_default().context_words = Some(vec!["Roadrunner".into()]);
    })
    .await;
    let api = reqwest::Client::new();
    let url = |p: &str| app.url(&format!("/api/v1{p}"));
    // Registration (API).
    for (password, word) in [
        ("my rampart passphrase", "rampart"),
        ("ACME is my employer 7", "acme"),
        ("the portal phrase 123", "portal"),
        ("beep beep roadrunner 9", "roadrunner"),
        ("wile.e and friends 77", "wile.e"),
        ("coyote mail 2024 forever", "coyote"),
    ] {
        let resp = api
            .post(url("/users"))
            .json(
                &json!({"username": "wile.e", "email": "coyote@example.com", "password": password}),
            )
            .fetch()
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}"
        );
        let body: Value = resp.json().await.unwrap();
        assert!(refusal(&body).contains(word), "{password}: {body}");
    }
    // Registration (page) names the reason too.
    let browser = app.browser();
    let page = browser
        .register("wile.e", "coyote@example.com", "my rampart passphrase")
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("rampart"));
    browser
        .register("wile.e", "coyote@example.com", GOOD_PASSWORD)
        .await;
    // Password change.
    let resp = browser
        .change_password(GOOD_PASSWORD, "acme rockets for sale")
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("acme"));
    // Reset.
    api.post(url("/password-resets"))
        .json(&json!({"email": "coyote@example.com"}))
        .fetch()
        .await;
    let token = token_in(
        &sink.wait_for_subject("Reset your password").await,
        "/password/reset",
    )
    .unwrap();
    let resp = api
        .post(url("/password-resets/confirm"))
        .json(&json!({"token": token, "password": "roadrunner again 42"}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert!(refusal(&body).contains("roadrunner"), "{body}");
    // `rampart user create`.
    let mut create = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
    for (key, _) in std::env::vars() {
        if key.starts_with("RAMPART_") {
            create.env_remove(key);
        }
    }
    let out = create
        .env("RAMPART_DATABASE_URL", &app.database_url)
        .env("RAMPART_DATA_DIR", app.data_dir.path())
        .args([
            "user",
            "create",
            "roger",
            "--email",
            "roger@example.com",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"copy that rampart 42\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must not contain \"rampart\""),
        "{out:?}"
    );
}

/// ASVS 6.4.3: resetting a forgotten password does not skip the second
/// factor: the next sign-in still asks for the code, on pages and the API.
#[backend_test]
async fn a_reset_keeps_the_second_factor(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let browser = app.browser();
    crate::mfa::enrol_in_browser(&app, &browser, "tara").await;
    browser.logout().await;
    let api = reqwest::Client::new();
    api.post(app.url("/api/v1/password-resets"))
        .json(&json!({"email": "tara@example.com"}))
        .fetch()
        .await;
    let token = token_in(
        &sink.wait_for_subject("Reset your password").await,
        "/password/reset",
    )
    .unwrap();
    let resp = api
        .post(app.url("/api/v1/password-resets/confirm"))
        .json(&json!({"token": token, "password": NEW_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = browser.login("tara", NEW_PASSWORD).await;
    assert_eq!(rampart_testkit::api::location(&resp), "/login/mfa");
    assert_ne!(browser.status("/account").await, StatusCode::OK);
    let resp = api
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"username": "tara", "password": NEW_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "mfa_required");
}
