//! The audit trail: every event type of `docs/api.md` is recorded by the action
//! that causes it (through the pages, the API and the CLI), none holds a
//! password, token or code, and administrators read it back through
//! `GET /api/v1/admin/events` (filters, paging) and `rampart audit export`.

use crate::mfa::{answer, enrol_in_browser, rampart_cli};
use rampart_core::ClientMeta;
use rampart_core::Clock as _;
use rampart_testkit::api::{Api, error_code};
use rampart_testkit::smtp::token_in;
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test, csrf_from};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use time::Duration;

const NEW_PASSWORD: &str = "a brand new passphrase 9";

/// The audit events of `docs/api.md`.
const EVENT_TYPES: &[&str] = &[
    "login.succeeded",
    "login.failed",
    "login.throttled",
    "logout",
    "session.revoked",
    "user.registered",
    "email.verified",
    "password.changed",
    "password.reset_requested",
    "password.reset",
    "mfa.enabled",
    "mfa.disabled",
    "mfa.failed",
    "recovery_code.used",
    "token.created",
    "token.revoked",
    "user.locked",
    "user.unlocked",
    "roles.changed",
    "user.deleted",
    "remember_me.theft_detected",
];

fn with_cookie(app: &TestApp, name: &str, value: &str) -> Browser {
    let browser = app.browser();
    browser.set_cookie(name, value);
    browser
}

/// Makes `name` an administrator and signs in through the API.
async fn admin_token(app: &TestApp, name: &str) -> String {
    app.api().signup(name).await;
    app.make_admin(name).await;
    app.api_login(name, GOOD_PASSWORD).await
}

async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let resp = Client::new()
        .get(app.url(&format!("/api/v1/admin/events{query}")))
        .bearer_auth(token)
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json::<Vec<Value>>().await.unwrap()
}

