//! Two-factor authentication end to end: TOTP enrolment and sign-in through
//! the pages and the JSON API with codes computed by an independent TOTP
//! implementation (the `totp-lite` crate), replay and wrong-code refusal,
//! recovery codes, the half-signed-in state, lock-out, trusted devices,
//! disabling, the operator reset, encryption at rest and key rotation.

use data_encoding::BASE32_NOPAD;
use rampart_testkit::api::{error_code, location};
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use std::process::Command;
use time::Duration;

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    let len = html[from..].find(end).unwrap();
    &html[from..from + len]
}

fn recovery_codes_in(html: &str) -> Vec<String> {
    let list = between(html, "id=\"recovery-codes\">", "</ul>");
    list.split("<code>")
        .skip(1)
        .map(|c| c.split("</code>").next().unwrap().to_owned())
        .collect()
}

/// Registers `name` in the browser and enrols TOTP on the account page;
/// returns the base32 secret and the recovery codes.
pub(crate) async fn enrol_in_browser(
    app: &TestApp,
    browser: &Browser,
    name: &str,
) -> (String, Vec<String>) {
    browser.sign_up(name).await;
    enrol(app, browser).await
}

/// Enrols TOTP on the account page of the signed-in `browser`; returns the
/// base32 secret and the recovery codes.
pub(crate) async fn enrol(app: &TestApp, browser: &Browser) -> (String, Vec<String>) {
    let page = browser.get("/account/mfa/totp").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "the QR code is inline SVG");
    let secret = between(&html, "id=\"totp-secret\">", "<").to_owned();
    let uri = between(&html, "id=\"otpauth-uri\">", "<")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&secret));
    assert_eq!(BASE32_NOPAD.decode(secret.as_bytes()).unwrap().len(), 20);
    // Showing the page again shows the same pending secret.
    let again = browser.page("/account/mfa/totp").await;
    assert!(again.contains(&secret));

    let csrf = csrf_from(&html).unwrap();
    let wrong = browser
        .post(
            "/account/mfa/totp",
            &[("code", "000000"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let right = browser
        .post(
            "/account/mfa/totp",
            &[("code", &app.totp_code(&secret, 0)), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    let codes = recovery_codes_in(&right.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    for c in &codes {
        assert_eq!(c.len(), 11, "{c}");
        assert_eq!(&c[5..6], "-");
        assert!(
            c.chars()
                .all(|ch| ch == '-' || ch.is_ascii_lowercase() || ch.is_ascii_digit())
        );
    }
    (secret, codes)
}

pub(crate) async fn answer(browser: &Browser, code: &str) -> reqwest::Response {
    browser.send_form("/login/mfa", &[("code", code)]).await
}

#[backend_test]
async fn totp_through_the_pages(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let browser = app.browser();
    let (secret, codes) = enrol_in_browser(&app, &browser, "alice").await;
    sink.wait_for_subject("Your two-factor authentication changed")
        .await;
    browser.logout().await;

    // The password alone leads to the second step, not into the account.
    let resp = browser.login("alice", GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login/mfa");
    assert_eq!(browser.status("/login/mfa").await, StatusCode::OK);
    // A wrong code is 401; the code already used at enrolment is a replay.
    assert_eq!(
        answer(&browser, "123456").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        answer(&browser, &app.totp_code(&secret, 0)).await.status(),
        StatusCode::UNAUTHORIZED,
        "a code of an already used step is refused"
    );
    let next = app.totp_code(&secret, 1);
    let resp = answer(&browser, &next).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account");
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    browser.logout().await;

    // The same code again, in a new sign-in: refused.
    browser.login("alice", GOOD_PASSWORD).await;
    assert_eq!(
        answer(&browser, &next).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A recovery code works once (typed in capitals, without the dash).
    let typed = codes[3].replace('-', "").to_uppercase();
    let resp = answer(&browser, &typed).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    let mail = sink
        .wait_for_subject("A recovery code of your account was used")
        .await;
    assert!(mail.contains("9 unused recovery codes"), "{mail}");
    browser.logout().await;
    browser.login("alice", GOOD_PASSWORD).await;
    assert_eq!(
        answer(&browser, &codes[3]).await.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code is single use"
    );

    // New recovery codes replace the old set.
    assert_eq!(
        answer(&browser, &codes[4]).await.status(),
        StatusCode::SEE_OTHER
    );
    let fresh = browser
        .submit("/account/mfa/totp", "/account/mfa/recovery-codes", &[])
        .await;
    assert_eq!(fresh.status(), StatusCode::OK);
    let new_codes = recovery_codes_in(&fresh.text().await.unwrap());
    assert_eq!(new_codes.len(), 10);
    browser.logout().await;
    browser.login("alice", GOOD_PASSWORD).await;
    assert_eq!(
        answer(&browser, &codes[5]).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old set died"
    );
    assert_eq!(
        answer(&browser, &new_codes[0]).await.status(),
        StatusCode::SEE_OTHER
    );

    // Audited, without secrets.
    for kind in ["mfa.enabled", "mfa.failed", "recovery_code.used"] {
        assert!(app.events(kind, "%").await >= 1, "{kind} is recorded");
    }
    for secret_text in [secret.as_str(), codes[3].as_str(), next.as_str()] {
        assert_eq!(
            app.scalar(
                "SELECT COUNT(*) FROM audit_events WHERE details LIKE '%' || $1 || '%'",
                secret_text
            )
            .await,
            0
        );
    }
}

#[backend_test]
async fn totp_through_the_api(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let client = Client::new();
    let created = client
        .post(app.url("/api/v1/users"))
        .json(&json!({"username": "bob", "email": "bob@example.com", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let token = app.api_login("bob", GOOD_PASSWORD).await;
    // A personal access token, even with write:me, cannot change the second factor.
    let api = app.api();
    let pat = api.token(&token, &["read:me", "write:me"]).await;
    let (status, body) = api.post_empty("/me/mfa/totp", &pat).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "session_required");
    let enrol: Value = client
        .post(app.url("/api/v1/me/mfa/totp"))
        .bearer_auth(&token)
        .fetch_json()
        .await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    assert!(
        enrol["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let confirm = |code: String| {
        client
            .post(app.url("/api/v1/me/mfa/totp/confirm"))
            .bearer_auth(&token)
            .json(&json!({ "code": code }))
            .send()
    };
    let wrong = confirm("000000".into()).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_mfa_code");
    let right = confirm(app.totp_code(&secret, 0)).await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    let codes: Value = right.json().await.unwrap();
    assert_eq!(codes["recovery_codes"].as_array().unwrap().len(), 10);
    let (_, me) = api.get("/me", &token).await;
    assert_eq!(me["mfa_enabled"], true);

    let sign_in = |body: Value| client.post(app.url("/api/v1/sessions")).json(&body).send();
    let expect_error = |resp: reqwest::Response, code: &'static str| async move {
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    };
    expect_error(
        sign_in(json!({"username": "bob", "password": GOOD_PASSWORD}))
            .await
            .unwrap(),
        "mfa_required",
    )
    .await;
    expect_error(
        sign_in(json!({"username": "bob", "password": GOOD_PASSWORD, "code": "999999"}))
            .await
            .unwrap(),
        "invalid_mfa_code",
    )
    .await;
    expect_error(
        sign_in(
            json!({"username": "bob", "password": GOOD_PASSWORD, "code": app.totp_code(&secret, 0)}),
        )
        .await
        .unwrap(),
        "invalid_mfa_code",
    )
    .await;
    // A good code with a wrong password tells nothing about the code.
    expect_error(
        sign_in(json!({"username": "bob", "password": "not the password at all", "code": app.totp_code(&secret, 1)}))
            .await
            .unwrap(),
        "invalid_credentials",
    )
    .await;
    app.clock.advance(Duration::seconds(30));
    let ok = sign_in(
        json!({"username": "bob", "password": GOOD_PASSWORD, "code": app.totp_code(&secret, 0)}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    let recovery = codes["recovery_codes"][0].as_str().unwrap().to_owned();
    let by_recovery =
        sign_in(json!({"username": "bob", "password": GOOD_PASSWORD, "code": recovery}))
            .await
            .unwrap();
    assert_eq!(by_recovery.status(), StatusCode::CREATED);
    expect_error(
        sign_in(json!({"username": "bob", "password": GOOD_PASSWORD, "code": recovery}))
            .await
            .unwrap(),
        "invalid_mfa_code",
    )
    .await;

    // Disabling needs the password.
    let disable = |password: &'static str| {
        client
            .delete(app.url("/api/v1/me/mfa/totp"))
            .bearer_auth(&token)
            .json(&json!({ "password": password }))
            .send()
    };
    let refused = disable("not the password at all").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_password");
    assert_eq!(
        disable(GOOD_PASSWORD).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let plain = sign_in(json!({"username": "bob", "password": GOOD_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::CREATED);
    assert!(app.events("mfa.disabled", "%").await == 1);
    // An old sign-in cannot change the second factor.
    app.clock.advance(Duration::minutes(11));
    let (status, body) = api.post_empty("/me/mfa/totp", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "reauthentication_required");
}

#[backend_test]
async fn half_signed_in_visitors_get_nothing(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let (secret, _) = enrol_in_browser(&app, &browser, "carol").await;
    browser.logout().await;
    browser.login("carol", GOOD_PASSWORD).await;
    let challenge = browser.session_token().unwrap();
    assert!(challenge.starts_with("mfa."), "{challenge}");
    for page in [
        "/account",
        "/account/sessions",
        "/account/password",
        "/account/mfa/totp",
    ] {
        let resp = browser.get(page).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{page}");
        assert!(location(&resp).starts_with("/login?next="), "{page}");
    }
    // Forward-auth and every authenticated API route (walked from the
    // served OpenAPI document) refuse the challenge token.
    let verify = browser.get("/auth/verify").await;
    assert_eq!(verify.status(), StatusCode::UNAUTHORIZED);
    let client = Client::new();
    let doc: Value = client
        .get(app.url("/api/v1/openapi.json"))
        .fetch_json()
        .await;
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("security").is_none() {
                continue; // sign-up, sign-in, password reset: anonymous by design
            }
            let url = app.url(&format!(
                "/api/v1{}",
                path.replace("{id}", "00000000-0000-4000-8000-000000000000")
            ));
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let resp = client
                .request(method.clone(), url)
                .bearer_auth(&challenge)
                .json(&json!({}))
                .fetch()
                .await;
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            walked += 1;
        }
    }
    assert!(walked >= 13, "walked {walked} operations");
    // The challenge dies after five minutes.
    app.clock.advance(Duration::minutes(6));
    let resp = browser.get("/login/mfa").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login");
    let csrf = csrf_from(&browser.page("/login").await).unwrap();
    let late = browser
        .post(
            "/login/mfa",
            &[("code", &app.totp_code(&secret, 0)), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(location(&late), "/login");
    assert_eq!(browser.status("/account").await, StatusCode::SEE_OTHER);
}

#[backend_test]
async fn wrong_codes_count_toward_the_lock_out(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let (secret, _) = enrol_in_browser(&app, &browser, "dave").await;
    browser.logout().await;
    browser.login("dave", GOOD_PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(
            answer(&browser, "111111").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = answer(&browser, &app.totp_code(&secret, 1)).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key(header::RETRY_AFTER));
    // The password step is locked for the account too.
    let other = app.browser();
    assert_eq!(
        other.login("dave", GOOD_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(Duration::minutes(2));
    let resp = other.login("dave", GOOD_PASSWORD).await;
    assert_eq!(location(&resp), "/login/mfa");
    assert_eq!(
        answer(&other, &app.totp_code(&secret, 0)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[backend_test]
async fn knowing_the_password_does_not_reset_code_guesses(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let owner = app.browser();
    let (secret, _) = enrol_in_browser(&app, &owner, "hank").await;
    // An attacker with the password signs in afresh before every guess.
    for _ in 0..5 {
        let attacker = app.browser();
        let resp = attacker.login("hank", GOOD_PASSWORD).await;
        assert_eq!(location(&resp), "/login/mfa");
        assert_eq!(
            answer(&attacker, "222222").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let attacker = app.browser();
    let resp = attacker.login("hank", GOOD_PASSWORD).await;
    let status = if location(&resp) == "/login/mfa" {
        answer(&attacker, &app.totp_code(&secret, 1)).await.status()
    } else {
        resp.status()
    };
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The same through the API.
    let api = Client::new()
        .post(app.url("/api/v1/sessions"))
        .json(
            &json!({"username": "hank", "password": GOOD_PASSWORD, "code": app.totp_code(&secret, 1)}),
        )
        .fetch().await;
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[backend_test]
async fn trusted_device_skips_the_code_until_the_password_changes(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.mfa.get_or_insert_default().remember_device = Some(true)
    })
    .await;
    let browser = app.browser();
    let (secret, _) = enrol_in_browser(&app, &browser, "erin").await;
    browser.logout().await;
    browser.login("erin", GOOD_PASSWORD).await;
    let page = browser.page("/login/mfa").await;
    assert!(page.contains("for 30 days"), "{page}");
    let resp = browser
        .send_form(
            "/login/mfa",
            &[("code", &app.totp_code(&secret, 1)), ("trust_device", "on")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(browser.cookie("rampart_trusted").is_some());
    browser.logout().await;
    let resp = browser.login("erin", GOOD_PASSWORD).await;
    assert_eq!(
        location(&resp),
        "/account",
        "a trusted browser skips the code"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.succeeded' AND details LIKE '%' || $1 || '%'",
            "password+trusted_device"
        )
        .await,
        1,
        "the audit trail says how the second step was skipped"
    );
    // The genuine mark works in another browser; a tampered one (well formed,
    // so only the MAC can refuse it) or another user's does not.
    let mark = browser.cookie("rampart_trusted").unwrap();
    let parts: Vec<&str> = mark.split('.').collect();
    assert_eq!(parts.len(), 3, "{mark}");
    let later: i64 = parts[1].parse::<i64>().unwrap() + 86_400;
    let flipped = {
        let mut mac = parts[2].to_owned();
        let last = mac.pop().unwrap();
        mac.push(if last == 'A' { 'B' } else { 'A' });
        mac
    };
    let with_mark = |value: &str| {
        let b = app.browser();
        b.set_cookie("rampart_trusted", value);
        b
    };
    assert_eq!(
        location(&with_mark(&mark).login("erin", GOOD_PASSWORD).await),
        "/account"
    );
    for forged in [
        format!("{}.{later}.{}", parts[0], parts[2]),
        format!("{}.{}.{flipped}", parts[0], parts[1]),
        mark.replace('.', "x"),
    ] {
        assert_eq!(
            location(&with_mark(&forged).login("erin", GOOD_PASSWORD).await),
            "/login/mfa",
            "{forged}"
        );
    }
    let other = app.browser();
    enrol_in_browser(&app, &other, "fred").await;
    other.logout().await;
    assert_eq!(
        location(&with_mark(&mark).login("fred", GOOD_PASSWORD).await),
        "/login/mfa",
        "erin's mark is not fred's"
    );
    // Removing the factor voids the mark: after an operator's reset and a
    // new enrolment, the old mark stands in for nothing.
    let out = rampart_cli(
        &app,
        &[
            "user",
            "reset-mfa",
            "erin",
            "--reason",
            "lost phone, ticket 7",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let again = app.browser();
    assert_eq!(
        location(&again.login("erin", GOOD_PASSWORD).await),
        "/account"
    );
    enrol(&app, &again).await;
    assert_eq!(
        location(&with_mark(&mark).login("erin", GOOD_PASSWORD).await),
        "/login/mfa",
        "the mark of the removed factor skips nothing"
    );
    // A password change voids the mark.
    let changed = browser
        .change_password(GOOD_PASSWORD, "another fine passphrase 5")
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    browser.logout().await;
    let resp = browser.login("erin", "another fine passphrase 5").await;
    assert_eq!(location(&resp), "/login/mfa");
}

pub(crate) fn rampart_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    rampart_cli_with(app, args, &[])
}

/// [`rampart_cli`], which must succeed: what it printed.
pub(crate) fn rampart_cli_ok(app: &TestApp, args: &[&str]) -> String {
    let out = rampart_cli(app, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`rampart_cli`] with more `RAMPART_*` settings.
pub(crate) fn rampart_cli_with(
    app: &TestApp,
    args: &[&str],
    settings: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    for (key, _) in std::env::vars() {
        if key.starts_with("RAMPART_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RAMPART_DATABASE_URL", &app.database_url)
        .env("RAMPART_ROLES__EDITOR__PERMISSIONS", r#"["audit:read"]"#)
        .env("RAMPART_DATA_DIR", app.data_dir.path())
        .envs(settings.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// Every byte of the SQLite database files (empty for PostgreSQL, whose
/// rows are checked by query instead). Read by another process: closing a
/// descriptor of the database file in this process would drop the server's
/// POSIX locks on it (SQLite's documented pitfall).
fn sqlite_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(app.data_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("rampart.db") {
            all.extend(Command::new("cat").arg(&path).output().unwrap().stdout);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[backend_test]
async fn secrets_are_encrypted_and_survive_key_rotation(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let (secret, _) = enrol_in_browser(&app, &browser, "frank").await;
    let raw = BASE32_NOPAD.decode(secret.as_bytes()).unwrap();
    if matches!(backend, Backend::Sqlite) {
        let stored = sqlite_bytes(&app);
        assert!(!stored.is_empty());
        assert!(
            !contains(&stored, secret.as_bytes()),
            "no base32 secret at rest"
        );
        assert!(!contains(&stored, &raw), "no raw secret at rest");
        assert!(!contains(&stored, secret.to_lowercase().as_bytes()));
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM mfa_totp WHERE UPPER(secret) LIKE '%' || $1 || '%'",
            &secret
        )
        .await,
        0,
        "no base32 secret in the row"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mfa_totp WHERE secret LIKE $1", "k0:%")
            .await,
        1
    );

    let said = rampart_cli_ok(&app, &["keys", "rotate"]);
    assert!(said.contains("Added key k1"), "{said}");
    assert!(said.contains("re-encrypted 1"), "{said}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mfa_totp WHERE secret LIKE $1", "k1:%")
            .await,
        1,
        "the row carries the new key id"
    );
    let key_file = std::fs::read_to_string(app.data_dir.path().join("encryption.keys")).unwrap();
    let key = key_file.lines().last().unwrap().split(' ').nth(1).unwrap();
    assert!(
        !contains(&sqlite_bytes(&app), key.as_bytes()),
        "no key in the database"
    );

    // The running server signs the user in with TOTP under the new key.
    browser.logout().await;
    browser.login("frank", GOOD_PASSWORD).await;
    assert_eq!(
        answer(&browser, &app.totp_code(&secret, 1)).await.status(),
        StatusCode::SEE_OTHER
    );
    // A second rotation re-encrypts again; k1 still decrypts until then.
    rampart_cli_ok(&app, &["keys", "rotate"]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mfa_totp WHERE secret LIKE $1", "k2:%")
            .await,
        1
    );
}

#[backend_test]
async fn operator_resets_mfa_and_the_user_disables_it(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let (_secret, _) = enrol_in_browser(&app, &browser, "gina").await;
    browser.logout().await;
    // The operator must say why (after proving who asked: docs/security.md).
    for reason in [
        &[][..],
        &["--reason", "  "][..],
        &["--reason", "two\nlines"][..],
    ] {
        let mut args = vec!["user", "reset-mfa", "gina"];
        args.extend_from_slice(reason);
        let refused = rampart_cli(&app, &args);
        assert!(!refused.status.success(), "{reason:?}");
    }
    let reason = "ticket 4711: called back on the number on file";
    let out = rampart_cli(&app, &["user", "reset-mfa", "gina", "--reason", reason]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.events("mfa.disabled", &format!("%{reason}%")).await,
        1,
        "the reason is in the audit trail"
    );
    let resp = browser.login("gina", GOOD_PASSWORD).await;
    assert_eq!(location(&resp), "/account", "no second step after a reset");
    let again = rampart_cli(&app, &["user", "reset-mfa", "gina", "--reason", "again"]);
    assert!(!again.status.success(), "nothing left to reset is an error");
    let unknown = rampart_cli(&app, &["user", "reset-mfa", "nobody", "--reason", "x"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user is called"));

    // The user enrols again and turns it off with the password.
    let page = browser.page("/account/mfa/totp").await;
    let secret = between(&page, "id=\"totp-secret\">", "<").to_owned();
    let csrf = csrf_from(&page).unwrap();
    app.clock.advance(Duration::seconds(60));
    let on = browser
        .post(
            "/account/mfa/totp",
            &[("code", &app.totp_code(&secret, 0)), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(on.status(), StatusCode::OK);
    let wrong = browser.disable_totp("not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let off = browser.disable_totp(GOOD_PASSWORD).await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    browser.logout().await;
    assert_eq!(
        location(&browser.login("gina", GOOD_PASSWORD).await),
        "/account"
    );
    assert_eq!(
        app.events("mfa.disabled", "%").await,
        2,
        "the operator reset and the user's disable are both audited"
    );
    // Disabling needs a fresh sign-in.
    app.clock.advance(Duration::minutes(11));
    let stale = browser.get("/account/mfa/totp").await;
    assert!(location(&stale).starts_with("/reauth"));
}

/// A password sign-in reads the account's roles in the same statement as
/// its credentials (one string per account): under `mfa.required =
/// "privileged"`, an administrator is known as one whether `admin` is its
/// first role or between others, and accounts with other roles or none are
/// not asked for a second factor.
#[backend_test]
async fn a_sign_in_reads_every_role_with_the_password(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.mfa.get_or_insert_default().required = Some("privileged".into());
    })
    .await;
    let api = app.api();
    for (name, roles) in [
        ("first", &["admin"][..]),
        ("between", &["aaa-team", "admin"][..]),
        ("other", &["zeta-team"][..]),
    ] {
        api.signup(name).await;
        app.grant(name, roles).await;
    }
    api.signup("none").await;
    app.set_roles("none", Vec::new(), &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    for (name, expected) in [
        ("first", StatusCode::FORBIDDEN),
        ("between", StatusCode::FORBIDDEN),
        ("other", StatusCode::CREATED),
        ("none", StatusCode::CREATED),
    ] {
        let (status, body) = api
            .call(
                reqwest::Method::POST,
                "/sessions",
                None,
                Some(json!({"username": name, "password": GOOD_PASSWORD})),
            )
            .await;
        assert_eq!(status, expected, "{name}: {body}");
        if expected == StatusCode::FORBIDDEN {
            assert_eq!(error_code(&body), "mfa_enrollment_required", "{name}");
        }
    }
}

/// `mfa.required = "privileged"`: an account holding a permission and no
/// second factor is signed in only to enrol, and its API sign-in is refused
/// until it has; a plain account is not asked; a wrong password still gets
/// the one generic answer.
#[backend_test]
async fn a_second_factor_can_be_required(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.mfa.get_or_insert_default().required = Some("privileged".into());
    })
    .await;
    let plain = app.signed_up("una").await;
    assert_eq!(plain.status("/account").await, StatusCode::OK);

    let api = app.api();
    api.signup("ops").await;
    app.make_admin("ops").await;
    let sign_in = |password: &'static str, code: Option<String>| {
        let api = &api;
        async move {
            api.call(
                reqwest::Method::POST,
                "/sessions",
                None,
                Some(json!({"username": "ops", "password": password, "code": code})),
            )
            .await
        }
    };
    let (status, body) = sign_in(GOOD_PASSWORD, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "mfa_enrollment_required")
    );
    let (status, body) = sign_in("not the password at all", None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "the policy is only told to whoever knows the password"
    );

    // Someone else holding the password signs in first: confined too.
    let intruder = app.browser();
    intruder.login("ops", GOOD_PASSWORD).await;
    let ops = app.browser();
    let signed = ops.login("ops", GOOD_PASSWORD).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&signed),
        "/account/mfa/totp",
        "sent to enrol first"
    );
    // To the applications behind the proxy it is not signed in, by cookie
    // or by an API session.
    let cookie = format!("rampart_session={}", ops.session_token().unwrap());
    let at_the_proxy =
        crate::forward_auth::verify(&app, "app.example.com", "/", Some(("cookie", &cookie))).await;
    assert_eq!(at_the_proxy.status(), StatusCode::UNAUTHORIZED);
    for page in [
        "/account",
        "/admin",
        "/admin/users",
        "/account/sessions",
        "/account/tokens",
        "/account/password",
    ] {
        let resp = ops.get(page).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(location(&resp), "/account/mfa/totp", "{page}");
    }
    // Other spellings of the allowed pages reach nothing else: the
    // exception is the exact path, and routing matches the exact path too.
    for spelled in [
        "/account/mfa/totp/",
        "/Account/mfa/totp",
        "/account/mfa/%74otp",
        "/account/mfa/totp;/admin",
        "/reauth/oidc",
        "/reauth/",
    ] {
        let resp = ops.get(spelled).await;
        assert_ne!(resp.status(), StatusCode::OK, "{spelled}");
        let page = resp.text().await.unwrap();
        assert!(
            !page.contains("<h1>Administration</h1>"),
            "{spelled}: {page}"
        );
    }
    // A state-changing form elsewhere (with a valid CSRF token) is sent to
    // enrol too, and does nothing.
    let resp = ops
        .submit(
            "/account/mfa/totp",
            "/account/sessions/revoke",
            &[("session_id", "others")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account/mfa/totp");

    let (secret, _) = enrol(&app, &ops).await;
    assert_eq!(ops.status("/account").await, StatusCode::OK);
    let at_the_proxy =
        crate::forward_auth::verify(&app, "app.example.com", "/", Some(("cookie", &cookie))).await;
    assert_eq!(at_the_proxy.status(), StatusCode::OK);
    assert_eq!(ops.status("/admin").await, StatusCode::OK);
    // The owner's enrolment ends the sessions that proved only the password.
    let resp = intruder.get("/account").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login"), "{}", location(&resp));
    let (status, body) = sign_in(GOOD_PASSWORD, Some(app.totp_code(&secret, 1))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, _) = api.get("/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    // Turning the second factor off confines the account again, on the
    // pages and for every credential it holds.
    let off = ops.disable_totp(GOOD_PASSWORD).await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let resp = ops.get("/account").await;
    assert_eq!(location(&resp), "/account/mfa/totp");
    let (status, body) = api.get("/me", &token).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "mfa_enrollment_required")
    );
}

/// In the console, removing someone's second factor needs a reason, which
/// the audit trail records with the administrator's name; the owner is told
/// by mail.
#[backend_test]
async fn an_administrator_resets_a_second_factor_with_a_reason(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let api = rampart_testkit::api::Api::new(&app);
    crate::admin::person(&app, &api, "ada", &["admin"]).await;
    let gina_browser = app.browser();
    enrol_in_browser(&app, &gina_browser, "gina").await;
    sink.wait_for_subject("Your two-factor authentication changed")
        .await;
    let ada = crate::admin::signed_in(&app, "ada").await;
    let token = api.login("ada").await;
    let (_, list) = api.get("/admin/users", &token).await;
    let gina = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "gina")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = format!("/admin/users/{gina}");
    let html = ada.page(&page).await;
    assert!(html.contains("name=\"reason\""), "the form asks why");
    let action = format!("/admin/users/{gina}/mfa/reset");
    for reason in ["", "   ", "line\nbreak"] {
        let resp = ada.submit(&page, &action, &[("reason", reason)]).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason:?}"
        );
    }
    let resp = ada
        .submit(
            &page,
            &action,
            &[("reason", "ticket 99: seen in person with ID")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.events(
            "mfa.disabled",
            "%administrator ada%ticket 99: seen in person with ID%"
        )
        .await,
        1
    );
    // The owner is told: a second mail about the change.
    let told = |n: usize| {
        sink.messages()
            .iter()
            .filter(|m| m.contains("Subject: Your two-factor authentication changed"))
            .count()
            >= n
    };
    for _ in 0..150 {
        if told(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(told(2), "the owner is mailed about the reset");
    gina_browser.logout().await;
    let resp = gina_browser.login("gina", GOOD_PASSWORD).await;
    assert_eq!(
        location(&resp),
        "/account",
        "no second step after the reset"
    );
}

/// `mfa.totp_skew_steps`: with 0 only the current step's code is accepted;
/// with the default 1 the neighbouring steps are too, each once; more than
/// 2 is refused at start-up.
#[backend_test]
async fn the_totp_drift_window_is_configured(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.mfa.get_or_insert_default().totp_skew_steps = Some(0)
    })
    .await;
    let browser = app.browser();
    let (secret, _) = enrol_in_browser(&app, &browser, "zed").await;
    browser.logout().await;
    browser.login("zed", GOOD_PASSWORD).await;
    for drifted in [1, -1] {
        assert_eq!(
            answer(&browser, &app.totp_code(&secret, drifted))
                .await
                .status(),
            StatusCode::UNAUTHORIZED,
            "step {drifted} is outside a window of 0"
        );
    }
    app.clock.advance(Duration::seconds(30));
    let resp = answer(&browser, &app.totp_code(&secret, 0)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the current step");

    // The default accepts one step either side, and each step only once.
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let (secret, _) = enrol_in_browser(&app, &browser, "zed").await;
    browser.logout().await;
    browser.login("zed", GOOD_PASSWORD).await;
    assert_eq!(
        answer(&browser, &app.totp_code(&secret, 2)).await.status(),
        StatusCode::UNAUTHORIZED,
        "two steps ahead is outside the default window"
    );
    let resp = answer(&browser, &app.totp_code(&secret, 1)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "one step ahead");
    browser.logout().await;
    browser.login("zed", GOOD_PASSWORD).await;
    assert_eq!(
        answer(&browser, &app.totp_code(&secret, 1)).await.status(),
        StatusCode::UNAUTHORIZED,
        "a step is accepted once"
    );

    let too_wide = rampart_server::config::Config::from_raw(rampart_server::config::RawConfig {
        data_dir: Some(app.data_dir.path().join("other")),
        mfa: Some(rampart_server::config::RawMfa {
            totp_skew_steps: Some(3),
            ..Default::default()
        }),
        ..Default::default()
    });
    let err = too_wide.err().expect("a window of 3 steps is refused");
    assert!(err.to_string().contains("mfa.totp_skew_steps"), "{err}");
}

/// `mfa.required = "all"`: every account, privileged or not, is signed in
/// only to enrol until it has a second factor.
#[backend_test]
async fn every_account_must_enrol_when_all_are_required(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.mfa.get_or_insert_default().required = Some("all".into())
    })
    .await;
    let browser = app.signed_up("pat").await;
    let resp = browser.get("/account").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account/mfa/totp");
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"username": "pat", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "mfa_enrollment_required");
    enrol(&app, &browser).await;
    assert_eq!(browser.status("/account").await, StatusCode::OK);
}
