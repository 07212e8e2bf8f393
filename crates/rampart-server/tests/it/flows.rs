//! The page flows of `docs/api.md` for /login, /register, /logout
//! and /account.

use rampart_testkit::api::location;
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;

#[backend_test]
async fn register_signs_in_and_greets_by_name(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    assert_eq!(browser.status("/register").await, StatusCode::OK);
    let resp = browser.sign_up("alice").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account");
    let page = browser.get("/account").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Hello, alice"));
}

#[backend_test]
async fn register_problems_are_listed_and_values_kept(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let resp = browser
        .send_form(
            "/register",
            &[
                ("username", "x"),
                ("email", "not-an-email"),
                ("password", "pass"),
                ("password_confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    for expected in [
        "Username must be 3 to 32 characters long.",
        "Enter a valid e-mail address",
        "Password must be at least 8 characters long.",
        "most common passwords",
        "The two passwords do not match.",
        "value=\"x\"",
        "value=\"not-an-email\"",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
    assert!(
        !html.contains("something else"),
        "passwords are never echoed"
    );
    let resp = browser
        .send_form(
            "/register",
            &[
                ("username", "alice"),
                ("email", "alice@example.com"),
                ("password", "Alice"),
                ("password_confirm", "Alice"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    rampart_testkit::assert_body(resp, "must not be the same as your username").await;
    assert_eq!(app.account_count().await, 0, "nothing was created");
}

#[backend_test]
async fn login_by_username_or_email_redirects_to_next_or_account(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser()
        .register("Bob", "Bob@Example.com", GOOD_PASSWORD)
        .await;

    let by_name = app.browser();
    let resp = by_name.login("bob", GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account");

    let by_mail = app.browser();
    let resp = by_mail.login("bob@example.COM", GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    let with_next = app.browser();
    let html = with_next.page("/login?next=%2Faccount%3Ftab%3D1").await;
    // minijinja escapes '/' as &#x2f; inside the attribute; browsers decode it.
    assert!(
        html.contains("name=\"next\" value=\"&#x2f;account?tab=1\""),
        "{html}"
    );
    let token = csrf_from(&html).unwrap();
    let resp = with_next
        .post(
            "/login",
            &[
                ("username", "bob"),
                ("password", GOOD_PASSWORD),
                ("next", "/account?tab=1"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account?tab=1");
}

#[backend_test]
async fn login_issues_a_new_session_token(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("carol").await;
    let browser = app.browser();
    browser.get("/login").await;
    let pre_login = browser.session_token().expect("a pre-login session cookie");
    let resp = browser.login("carol", GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let after = browser.session_token().unwrap();
    assert_ne!(pre_login, after, "no session fixation");
    assert!(
        pre_login.starts_with("anon."),
        "pre-login tokens are marked: {pre_login}"
    );
    // Dressing a real session token up as anonymous only makes it anonymous.
    let dressed = app.browser_with_session(&format!("anon.{after}"));
    assert_eq!(dressed.status("/account").await, StatusCode::SEE_OTHER);
    assert!(after.len() >= 22, "at least 128 bits");
    // The planted pre-login token grants nothing.
    let attacker = app.browser_with_session(&pre_login);
    assert_eq!(attacker.status("/account").await, StatusCode::SEE_OTHER);
    // Signing in again from a signed-in browser rotates too and ends the old session.
    browser.login("carol", GOOD_PASSWORD).await;
    let third = browser.session_token().unwrap();
    assert_ne!(third, after);
    let replay = app.browser_with_session(&after);
    assert_eq!(replay.status("/account").await, StatusCode::SEE_OTHER);
}

#[backend_test]
async fn unknown_user_and_wrong_password_look_the_same(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("dave").await;
    let browser = app.browser();
    let token = browser.csrf("/login").await;
    let wrong = browser
        .post(
            "/login",
            &[
                ("username", "dave"),
                ("password", "not the password"),
                ("csrf_token", &token),
            ],
        )
        .await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = browser
        .post(
            "/login",
            &[
                ("username", "nobody-here"),
                ("password", "not the password"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), wrong_status);
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
    assert!(wrong_body.contains("The username or password is incorrect"));
}

#[backend_test]
async fn locked_account_gets_the_generic_answer(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let victim = app.signed_up("erin").await;
    assert_eq!(victim.status("/account").await, StatusCode::OK);
    app.lock("erin", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    assert_eq!(
        victim.status("/account").await,
        StatusCode::SEE_OTHER,
        "locking ends sessions at once"
    );
    let browser = app.browser();
    let resp = browser.login("erin", GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    rampart_testkit::assert_body(resp, "The username or password is incorrect").await;
    app.unlock("erin", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    assert_eq!(
        browser.login("erin", GOOD_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[backend_test]
async fn next_must_be_a_local_path(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("frank").await;
    for evil in [
        "//evil.com",
        "https://evil.com/x",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "javascript:alert(1)",
    ] {
        let browser = app.browser();
        let token = browser.csrf("/login").await;
        let resp = browser
            .post(
                "/login",
                &[
                    ("username", "frank"),
                    ("password", GOOD_PASSWORD),
                    ("next", evil),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&resp), "/account", "next={evil:?} must be ignored");
        let html = app
            .browser()
            .get(&format!("/login?next={}", urlencode(evil)))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !html.contains("name=\"next\""),
            "next={evil:?} must not reach the form"
        );
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[backend_test]
async fn logout_kills_the_session_server_side(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("grace").await;
    let token = browser.session_token().unwrap();
    let resp = browser.logout().await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login");
    let cookie = resp.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("rampart_session=;"), "{cookie}");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    // Replaying the old token does not work: it was deleted server-side.
    let thief = app.browser_with_session(&token);
    assert_eq!(thief.status("/account").await, StatusCode::SEE_OTHER);
}

#[backend_test]
async fn logout_is_post_only(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("heidi").await;
    assert_eq!(
        browser.status("/logout").await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(browser.status("/account").await, StatusCode::OK);
}

#[backend_test]
async fn account_requires_sign_in(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let resp = app.browser().get("/account").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login?next=%2Faccount");
}

#[backend_test]
async fn cookie_has_the_contract_attributes(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let resp = browser.sign_up("ivan").await;
    let cookie = resp.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("rampart_session="), "{cookie}");
    for attribute in ["HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP development has no Secure flag: {cookie}"
    );

    // Over HTTPS (behind a TLS proxy): __Host- prefix and Secure.
    let https = TestApp::spawn_with(&backend, |raw| raw.behind_tls_proxy = Some(true)).await;
    let resp = https.browser().get("/login").await;
    let cookie = resp.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-rampart_session="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[backend_test]
async fn duplicate_username_and_email_are_refused_case_insensitively(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    assert_eq!(
        app.browser().sign_up("judy").await.status(),
        StatusCode::SEE_OTHER
    );
    let resp = app
        .browser()
        .register("JUDY", "other@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    rampart_testkit::assert_body(resp, "This username is already taken").await;
    let resp = app
        .browser()
        .register("judy2", "JUDY@EXAMPLE.COM", GOOD_PASSWORD)
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    rampart_testkit::assert_body(resp, "e-mail address already exists").await;
    assert_eq!(app.account_count().await, 1);
}

#[backend_test]
async fn closed_registration_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| raw.registration = Some("closed".into())).await;
    let browser = app.browser();
    assert_eq!(browser.status("/register").await, StatusCode::FORBIDDEN);
    let token = browser.csrf("/login").await;
    let resp = browser
        .post(
            "/register",
            &[
                ("username", "kim"),
                ("email", "kim@example.com"),
                ("password", GOOD_PASSWORD),
                ("password_confirm", GOOD_PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.account_count().await, 0);
}

/// ASVS 7.4.4: every page a signed-in person sees carries the header's
/// sign-out button (a POST with the CSRF token), and it works; anonymous
/// pages offer the ways in instead.
#[backend_test]
async fn every_signed_in_page_offers_sign_out(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("ada").await;
    app.make_admin("ada").await;
    let sign_out_form = "<form method=\"post\" action=\"/logout\"";
    for path in [
        "/account",
        "/account/sessions",
        "/account/password",
        "/account/email",
        "/account/mfa/totp",
        "/account/tokens",
        "/account/delete",
        "/reauth",
        "/admin",
        "/admin/users",
    ] {
        let resp = browser.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let html = resp.text().await.unwrap();
        assert_eq!(html.matches(sign_out_form).count(), 1, "{path}");
        assert!(
            html.contains("href=\"/admin\""),
            "{path}: staff see the console"
        );
    }
    // The header's button signs out.
    let page = browser.page("/account/sessions").await;
    let token = csrf_from(&page).unwrap();
    let resp = browser.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.status("/account").await, StatusCode::SEE_OTHER);
    // Anonymous pages: the ways in, no sign-out.
    for path in ["/login", "/register", "/password/forgot"] {
        let html = browser.page(path).await;
        assert!(!html.contains(sign_out_form), "{path}");
        assert!(html.contains("href=\"/login\""), "{path}");
    }
}

/// ASVS 6.2.8 and NIST: the password is checked exactly as it was set: no
/// truncation (even at 1024 bytes), no case folding, no trimming.
#[backend_test]
async fn passwords_are_verified_exactly_as_typed(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = reqwest::Client::new();
    let long = "a long unusual phrase 42 ".repeat(41)[..1024].to_owned();
    let sign_in = |name: &'static str, password: String| {
        let api = api.clone();
        let url = app.url("/api/v1/sessions");
        async move {
            api.post(url)
                .json(&serde_json::json!({"username": name, "password": password}))
                .fetch()
                .await
                .status()
        }
    };
    for (name, password) in [("lena", long.clone()), ("mia", GOOD_PASSWORD.to_owned())] {
        let created = api
            .post(app.url("/api/v1/users"))
            .json(&serde_json::json!({"username": name, "email": format!("{name}@example.com"), "password": password}))
            .fetch().await;
        assert_eq!(created.status(), StatusCode::CREATED, "{name}");
        let mut near = vec![
            password[..password.len() - 1].to_owned(),
            password.to_uppercase(),
            format!(" {}", &password[1..]),
            format!("{} ", &password[..password.len() - 1]),
        ];
        if password.len() < 1024 {
            near.push(format!("{password} "));
            near.push(format!("{password}x"));
        }
        for wrong in near {
            // Past any lock the attempts before it earned.
            app.clock.advance(time::Duration::hours(2));
            assert_eq!(
                sign_in(name, wrong.clone()).await,
                StatusCode::UNAUTHORIZED,
                "{name}: {:?}",
                &wrong[wrong.len().saturating_sub(8)..]
            );
        }
        app.clock.advance(time::Duration::hours(2));
        assert_eq!(sign_in(name, password).await, StatusCode::CREATED, "{name}");
    }
}

/// ASVS 6.2.10: a password does not expire with time.
#[backend_test]
async fn passwords_do_not_expire(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("olga").await;
    browser.logout().await;
    app.clock.advance(time::Duration::days(400));
    let resp = browser.login("olga", GOOD_PASSWORD).await;
    assert_eq!(location(&resp), "/account");
    assert_eq!(browser.status("/account").await, StatusCode::OK);
}