#[backend_test]
async fn every_event_type_is_recorded_without_secrets(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let mut secrets: Vec<String> = vec![GOOD_PASSWORD.into(), NEW_PASSWORD.into()];

    // Registration and e-mail verification.
    let alice = app.signed_up("alice").await;
    secrets.push(alice.session_token().unwrap());
    let mail = sink.wait_for_subject("Confirm your e-mail address").await;
    let verify = token_in(&mail, "/verify-email").unwrap();
    secrets.push(verify.clone());
    let page = alice.get(&format!("/verify-email?token={verify}")).await;
    let csrf = csrf_from(&page.text().await.unwrap()).unwrap();
    alice
        .post(
            "/verify-email",
            &[("token", &verify), ("csrf_token", &csrf)],
        )
        .await;

    // Sign-in outcomes, logout, session revocation.
    assert_eq!(
        app.browser()
            .login("alice", "wrong password here")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    secrets.push("wrong password here".into());
    alice.logout().await;
    let phone = app.browser();
    phone.login("alice", GOOD_PASSWORD).await;
    alice.login_remembered("alice").await;
    let remembered = alice.cookie("rampart_remember").unwrap();
    secrets.push(remembered.clone());
    alice.revoke_session("others").await;

    // Remember-me theft: the value rotates, then the old one comes back.
    app.clock.advance(Duration::hours(2));
    let later = with_cookie(&app, "rampart_remember", &remembered);
    assert_eq!(later.status("/account").await, StatusCode::OK);
    secrets.push(later.cookie("rampart_remember").unwrap());
    app.clock.advance(Duration::seconds(30));
    with_cookie(&app, "rampart_remember", &remembered)
        .get("/account")
        .await;

    // Password change, reset request and reset.
    let alice = app.browser();
    alice.login("alice", GOOD_PASSWORD).await;
    alice.change_password(GOOD_PASSWORD, NEW_PASSWORD).await;
    let stranger = app.browser();
    stranger
        .send_form("/password/forgot", &[("email", "alice@example.com")])
        .await;
    let mail = sink.wait_for_subject("Reset your password").await;
    let reset = token_in(&mail, "/password/reset").unwrap();
    secrets.push(reset.clone());
    let page = stranger
        .get(&format!("/password/reset?token={reset}"))
        .await;
    let csrf = csrf_from(&page.text().await.unwrap()).unwrap();
    let done = stranger.reset_password(&reset, GOOD_PASSWORD, &csrf).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);

    // Personal access tokens.
    let signed: Value = Client::new()
        .post(app.url("/api/v1/sessions"))
        .header("user-agent", "audit-test/1.0")
        .json(&json!({"username": "alice", "password": GOOD_PASSWORD}))
        .fetch_json()
        .await;
    let api = signed["token"].as_str().unwrap().to_owned();
    secrets.push(api.clone());
    let (_, created) = app.api().create_token(&api, &["read:me"]).await;
    secrets.push(created["token"].as_str().unwrap().to_owned());
    let revoked = Client::new()
        .delete(app.url(&format!(
            "/api/v1/me/tokens/{}",
            created["id"].as_str().unwrap()
        )))
        .bearer_auth(&api)
        .fetch()
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);

    // Second factor: enrol, a wrong code, a recovery code, disable.
    let bob = app.browser();
    let (secret, codes) = enrol_in_browser(&app, &bob, "bob").await;
    secrets.push(secret.clone());
    secrets.extend(codes.iter().cloned());
    bob.logout().await;
    bob.login("bob", GOOD_PASSWORD).await;
    answer(&bob, "000000").await;
    answer(&bob, &codes[0]).await;
    let off = bob.disable_totp(GOOD_PASSWORD).await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    secrets.push(app.totp_code(&secret, 0));

    // Operator actions at the command line.
    for args in [
        &["user", "lock", "alice"][..],
        &["user", "unlock", "alice"],
        &["user", "set-roles", "alice", "user", "editor"],
    ] {
        let out = rampart_cli(&app, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Lock-out, then deletion.
    for _ in 0..6 {
        app.browser().login("carol_unknown", "guessing 12345").await;
    }
    let out = rampart_cli(&app, &["user", "delete", "bob"]);
    assert!(out.status.success());

    // Every type is there, each from its action.
    let admin = admin_token(&app, "root").await;
    let all = events(&app, &admin, "?limit=1000").await;
    let seen: BTreeSet<&str> = all.iter().filter_map(|e| e["type"].as_str()).collect();
    for kind in EVENT_TYPES {
        assert!(seen.contains(kind), "{kind} is recorded; saw {seen:?}");
    }
    let of = |kind: &str| {
        all.iter()
            .filter(|e| e["type"] == kind)
            .cloned()
            .collect::<Vec<_>>()
    };
    let failed = of("login.failed");
    assert!(
        failed
            .iter()
            .any(|e| e["username"] == "alice" && e["details"]["reason"] == "wrong_password")
    );
    assert!(
        failed
            .iter()
            .any(|e| e["username"] == "carol_unknown" && e["details"]["reason"] == "unknown_user")
    );
    assert!(
        of("login.throttled")
            .iter()
            .any(|e| e["outcome"] == "failure")
    );
    let sign_ins = of("login.succeeded");
    let sign_in = sign_ins
        .iter()
        .find(|e| e["user_agent"] == "audit-test/1.0")
        .expect("the API sign-in with its user agent");
    assert_eq!(sign_in["ip"], "127.0.0.1");
    assert_eq!(sign_in["username"], "alice");
    assert_eq!(sign_in["details"]["method"], "password");
    assert!(sign_in["time"].as_str().unwrap().contains('T'));
    assert!(
        of("roles.changed")
            .iter()
            .any(|e| e["details"]["to"] == json!(["editor", "user"]))
    );
    assert!(
        of("recovery_code.used")
            .iter()
            .all(|e| e["username"] == "bob")
    );

    // Every event about an existing account names it by id and username,
    // and `?user=` finds an account's events by either.
    let alice_id = app.admin.find("alice").await.unwrap().id.to_string();
    let about_alice: Vec<&Value> = all
        .iter()
        .filter(|e| e["user_id"] == alice_id.as_str())
        .collect();
    assert!(about_alice.iter().any(|e| e["type"] == "email.verified"));
    for event in &about_alice {
        assert_eq!(event["username"], "alice", "{event}");
    }
    for filter in [
        "?user=alice&limit=1000".to_owned(),
        format!("?user={alice_id}&limit=1000"),
    ] {
        let found = events(&app, &admin, &filter).await;
        let kinds: BTreeSet<&str> = found.iter().filter_map(|e| e["type"].as_str()).collect();
        for kind in [
            "email.verified",
            "user.registered",
            "login.failed",
            "user.locked",
        ] {
            assert!(kinds.contains(kind), "{filter} finds {kind}: {kinds:?}");
        }
        assert!(
            found
                .iter()
                .all(|e| e["user_id"].is_null() || e["user_id"] == alice_id.as_str()),
            "{filter} finds only alice's events"
        );
    }

    // No event holds a secret: neither through the API nor in the export.
    let text = serde_json::to_string(&all).unwrap();
    let out = rampart_cli(&app, &["audit", "export"]);
    assert!(out.status.success());
    let export = String::from_utf8(out.stdout).unwrap();
    assert_eq!(export.lines().count(), all.len());
    for line in export.lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "an event holds {secret:?}");
        assert!(!export.contains(secret.as_str()));
    }
}

