//! Passkeys over real HTTP, with `webauthn-authenticator-rs`'s software
//! passkey as the authenticator (it signs real WebAuthn answers; the test
//! plays the browser's part). The site's base URL is `http://localhost:PORT`
//! because WebAuthn refuses IP addresses as an RP ID.
//!
//! The software passkey keeps no discoverable credentials, so for a sign-in
//! the test does what a resident key does: it names its credential and
//! returns the account's user handle (neither is signed; the server checks
//! both against what it stored).

use rampart_testkit::api::error_code;
use rampart_testkit::smtp::SmtpSink;
use rampart_testkit::{Backend, Browser, Fetch, Forwarded, TestApp, backend_test};
use reqwest::StatusCode;
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

/// The real binary at trace level: a passkey is added, signs in alone and
/// as a second step, and no ceremony token, challenge, session token or
/// credential material (public key, signature, client data) reaches the
/// logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_ceremonies_log_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let port = rampart_testkit::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let named = format!("http://localhost:{port}");
    let mut cmd = crate::cli::rampart(dir.path());
    cmd.arg("serve")
        .env("RAMPART_LISTEN", format!("127.0.0.1:{port}"))
        .env("RAMPART_BASE_URL", &named)
        .env("RUST_LOG", "trace")
        .env("RAMPART_LOG_FORMAT", "json");
    let mut server = crate::cli::Server::spawn(&mut cmd, port, base.clone());
    server.drain();
    let origin = Url::parse(&named).unwrap();
    let alice = Browser::new(&base);
    alice.register("alice", "alice@example.com", PASSWORD).await;
    let mut secrets = vec![alice.session_token().unwrap()];
    let mut key = authenticator();

    let started = post_json(&alice, "/account", "/account/passkeys/options", json!({})).await;
    let options: Value = started.json().await.unwrap();
    secrets.push(options["ceremony"].as_str().unwrap().to_owned());
    secrets.push(
        options["publicKey"]["challenge"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let held = Held {
        credential_id: String::new(),
        user_handle: options["publicKey"]["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let answer = key.register(&origin, options.clone());
    for part in ["attestationObject", "clientDataJSON"] {
        secrets.push(answer["response"][part].as_str().unwrap()[..40].to_owned());
    }
    let held = Held {
        credential_id: answer["rawId"].as_str().unwrap().to_owned(),
        ..held
    };
    let added = post_json(
        &alice,
        "/account",
        "/account/passkeys",
        json!({"ceremony": options["ceremony"], "name": "Laptop", "credential": answer}),
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    alice.logout().await;

    let visitor = Browser::new(&base);
    let (ceremony, answer) = answer_sign_in(&visitor, &mut key, &origin, &held).await;
    secrets.push(ceremony.clone());
    secrets.push(answer["response"]["signature"].as_str().unwrap().to_owned());
    secrets.push(
        answer["response"]["authenticatorData"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    assert_eq!(
        redirect_of(finish_sign_in(&visitor, &ceremony, &answer).await).await,
        "/account/sessions"
    );
    secrets.push(visitor.session_token().unwrap());

    let second = Browser::new(&base);
    assert_eq!(
        second.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    secrets.push(second.session_token().unwrap());
    let (answer, _) = prove(
        &second,
        "/login/mfa",
        "/login/mfa/passkey/options",
        &mut key,
        &origin,
        &held.credential_id,
    )
    .await;
    secrets.push(answer["ceremony"].as_str().unwrap().to_owned());
    let resp = post_json(&second, "/login/mfa", "/login/mfa/passkey", answer).await;
    assert_eq!(redirect_of(resp).await, "/account");

    let (clean_exit, logs) = server.stop();
    assert!(clean_exit, "{logs}");
    assert!(logs.lines().count() > 20, "trace logging was on");
    assert!(logs.contains("signed in"), "{logs}");
    for secret in &secrets {
        assert!(secret.len() >= 16, "{secret}");
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
}

const PASSWORD: &str = "a quiet walk by the river 7";

/// The app, reached as `http://localhost:PORT`.
async fn spawn(backend: &Backend) -> TestApp {
    spawn_mailing(backend, None).await
}

/// The app, mailing through `smtp` when given.
async fn spawn_mailing(backend: &Backend, smtp: Option<&SmtpSink>) -> TestApp {
    let smtp = smtp.map(|s| format!("smtp://{}", s.addr));
    TestApp::spawn_with(backend, |raw| {
        raw.base_url = raw
            .base_url
            .take()
            .map(|b| b.replace("127.0.0.1", "localhost"));
        raw.smtp_url = smtp;
    })
    .await
}

fn origin(app: &TestApp) -> Url {
    Url::parse(&app.base.replace("127.0.0.1", "localhost")).unwrap()
}

/// A software authenticator standing in for a real one.
struct Authenticator {
    key: SoftPasskey,
    /// It verifies its user (PIN or biometrics) whenever the server asks
    /// for it or prefers it, as platform authenticators do; otherwise it
    /// is a security key without a PIN, which never can.
    verifies: bool,
}

/// An authenticator that verifies its user (PIN or biometrics).
fn authenticator() -> Authenticator {
    Authenticator {
        key: SoftPasskey::new(true),
        verifies: true,
    }
}

/// A security key without a PIN: touched, not verifying its user when
/// the server only prefers it (set `verifies` once a PIN is set on it).
fn security_key() -> Authenticator {
    Authenticator {
        key: SoftPasskey::new(true),
        verifies: false,
    }
}

impl Authenticator {
    /// `webauthn-authenticator-rs` verifies only when it must: the
    /// server's preference becomes a demand for one that verifies, and is
    /// dropped for one that cannot.
    fn decide(&self, policy: &mut Value) {
        if policy == "preferred" {
            *policy = json!(if self.verifies {
                "required"
            } else {
                "discouraged"
            });
        }
    }

    /// The answer to creation `options` (`{"publicKey": …}`). The software
    /// key keeps no resident keys, so a demand for one is lifted (the test
    /// reports `credProps.rk` itself, unsigned, as a browser passes it on).
    fn register(&mut self, origin: &Url, mut options: Value) -> Value {
        let selection = &mut options["publicKey"]["authenticatorSelection"];
        self.decide(&mut selection["userVerification"]);
        selection["residentKey"] = json!("discouraged");
        selection["requireResidentKey"] = json!(false);
        let ccr: CreationChallengeResponse = serde_json::from_value(options).unwrap();
        serde_json::to_value(self.key.do_registration(origin.clone(), ccr).unwrap()).unwrap()
    }

    /// The answer to request `options`.
    fn assert(&mut self, origin: &Url, mut options: Value) -> Value {
        self.decide(&mut options["publicKey"]["userVerification"]);
        let rcr: RequestChallengeResponse = serde_json::from_value(options).unwrap();
        serde_json::to_value(self.key.do_authentication(origin.clone(), rcr).unwrap()).unwrap()
    }
}

/// POSTs `body` as JSON with the CSRF token of `page` in `X-CSRF-Token`, as
/// `static/passkey.js` does.
async fn post_json(b: &Browser, page: &str, path: &str, body: Value) -> reqwest::Response {
    // The script reads the token from its button's `data-csrf`.
    let html = b.page(page).await;
    let csrf = rampart_testkit::csrf_from(&html)
        .or_else(|| {
            let start = html.find("data-csrf=\"")? + "data-csrf=\"".len();
            Some(html[start..start + html[start..].find('"')?].to_owned())
        })
        .unwrap_or_else(|| panic!("no CSRF token on {page}: {html}"));
    b.client
        .post(b.url(path))
        .header("x-csrf-token", csrf)
        .json(&body)
        .fetch()
        .await
}

/// A registered passkey: its credential id and the account's user handle
/// (both base64url), as the authenticator holds them.
struct Held {
    credential_id: String,
    user_handle: String,
}

/// Adds a passkey named `name` to `b`'s signed-in account.
async fn add(
    b: &Browser,
    key: &mut Authenticator,
    origin: &Url,
    name: &str,
) -> (StatusCode, Value, Held) {
    add_reporting(b, key, origin, name, true).await
}

/// [`add`], the browser reporting (`credProps.rk`, unsigned) whether the
/// authenticator keeps the credential, as a resident key.
async fn add_reporting(
    b: &Browser,
    key: &mut Authenticator,
    origin: &Url,
    name: &str,
    resident: bool,
) -> (StatusCode, Value, Held) {
    let started = post_json(
        b,
        "/account/passkeys",
        "/account/passkeys/options",
        json!({}),
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    let options: Value = started.json().await.unwrap();
    let mut answer = key.register(origin, options.clone());
    answer["extensions"]["credProps"] = json!({"rk": resident});
    let held = Held {
        credential_id: answer["rawId"].as_str().unwrap().to_owned(),
        user_handle: options["publicKey"]["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let resp = post_json(
        b,
        "/account/passkeys",
        "/account/passkeys",
        json!({"ceremony": options["ceremony"], "name": name, "credential": answer}),
    )
    .await;
    let status = resp.status();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, held)
}

/// Starts a passkey sign-in in `b` and has the authenticator answer it
/// (for `origin`): the ceremony token and the answer.
async fn answer_sign_in(
    b: &Browser,
    key: &mut Authenticator,
    origin: &Url,
    held: &Held,
) -> (String, Value) {
    let started = post_json(b, "/login", "/login/passkey/options", json!({})).await;
    assert_eq!(started.status(), StatusCode::OK);
    let mut options: Value = started.json().await.unwrap();
    let ceremony = options["ceremony"].as_str().unwrap().to_owned();
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        json!([]),
        "discoverable: the server names no credential"
    );
    assert_eq!(options["publicKey"]["userVerification"], "required");
    // The resident key picks itself…
    options["publicKey"]["allowCredentials"] =
        json!([{"type": "public-key", "id": held.credential_id}]);
    let mut answer = key.assert(origin, options);
    // …and names its account.
    answer["response"]["userHandle"] = json!(held.user_handle);
    (ceremony, answer)
}

async fn finish_sign_in(b: &Browser, ceremony: &str, answer: &Value) -> reqwest::Response {
    post_json(
        b,
        "/login",
        "/login/passkey",
        json!({"ceremony": ceremony, "credential": answer, "next": "/account/sessions"}),
    )
    .await
}

/// Where a completed passkey step sends the browser: a 200 with
/// `{"redirect": …}` (the script navigates; no 303 for `fetch` to follow).
async fn redirect_of(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers().contains_key("set-cookie"),
        "the new session cookie comes with it"
    );
    let body: Value = resp.json().await.unwrap();
    body["redirect"].as_str().unwrap().to_owned()
}

async fn count_events(app: &TestApp, kind: &'static str) -> i64 {
    app.events(kind, "%").await
}

async fn failures_for(app: &TestApp, reason: &str) -> i64 {
    let pattern = format!("%\"reason\":\"{reason}\"%");
    app.events("login.failed", &pattern).await
}

#[backend_test]
async fn a_passkey_added_over_http_signs_in_alone(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    assert_eq!(
        alice
            .register("alice", "alice@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("You have no passkey yet"), "{page}");
    assert!(
        page.contains("id=\"passkey-add\""),
        "a fresh session may add one: {page}"
    );
    assert!(
        page.contains("<script src=\"/static/passkey.js\""),
        "{page}"
    );

    let mut key = authenticator();
    let (status, added, held) = add(&alice, &mut key, &origin, "  Work laptop ").await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["name"], "Work laptop", "the name is trimmed");
    assert_eq!(added["last_used_at"], Value::Null);
    assert_eq!(count_events(&app, "passkey.added").await, 1);
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("Work laptop"), "{page}");

    // A second ceremony excludes the credential the account holds.
    let again = post_json(&alice, "/account", "/account/passkeys/options", json!({})).await;
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["publicKey"]["excludeCredentials"][0]["id"], held.credential_id,
        "{again}"
    );
    assert_eq!(
        again["publicKey"]["authenticatorSelection"]["residentKey"], "preferred",
        "{again}"
    );
    assert_eq!(again["publicKey"]["attestation"], "none");
    // The credential is sealed at rest: no public key or id in clear.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM passkeys WHERE sealed LIKE '%cred_id%' OR sealed LIKE $1",
            &format!("%{}%", held.credential_id),
        )
        .await,
        0
    );

    assert_eq!(alice.logout().await.status(), StatusCode::SEE_OTHER);

    // A new browser: the login page offers the passkey, which alone signs in.
    let visitor = app.browser();
    let login = visitor.page("/login").await;
    assert!(login.contains("Sign in with a passkey"), "{login}");
    assert!(
        login.contains("autocomplete=\"username webauthn\""),
        "{login}"
    );
    let pre_login = visitor.session_token();
    let (ceremony, answer) = answer_sign_in(&visitor, &mut key, &origin, &held).await;
    let resp = finish_sign_in(&visitor, &ceremony, &answer).await;
    assert_eq!(redirect_of(resp).await, "/account/sessions");
    assert_ne!(visitor.session_token(), pre_login, "a new session token");
    let account = visitor.page("/account").await;
    assert!(account.contains("Hello, alice"), "{account}");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE auth_methods = $1",
            "hwk,uv"
        )
        .await,
        1,
        "the session records a passkey with user verification"
    );
    assert_eq!(
        app.events("login.succeeded", "%\"method\":\"passkey\"%")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM passkeys WHERE last_used_at IS NOT NULL")
            .await,
        1
    );
    // Started by forward authentication: back to the application's
    // address (this site's here); an address elsewhere is ignored.
    for (rd, expected) in [
        (
            format!("{}app/page", origin.as_str()),
            format!("{}app/page", origin.as_str()),
        ),
        ("https://evil.example/".to_owned(), "/account".to_owned()),
    ] {
        let browser = app.browser();
        let (ceremony, answer) = answer_sign_in(&browser, &mut key, &origin, &held).await;
        let resp = post_json(
            &browser,
            "/login",
            "/login/passkey",
            json!({"ceremony": ceremony, "credential": answer, "rd": rd}),
        )
        .await;
        assert_eq!(redirect_of(resp).await, expected);
    }
    // A passkey session satisfies a two-factor rule at the proxy.
    let verify = visitor
        .client
        .get(visitor.url("/auth/verify"))
        .forwarded("GET", "http", "app.example.com", "/")
        .fetch()
        .await;
    assert_eq!(verify.status(), StatusCode::OK);
    assert_eq!(verify.headers()["remote-auth-methods"], "hwk,uv");
}

#[backend_test]
async fn passkey_answers_an_attacker_would_try_are_refused(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_mailing(&backend, Some(&sink)).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;
    // An API session from before the passkey (the API cannot do passkeys).
    let token = app.api_login("alice", PASSWORD).await;
    let mut alice_key = authenticator();
    let (status, _, alice_held) = add(&alice, &mut alice_key, &origin, "Alice's key").await;
    assert_eq!(status, StatusCode::CREATED);
    let mail = sink
        .wait_for_subject("Your two-factor authentication changed")
        .await;
    assert!(mail.contains("To: alice@example.com"), "{mail}");
    assert!(mail.contains("was added"), "the owner hears of it: {mail}");
    let bob = app.browser();
    bob.register("bob", "bob@example.com", PASSWORD).await;
    let mut bob_key = authenticator();
    let (status, _, bob_held) = add(&bob, &mut bob_key, &origin, "Bob's key").await;
    assert_eq!(status, StatusCode::CREATED);
    let mallory = app.browser();

    // A replayed answer: the ceremony is single use.
    let (ceremony, answer) = answer_sign_in(&mallory, &mut alice_key, &origin, &alice_held).await;
    assert_eq!(
        finish_sign_in(&mallory, &ceremony, &answer).await.status(),
        StatusCode::OK
    );
    let replayed = app.browser();
    replayed.get("/login").await;
    assert_eq!(
        finish_sign_in(&replayed, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED,
        "another browser replays it"
    );
    let eve = app.browser();
    let (ceremony, answer) = answer_sign_in(&eve, &mut alice_key, &origin, &alice_held).await;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::OK
    );
    eve.logout().await;
    eve.get("/login").await;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED,
        "the same browser replays it"
    );

    // A ceremony started in one browser, answered from another.
    let (ceremony, answer) = answer_sign_in(&eve, &mut alice_key, &origin, &alice_held).await;
    let other = app.browser();
    other.get("/login").await;
    assert_eq!(
        finish_sign_in(&other, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // An answer made for another origin (a phishing site's).
    let phish = Url::parse("http://localhost:1/").unwrap();
    let (ceremony, answer) = answer_sign_in(&eve, &mut alice_key, &phish, &alice_held).await;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(failures_for(&app, "wrong_origin").await, 1);

    // Alice's credential presented as Bob's account.
    let pretend = Held {
        credential_id: alice_held.credential_id.clone(),
        user_handle: bob_held.user_handle.clone(),
    };
    let (ceremony, answer) = answer_sign_in(&eve, &mut alice_key, &origin, &pretend).await;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(failures_for(&app, "wrong_user_handle").await, 1);
    // No user handle at all.
    let (ceremony, mut answer) = answer_sign_in(&eve, &mut alice_key, &origin, &alice_held).await;
    answer["response"]["userHandle"] = Value::Null;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A signature counter that goes backwards (a cloned authenticator):
    // two answers signed in order, the later one used first.
    let first = app.browser();
    let (first_ceremony, first_answer) =
        answer_sign_in(&first, &mut alice_key, &origin, &alice_held).await;
    let second = app.browser();
    let (second_ceremony, second_answer) =
        answer_sign_in(&second, &mut alice_key, &origin, &alice_held).await;
    assert_eq!(
        finish_sign_in(&second, &second_ceremony, &second_answer)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        finish_sign_in(&first, &first_ceremony, &first_answer)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(failures_for(&app, "counter_regressed").await, 1);
    let mail = sink
        .wait_for_subject("A copy of one of your passkeys may exist")
        .await;
    assert!(mail.contains("To: alice@example.com"), "{mail}");

    // Malformed answers are a clear 400, never a 500.
    let (ceremony, _) = answer_sign_in(&eve, &mut alice_key, &origin, &alice_held).await;
    for junk in [json!({}), json!("x"), json!({"id": "\u{0}", "rawId": 5})] {
        let resp = finish_sign_in(&eve, &ceremony, &junk).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{junk}");
    }
    let resp = post_json(&eve, "/login", "/login/passkey", json!("not an object")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Without the CSRF header the request never reaches the handler.
    let resp = eve
        .client
        .post(eve.url("/login/passkey/options"))
        .json(&json!({}))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // A locked account cannot sign in with its passkey.
    app.lock("bob", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    let (ceremony, answer) = answer_sign_in(&eve, &mut bob_key, &origin, &bob_held).await;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(failures_for(&app, "account_locked").await, 1);

    // A removed passkey is unknown.
    let (_, list) = app.api().get("/me/passkeys", &token).await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .api()
        .delete(&format!("/me/passkeys/{id}"), &token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (ceremony, answer) = answer_sign_in(&eve, &mut alice_key, &origin, &alice_held).await;
    assert_eq!(
        finish_sign_in(&eve, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(failures_for(&app, "unknown_passkey").await, 1);
    assert!(failures_for(&app, "invalid_ceremony").await >= 3);
    assert!(
        eve.status("/account").await.is_redirection(),
        "eve never got in"
    );
}

#[backend_test]
async fn passkeys_are_listed_and_removed_by_their_owner_only(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;
    let api = app.api();
    // An API session from before the passkeys (the API cannot do passkeys).
    let token = app.api_login("alice", PASSWORD).await;
    let mut key = authenticator();
    let (_, _, phone_held) = add(&alice, &mut key, &origin, "Phone").await;
    app.clock.advance(time::Duration::seconds(1));
    add(&alice, &mut authenticator(), &origin, "Security key").await;
    let (status, list) = api.get("/me/passkeys", &token).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Phone", "Security key"]);
    assert_eq!(list[0]["backup_eligible"], false);
    let phone = list[0]["id"].as_str().unwrap().to_owned();

    // Another account cannot see or remove them.
    let bob = api.signed_in("bob").await;
    let (_, bobs) = api.get("/me/passkeys", &bob).await;
    assert_eq!(bobs, json!([]));
    let (status, body) = api.delete(&format!("/me/passkeys/{phone}"), &bob).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A personal access token may list but not remove.
    let pat = api.token(&token, &["read:me", "write:me"]).await;
    let (status, _) = api.get("/me/passkeys", &pat).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.delete(&format!("/me/passkeys/{phone}"), &pat).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "session_required");

    // A stale session must sign in again, in the API and on the page.
    app.clock.advance(time::Duration::minutes(11));
    let (status, body) = api.delete(&format!("/me/passkeys/{phone}"), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "reauthentication_required");
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("Confirm it's you"), "{page}");
    assert!(!page.contains("id=\"passkey-add\""), "{page}");
    let resp = alice
        .submit(
            "/account/passkeys",
            "/account/passkeys/remove",
            &[("passkey_id", &phone)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        rampart_testkit::api::location(&resp).starts_with("/reauth?next="),
        "{:?}",
        resp.headers()
    );
    let resp = post_json(&alice, "/account", "/account/passkeys/options", json!({})).await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "adding needs a fresh sign-in too"
    );

    // Proved again (with the passkey: a password alone no longer is), the
    // owner removes one on the page.
    let resp = reauth_with(&alice, &mut key, &origin, &phone_held.credential_id).await;
    assert_eq!(redirect_of(resp).await, "/account/passkeys");
    let resp = alice
        .submit(
            "/account/passkeys",
            "/account/passkeys/remove",
            &[("passkey_id", &phone)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(rampart_testkit::api::location(&resp), "/account/passkeys");
    assert_eq!(
        remove_on_page(&alice, &phone).await,
        StatusCode::NOT_FOUND,
        "gone already"
    );
    // The owner's other sessions ended (one may have used that passkey);
    // the browser that removed it stays signed in.
    let (status, _) = api.get("/me/passkeys", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let page = alice.page("/account/passkeys").await;
    assert!(
        page.contains("Security key") && !page.contains("Phone"),
        "{page}"
    );
    assert_eq!(count_events(&app, "passkey.removed").await, 1);
    assert_eq!(
        app.events("passkey.removed", "%\"name\":\"Phone\"%").await,
        1
    );
}

/// Re-authenticates `b`'s session with `key`'s credential `credential_id`.
async fn reauth_with(
    b: &Browser,
    key: &mut Authenticator,
    origin: &Url,
    credential_id: &str,
) -> reqwest::Response {
    reauth_typing(b, key, origin, credential_id, None).await
}

/// [`reauth_with`], the person having typed `password` in the page's
/// password field (the script sends it along).
async fn reauth_typing(
    b: &Browser,
    key: &mut Authenticator,
    origin: &Url,
    credential_id: &str,
    password: Option<&str>,
) -> reqwest::Response {
    let (mut answer, _) = prove(
        b,
        "/reauth",
        "/reauth/passkey/options",
        key,
        origin,
        credential_id,
    )
    .await;
    if let Some(password) = password {
        answer["password"] = json!(password);
    }
    post_json(b, "/reauth", "/reauth/passkey", answer).await
}

/// Has `key`'s credential `credential_id` answer `b`'s second step at
/// `/login/mfa`.
async fn second_step(
    b: &Browser,
    key: &mut Authenticator,
    origin: &Url,
    credential_id: &str,
) -> reqwest::Response {
    let (answer, _) = prove(
        b,
        "/login/mfa",
        "/login/mfa/passkey/options",
        key,
        origin,
        credential_id,
    )
    .await;
    post_json(b, "/login/mfa", "/login/mfa/passkey", answer).await
}

/// Starts the ceremony at `options` (CSRF from `page`) and has `key` answer
/// with credential `credential_id` (the server's allow list is replaced by
/// it, so that another account's credential can be tried too).
async fn prove(
    b: &Browser,
    page: &str,
    options_path: &str,
    key: &mut Authenticator,
    origin: &Url,
    credential_id: &str,
) -> (Value, Value) {
    let started = post_json(b, page, options_path, json!({})).await;
    assert_eq!(started.status(), StatusCode::OK);
    let mut options: Value = started.json().await.unwrap();
    let ceremony = options["ceremony"].clone();
    let allowed = options["publicKey"]["allowCredentials"].clone();
    options["publicKey"]["allowCredentials"] = json!([{"type": "public-key", "id": credential_id}]);
    let answer = key.assert(origin, options);
    (
        json!({"ceremony": ceremony, "credential": answer, "next": "/account/passkeys"}),
        allowed,
    )
}

#[backend_test]
async fn a_passkey_is_the_second_step_after_a_password_and_confirms_it_is_you(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;
    let mut key = authenticator();
    let (_, _, held) = add(&alice, &mut key, &origin, "Laptop").await;
    let bob = app.browser();
    bob.register("bob", "bob@example.com", PASSWORD).await;
    let mut bob_key = authenticator();
    let (_, _, bob_held) = add(&bob, &mut bob_key, &origin, "Bob's").await;
    alice.logout().await;

    // The password alone no longer signs in: the passkey is a second factor.
    let resp = alice.login("alice", PASSWORD).await;
    assert_eq!(rampart_testkit::api::location(&resp), "/login/mfa");
    let page = alice.page("/login/mfa").await;
    assert!(page.contains("Use a passkey"), "{page}");
    assert!(
        !page.contains("name=\"code\""),
        "no TOTP, no code field: {page}"
    );
    let (status, body) = app.api().sign_in("alice", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "mfa_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("passkey"),
        "{body}"
    );

    // Bob's passkey cannot answer Alice's second step.
    let (answer, allowed) = prove(
        &alice,
        "/login/mfa",
        "/login/mfa/passkey/options",
        &mut bob_key,
        &origin,
        &bob_held.credential_id,
    )
    .await;
    assert_eq!(
        allowed[0]["id"], held.credential_id,
        "only Alice's passkeys are asked for"
    );
    let resp = post_json(&alice, "/login/mfa", "/login/mfa/passkey", answer).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.events("mfa.failed", "%not_this_account%").await, 1);

    // Her own passkey completes the sign-in, once.
    let (answer, _) = prove(
        &alice,
        "/login/mfa",
        "/login/mfa/passkey/options",
        &mut key,
        &origin,
        &held.credential_id,
    )
    .await;
    let resp = post_json(&alice, "/login/mfa", "/login/mfa/passkey", answer.clone()).await;
    assert_eq!(redirect_of(resp).await, "/account");
    let account = alice.page("/account").await;
    assert!(account.contains("Hello, alice"), "{account}");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE u.username = 'alice' AND s.auth_methods = $1",
            "pwd,hwk,uv"
        )
        .await,
        1
    );
    assert_eq!(app.events("login.succeeded", "%password+passkey%").await, 1);
    let replay = post_json(&alice, "/account", "/login/mfa/passkey", answer).await;
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "the challenge is used up"
    );

    // Later, a sensitive action: the password is not enough, the passkey is.
    app.clock.advance(time::Duration::minutes(11));
    let page = alice.page("/reauth?next=/account/passkeys").await;
    assert!(page.contains("Confirm with a passkey"), "{page}");
    let resp = alice.reauth(PASSWORD, "/account/passkeys").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let text = resp.text().await.unwrap();
    assert!(text.contains("confirm with your passkey"), "{text}");
    let resp = reauth_with(&alice, &mut bob_key, &origin, &bob_held.credential_id).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "not Bob's passkey");
    let before = alice.session_token();
    let resp = reauth_with(&alice, &mut key, &origin, &held.credential_id).await;
    assert_eq!(redirect_of(resp).await, "/account/passkeys");
    assert_ne!(alice.session_token(), before, "the token is rotated");
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("id=\"passkey-add\""), "fresh again: {page}");
}

#[backend_test]
async fn an_administrator_sees_and_removes_an_accounts_passkey(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;
    let token = app.api_login("alice", PASSWORD).await;
    let (_, me) = app.api().get("/me", &token).await;
    let alice_id = me["id"].as_str().unwrap().to_owned();
    let (status, added, _) = add(&alice, &mut authenticator(), &origin, "Lost phone").await;
    assert_eq!(status, StatusCode::CREATED);
    let ada = app.browser();
    ada.register("ada", "ada@example.com", PASSWORD).await;
    app.make_admin("ada").await;
    let page = ada.page(&format!("/admin/users/{alice_id}")).await;
    assert!(page.contains("Lost phone"), "{page}");
    let resp = ada
        .submit(
            &format!("/admin/users/{alice_id}"),
            &format!("/admin/users/{alice_id}/passkeys/remove"),
            &[("passkey_id", added["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        rampart_testkit::api::location(&resp),
        format!("/admin/users/{alice_id}?done=passkey")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);
    // Every session of the account ended.
    let (status, _) = app.api().get("/me/passkeys", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(alice.status("/account").await.is_redirection());
    assert_eq!(
        app.events("passkey.removed", "%administrator ada%").await,
        1
    );
}

#[backend_test]
async fn passkeys_are_sealed_and_survive_key_rotation(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;
    let mut key = authenticator();
    let (_, _, held) = add(&alice, &mut key, &origin, "Laptop").await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM passkeys WHERE sealed LIKE $1", "k0:%")
            .await,
        1
    );
    let said = crate::mfa::rampart_cli_ok(&app, &["keys", "rotate"]);
    assert!(said.contains("re-encrypted 1"), "{said}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM passkeys WHERE sealed LIKE $1", "k1:%")
            .await,
        1,
        "the credential is sealed by the new key"
    );
    // The running server opens it under the new key.
    let visitor = app.browser();
    let (ceremony, answer) = answer_sign_in(&visitor, &mut key, &origin, &held).await;
    assert_eq!(
        finish_sign_in(&visitor, &ceremony, &answer).await.status(),
        StatusCode::OK
    );
}

async fn remove_on_page(b: &Browser, id: &str) -> StatusCode {
    b.submit(
        "/account/passkeys",
        "/account/passkeys/remove",
        &[("passkey_id", id)],
    )
    .await
    .status()
}

#[backend_test]
async fn a_passkey_only_account_keeps_its_last_way_in(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;
    let page = alice.page("/account/passkeys").await;
    assert!(
        !page.contains("Remove your password"),
        "no passkey yet: {page}"
    );
    let resp = alice
        .submit("/account/passkeys", "/account/password/remove", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "a passkey first");
    // A security key that does not keep the credential cannot sign in by
    // itself: it is no way in, so the password stays.
    let (_, plain, _) =
        add_reporting(&alice, &mut authenticator(), &origin, "Plain key", false).await;
    assert_eq!(plain["discoverable"], false);
    let resp = alice
        .submit("/account/passkeys", "/account/password/remove", &[])
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "a passkey that signs in by itself first"
    );
    assert_eq!(
        remove_on_page(&alice, plain["id"].as_str().unwrap()).await,
        StatusCode::SEE_OTHER
    );

    let mut first_key = authenticator();
    let (_, first, first_held) = add(&alice, &mut first_key, &origin, "First").await;
    let first = first["id"].as_str().unwrap().to_owned();
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("Remove your password"), "{page}");
    let resp = alice
        .submit("/account/passkeys", "/account/password/remove", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.events("password.changed", "%\"removed\":true%").await,
        1
    );
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("with your passkeys only"), "{page}");
    // The old password no longer signs in.
    let other = app.browser();
    assert_eq!(
        other.login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The last way in stays.
    assert_eq!(remove_on_page(&alice, &first).await, StatusCode::CONFLICT);
    let (_, second, _) = add(&alice, &mut authenticator(), &origin, "Second").await;
    let second = second["id"].as_str().unwrap().to_owned();
    // Two removals at once: one wins, the other finds the last way in.
    let (a, b) = tokio::join!(
        remove_on_page(&alice, &first),
        remove_on_page(&alice, &second)
    );
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 1);
    assert_eq!(count_events(&app, "passkey.removed").await, 2);
    // Signing in still works with what is left.
    if a == StatusCode::CONFLICT {
        let visitor = app.browser();
        let (ceremony, answer) =
            answer_sign_in(&visitor, &mut first_key, &origin, &first_held).await;
        assert_eq!(
            finish_sign_in(&visitor, &ceremony, &answer).await.status(),
            StatusCode::OK
        );
    }
}

/// Asks for a reset link for `email` in `b`; the token of the mail that
/// comes (the newest one).
async fn reset_link(sink: &SmtpSink, b: &Browser, email: &str) -> String {
    let before = sink.messages().len();
    b.send_form("/password/forgot", &[("email", email)]).await;
    for _ in 0..300 {
        let fresh = sink.messages().split_off(before);
        if let Some(mail) = fresh.iter().find(|m| {
            m.contains("Subject: Reset your password") && m.contains(&format!("To: {email}"))
        }) {
            return rampart_testkit::smtp::token_in(
                &rampart_testkit::smtp::decode_quoted_printable(mail),
                "/password/reset",
            )
            .expect("a reset link");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no reset mail for {email}");
}

/// Starts a passkey sign-up in `b` for `username`: the server's answer.
async fn start_sign_up(b: &Browser, username: &str, email: &str) -> reqwest::Response {
    post_json(
        b,
        "/register",
        "/register/passkey/options",
        json!({"username": username, "email": email}),
    )
    .await
}

/// Ends the passkey sign-up `ceremony` in `b`, naming the passkey `name`;
/// `page` is where the CSRF token comes from.
async fn finish_sign_up(
    b: &Browser,
    page: &str,
    ceremony: &Value,
    name: &str,
    answer: &Value,
) -> reqwest::Response {
    let body = json!({"ceremony": ceremony, "name": name, "credential": answer});
    post_json(b, page, "/register/passkey", body).await
}

/// Has `key` answer a sign-up's options; the software passkey keeps no
/// discoverable credentials, so the test lifts the server's demand for one
/// (unsigned, as a browser passes it on) and names the account's handle
/// itself when signing in, as a resident key would.
fn answer_sign_up(key: &mut Authenticator, origin: &Url, options: Value) -> (Value, Held) {
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    let user_handle = options["publicKey"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut answer = key.register(origin, options);
    answer["extensions"]["credProps"] = json!({"rk": true});
    let held = Held {
        credential_id: answer["rawId"].as_str().unwrap().to_owned(),
        user_handle,
    };
    (answer, held)
}

#[backend_test]
async fn a_new_account_signs_up_with_a_passkey_and_no_password(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_mailing(&backend, Some(&sink)).await;
    let origin = origin(&app);
    let carol = app.browser();
    let page = carol.page("/register").await;
    assert!(
        page.contains("Create the account with a passkey instead"),
        "{page}"
    );
    // The name and address are checked before any ceremony.
    let resp = start_sign_up(&carol, "x", "not an address").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let resp = start_sign_up(&carol, "carol", " carol@example.com ").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let options: Value = resp.json().await.unwrap();
    assert_eq!(options["publicKey"]["user"]["name"], "carol");
    let ceremony = options["ceremony"].clone();
    let mut key = authenticator();
    let (answer, held) = answer_sign_up(&mut key, &origin, options);
    let resp = finish_sign_up(&carol, "/register", &ceremony, "Phone", &answer).await;
    assert_eq!(redirect_of(resp).await, "/account");
    let account = carol.page("/account").await;
    assert!(account.contains("Hello, carol"), "{account}");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username = $1 AND password_hash IS NULL",
            "carol"
        )
        .await,
        1,
        "no password"
    );
    assert_eq!(
        app.events("user.registered", "%\"with\":\"passkey\"%")
            .await,
        1
    );
    assert_eq!(count_events(&app, "passkey.added").await, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM sessions WHERE auth_methods = $1",
            "hwk,uv"
        )
        .await,
        1
    );
    let page = carol.page("/account/passkeys").await;
    assert!(
        page.contains("Phone") && page.contains("with your passkeys only"),
        "{page}"
    );
    // The same ceremony cannot make a second account.
    let again = finish_sign_up(&carol, "/account", &ceremony, "Phone", &answer).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    // Later, from another browser, the passkey alone signs in.
    let other = app.browser();
    let (ceremony, answer) = answer_sign_in(&other, &mut key, &origin, &held).await;
    assert_eq!(
        redirect_of(finish_sign_in(&other, &ceremony, &answer).await).await,
        "/account/sessions"
    );

    // Her passkeys lost, she recovers through the mailed reset link with a
    // new passkey (she has no password): the link is used up, her other
    // sessions end, and the new passkey signs in.
    let lost = app.browser();
    let token = reset_link(&sink, &lost, "carol@example.com").await;
    let page = lost.page(&format!("/password/reset?token={token}")).await;
    assert!(page.contains("Add a new passkey instead"), "{page}");
    // An attacker's shortcut: a ceremony started for an extra passkey
    // (verification and a resident key only preferred) cannot be finished
    // as the recovery, whose passkey must be a way in.
    let started = post_json(
        &carol,
        "/account/passkeys",
        "/account/passkeys/options",
        json!({}),
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    let lenient: Value = started.json().await.unwrap();
    let mut answer = security_key().register(&origin, lenient.clone());
    answer["extensions"]["credProps"] = json!({"rk": true});
    let passkeys = app.count("SELECT COUNT(*) FROM passkeys").await;
    let resp = post_json(
        &carol,
        "/account",
        "/password/reset/passkey",
        json!({"token": token, "ceremony": lenient["ceremony"], "name": "Shortcut", "credential": answer}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, passkeys);
    let csrf_page = format!("/password/reset?token={token}");
    let started = post_json(
        &lost,
        &csrf_page,
        "/password/reset/passkey/options",
        json!({"token": token}),
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    let options: Value = started.json().await.unwrap();
    let ceremony = options["ceremony"].clone();
    // The way in: it must verify its user and be kept by the authenticator.
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    let mut new_key = authenticator();
    let mut answer = new_key.register(&origin, options.clone());
    answer["extensions"]["credProps"] = json!({"rk": true});
    let new_held = Held {
        credential_id: answer["rawId"].as_str().unwrap().to_owned(),
        user_handle: held.user_handle.clone(),
    };
    let body =
        json!({"token": token, "ceremony": ceremony, "name": "New phone", "credential": answer});
    let resp = post_json(&lost, "/login", "/password/reset/passkey", body.clone()).await;
    assert_eq!(redirect_of(resp).await, "/account/passkeys");
    assert!(
        carol.status("/account").await.is_redirection(),
        "her other sessions ended"
    );
    let again = post_json(&lost, "/account", "/password/reset/passkey", body).await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "the link is used up"
    );
    let visitor = app.browser();
    let (ceremony, answer) = answer_sign_in(&visitor, &mut new_key, &origin, &new_held).await;
    assert_eq!(
        finish_sign_in(&visitor, &ceremony, &answer).await.status(),
        StatusCode::OK
    );

    // An account with a password sets a new one: a reset link alone never
    // adds a passkey to it (its second factor stays).
    app.api().signup("gina").await;
    let gina = app.browser();
    let token = reset_link(&sink, &gina, "gina@example.com").await;
    let page = gina.page(&format!("/password/reset?token={token}")).await;
    assert!(!page.contains("Add a new passkey instead"), "{page}");
    let resp = post_json(
        &gina,
        &format!("/password/reset?token={token}"),
        "/password/reset/passkey/options",
        json!({"token": token}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // An authenticator that does not keep the credential cannot be an
    // account's only way in.
    let frank = app.browser();
    let options: Value = start_sign_up(&frank, "frank", "frank@example.com")
        .await
        .json()
        .await
        .unwrap();
    let ceremony = options["ceremony"].clone();
    let (mut answer, _) = answer_sign_up(&mut authenticator(), &origin, options);
    answer["extensions"]["credProps"] = json!({"rk": false});
    let resp = finish_sign_up(&frank, "/register", &ceremony, "Plain", &answer).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE username = $1", "frank")
            .await,
        0
    );

    // A taken name is refused when the account would be made: nothing stays.
    app.api().signup("dave").await;
    let mallory = app.browser();
    let resp = start_sign_up(&mallory, "dave", "mallory@example.com").await;
    let options: Value = resp.json().await.unwrap();
    let ceremony = options["ceremony"].clone();
    let (answer, _) = answer_sign_up(&mut authenticator(), &origin, options);
    let resp = finish_sign_up(&mallory, "/register", &ceremony, "Mine", &answer).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM passkeys WHERE name = $1", "Mine")
            .await,
        0
    );

    // Closed registration closes this door too.
    let closed = TestApp::spawn_with(&backend, |raw| {
        raw.base_url = raw
            .base_url
            .take()
            .map(|b| b.replace("127.0.0.1", "localhost"));
        raw.registration = Some("closed".to_owned());
    })
    .await;
    let visitor = closed.browser();
    let resp = post_json(
        &visitor,
        "/login",
        "/register/passkey/options",
        json!({"username": "erin", "email": "erin@example.com"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[backend_test]
async fn enrolling_a_passkey_ends_the_sessions_confined_to_enrolment(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.base_url = raw
            .base_url
            .take()
            .map(|b| b.replace("127.0.0.1", "localhost"));
        raw.mfa.get_or_insert_default().required = Some("all".to_owned());
    })
    .await;
    let origin = origin(&app);
    let owner = app.browser();
    owner.register("olga", "olga@example.com", PASSWORD).await;
    let intruder = app.browser();
    intruder.login("olga", PASSWORD).await;
    let confined = intruder.get("/account").await;
    assert_eq!(
        rampart_testkit::api::location(&confined),
        "/account/mfa/totp",
        "a password alone opens only enrolment"
    );
    // The owner enrols a passkey (its page is open to a confined session).
    let (status, _, _) = add(&owner, &mut authenticator(), &origin, "Laptop").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(owner.status("/account").await, StatusCode::OK);
    let after = intruder.get("/account").await;
    assert!(
        rampart_testkit::api::location(&after).starts_with("/login"),
        "the other confined session ended: {:?}",
        after.headers()
    );
}

/// User verification is preferred when a passkey is added and proves its
/// owner after a password: a security key without a PIN is a second step
/// (`hwk`, no `uv`), never a way in by itself, and confirms a sensitive
/// action only with the password beside it. A passkey that verified its
/// user when added must verify it every time.
#[backend_test]
async fn a_security_key_without_a_pin_is_a_second_step_only(backend: Backend) {
    let app = spawn(&backend).await;
    let origin = origin(&app);
    let alice = app.browser();
    alice.register("alice", "alice@example.com", PASSWORD).await;

    // Adding: verification and a resident key preferred, any authenticator.
    let started = post_json(
        &alice,
        "/account/passkeys",
        "/account/passkeys/options",
        json!({}),
    )
    .await;
    let options: Value = started.json().await.unwrap();
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["userVerification"], "preferred", "{options}");
    assert_eq!(selection["residentKey"], "preferred", "{options}");
    assert_eq!(options["publicKey"]["attestation"], "none", "{options}");
    assert!(
        options["publicKey"].get("hints").is_none(),
        "no hint narrows the browser's choice: {options}"
    );
    assert!(
        options["publicKey"]["extensions"]
            .get("credentialProtectionPolicy")
            .is_none(),
        "no credProtect level a key without a PIN could not meet: {options}"
    );
    let mut key = security_key();
    let (status, added, held) = add(&alice, &mut key, &origin, "Key without PIN").await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(
        added["discoverable"], false,
        "kept, but it verifies nobody: no way in by itself"
    );
    assert_eq!(
        app.events("passkey.added", "%\"user_verified\":false%")
            .await,
        1
    );
    let page = alice.page("/account/passkeys").await;
    assert!(page.contains("a second step only"), "{page}");
    // So the password stays.
    let resp = alice
        .submit("/account/passkeys", "/account/password/remove", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    alice.logout().await;

    // It cannot sign in alone: the ceremony requires verification, and an
    // answer without it is refused.
    let visitor = app.browser();
    let started = post_json(&visitor, "/login", "/login/passkey/options", json!({})).await;
    let mut options: Value = started.json().await.unwrap();
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let ceremony = options["ceremony"].as_str().unwrap().to_owned();
    options["publicKey"]["allowCredentials"] =
        json!([{"type": "public-key", "id": held.credential_id}]);
    options["publicKey"]["userVerification"] = json!("discouraged");
    let mut answer = key.assert(&origin, options);
    answer["response"]["userHandle"] = json!(held.user_handle);
    let resp = finish_sign_in(&visitor, &ceremony, &answer).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(failures_for(&app, "user_not_verified").await, 1);
    assert!(
        visitor.status("/account").await.is_redirection(),
        "not signed in"
    );

    // After the password it is the second step: held, not verified.
    let resp = alice.login("alice", PASSWORD).await;
    assert_eq!(rampart_testkit::api::location(&resp), "/login/mfa");
    let resp = second_step(&alice, &mut key, &origin, &held.credential_id).await;
    assert_eq!(redirect_of(resp).await, "/account");
    let methods = "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id \
                   WHERE u.username = 'alice' AND s.auth_methods = $1";
    assert_eq!(app.scalar(methods, "pwd,hwk").await, 1);
    assert_eq!(app.scalar(methods, "pwd,hwk,uv").await, 0);

    // A sensitive action later: the key alone does not confirm, the key
    // with a wrong password neither; with the password it does.
    app.clock.advance(time::Duration::minutes(11));
    let page = alice.page("/reauth?next=/account/passkeys").await;
    assert!(page.contains("data-password=\"password\""), "{page}");
    let resp = reauth_typing(&alice, &mut key, &origin, &held.credential_id, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("type your password too"),
        "the page says what is missing"
    );
    let resp = reauth_typing(
        &alice,
        &mut key,
        &origin,
        &held.credential_id,
        Some("not my password at all"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let before = alice.session_token();
    let resp = reauth_typing(
        &alice,
        &mut key,
        &origin,
        &held.credential_id,
        Some(PASSWORD),
    )
    .await;
    assert_eq!(redirect_of(resp).await, "/account/passkeys");
    assert_ne!(alice.session_token(), before, "the token is rotated");
    assert_eq!(app.scalar(methods, "pwd,hwk").await, 1);

    // A passkey that verified its user when added must verify it again:
    // an answer without verification is refused.
    let mut phone = authenticator();
    let (status, phone_added, phone_held) = add(&alice, &mut phone, &origin, "Phone").await;
    assert_eq!(status, StatusCode::CREATED, "{phone_added}");
    assert_eq!(phone_added["discoverable"], true);
    alice.logout().await;
    let resp = alice.login("alice", PASSWORD).await;
    assert_eq!(rampart_testkit::api::location(&resp), "/login/mfa");
    phone.verifies = false;
    let resp = second_step(&alice, &mut phone, &origin, &phone_held.credential_id).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.events("mfa.failed", "%user_not_verified%").await, 1);
    phone.verifies = true;
    let resp = second_step(&alice, &mut phone, &origin, &phone_held.credential_id).await;
    assert_eq!(redirect_of(resp).await, "/account");
    assert_eq!(app.scalar(methods, "pwd,hwk,uv").await, 1);

    // Whoever takes the PIN-less key and sets a PIN of their own gets
    // answers that verify a user: still not the owner's way in. It does
    // not sign in alone, it is `hwk` without `uv` after the password, and
    // it confirms nothing without the password.
    key.verifies = true;
    let thief = app.browser();
    let (ceremony, answer) = answer_sign_in(&thief, &mut key, &origin, &held).await;
    assert_eq!(
        finish_sign_in(&thief, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(failures_for(&app, "not_a_way_in").await, 1);
    assert!(thief.status("/account").await.is_redirection());
    alice.logout().await;
    let resp = alice.login("alice", PASSWORD).await;
    assert_eq!(rampart_testkit::api::location(&resp), "/login/mfa");
    let before = app.scalar(methods, "pwd,hwk").await;
    let resp = second_step(&alice, &mut key, &origin, &held.credential_id).await;
    assert_eq!(redirect_of(resp).await, "/account");
    assert_eq!(app.scalar(methods, "pwd,hwk").await, before + 1);
    app.clock.advance(time::Duration::minutes(11));
    let resp = reauth_typing(&alice, &mut key, &origin, &held.credential_id, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