#[backend_test]
async fn only_administrators_read_the_trail(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    for name in ["dana", "eve"] {
        app.browser().sign_up(name).await;
    }
    for _ in 0..3 {
        app.browser().login("dana", "not her password").await;
    }
    let user = app.api_login("eve", GOOD_PASSWORD).await;
    let (status, body) = app.api().get("/admin/events", &user).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "forbidden");

    let admin = admin_token(&app, "root").await;
    // An admin's personal access token without the admin scope is refused too.
    let pat = app.api().token(&admin, &["read:me"]).await;
    let by_pat = app
        .api()
        .send(Method::GET, "/admin/events", &pat, None)
        .await;
    assert_eq!(by_pat.status(), StatusCode::FORBIDDEN);

    let failed = events(&app, &admin, "?type=login.failed&user=dana").await;
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|e| e["username"] == "dana"));
    let dana_id = failed[0]["user_id"].as_str().unwrap().to_owned();
    assert_eq!(
        events(&app, &admin, &format!("?user={dana_id}&type=login.failed"))
            .await
            .len(),
        3,
        "by id too"
    );
    // Newest first, paged with `before`.
    let first = events(&app, &admin, "?type=login.failed&limit=2").await;
    assert_eq!(first.len(), 2);
    let next = events(
        &app,
        &admin,
        &format!(
            "?type=login.failed&limit=2&before={}",
            first[1]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(next.len(), 1);
    assert!(first.iter().all(|e| e["id"] != next[0]["id"]));
    assert!(first[0]["time"].as_str() >= first[1]["time"].as_str());
    // `since` in the future finds nothing; bad filters are 422.
    let future = (app.clock.now() + Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert!(
        events(
            &app,
            &admin,
            &format!("?since={}", future.replace('+', "%2B"))
        )
        .await
        .is_empty()
    );
    for bad in ["?since=yesterday", "?limit=0", "?limit=5000", "?colour=red"] {
        let resp = Client::new()
            .get(app.url(&format!("/api/v1/admin/events{bad}")))
            .bearer_auth(&admin)
            .fetch()
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

/// A trigger that makes every insert into `audit_events` fail, as a crash or
/// a full disk between the change and its event would.
const REFUSE_EVENTS_SQLITE: &str = "CREATE TRIGGER refuse_events BEFORE INSERT ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit trail refused'); END;";
const REFUSE_EVENTS_POSTGRES: &str = "CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN RAISE EXCEPTION 'audit trail refused'; END $$; \
     CREATE TRIGGER refuse_events BEFORE INSERT ON audit_events \
     FOR EACH ROW EXECUTE FUNCTION refuse_events();";

/// When the event cannot be written, the change it records is not made
/// either: each audited write and its event are one transaction.
#[backend_test]
async fn a_change_and_its_event_commit_together(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let session = api.signed_in("alice").await;
    let operator = ClientMeta::operator();
    let count = |sql: &'static str| app.scalar(sql, "alice");
    let sessions = "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username_key = $1";
    let tokens = "SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username_key = $1";
    let locked = "SELECT COUNT(*) FROM users WHERE username_key = $1 AND locked = TRUE";
    let admins = "SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username_key = $1 AND r.role = 'admin'";
    let exists = "SELECT COUNT(*) FROM users WHERE username_key = $1";
    let events = app.count("SELECT COUNT(*) FROM audit_events").await;
    assert_eq!(count(sessions).await, 1);

    app.execute(REFUSE_EVENTS_SQLITE, REFUSE_EVENTS_POSTGRES)
        .await;

    // Registration (user.registered): no account without its event.
    let (status, _) = api.register("bob", "bob@example.com", GOOD_PASSWORD).await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(app.scalar(exists, "bob").await, 0);
    // Sign-in (login.succeeded): no session.
    let (status, _) = api.sign_in("alice", GOOD_PASSWORD).await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(count(sessions).await, 1);
    // A personal access token (token.created): not stored.
    let (status, _) = api.new_token(&session, "ci", &["read:me"], 30).await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(count(tokens).await, 0);
    // Lock (user.locked): neither the flag nor the end of the sessions.
    assert!(app.lock("alice", &operator).await.is_err());
    assert_eq!(count(locked).await, 0);
    assert_eq!(count(sessions).await, 1);
    // Roles (roles.changed): unchanged, sessions kept.
    let admin = vec![rampart_core::RoleName::parse("admin").unwrap()];
    assert!(
        app.set_roles("alice", admin.clone(), &operator)
            .await
            .is_err()
    );
    assert_eq!(count(admins).await, 0);
    // Sign-out (logout): the session stays.
    let (status, _) = api.delete("/sessions/current", &session).await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(count(sessions).await, 1);
    // Deletion (user.deleted): the account stays.
    assert!(app.delete("alice", &operator).await.is_err());
    assert_eq!(count(exists).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events").await,
        events,
        "no event was written"
    );

    // With the trail writable again, the same actions take effect with their events.
    app.execute(
        "DROP TRIGGER refuse_events;",
        "DROP TRIGGER refuse_events ON audit_events; DROP FUNCTION refuse_events();",
    )
    .await;
    let (status, _) = api.new_token(&session, "ci", &["read:me"], 30).await;
    assert_eq!(status, StatusCode::CREATED);
    app.set_roles("alice", admin, &operator).await.unwrap();
    assert_eq!(count(admins).await, 1);
    assert_eq!(count(sessions).await, 1, "a role change keeps the sessions");
    // A second administrator, so that alice is not the last one.
    api.signup("carol").await;
    let carol = vec![rampart_core::RoleName::parse("admin").unwrap()];
    app.set_roles("carol", carol, &operator).await.unwrap();
    app.lock("alice", &operator).await.unwrap();
    assert_eq!(count(locked).await, 1);
    assert_eq!(count(sessions).await, 0, "a lock ends the sessions");
    for (kind, n) in [
        ("token.created", 1),
        ("roles.changed", 2),
        ("user.locked", 1),
    ] {
        assert_eq!(app.events(kind, "%").await, n, "{kind}");
    }
}
