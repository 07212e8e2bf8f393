//! Roles and permissions, the admin API and console, and the first-run
//! setup link: every admin route (walked from the served OpenAPI document
//! and from the console's own route table) refuses callers whose roles lack
//! its permission; locks end sessions at once; role changes apply at the
//! next request; the last administrator cannot be removed.

use rampart_core::{ClientMeta, RoleName};
use rampart_server::config::{RawConfig, RawRole};
use rampart_testkit::api::{Api, error_code};
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const UUID: &str = "00000000-0000-0000-0000-000000000000";

/// `support` may read accounts and the trail; `helpdesk` may also act on
/// accounts, but not change roles.
pub(crate) fn with_custom_roles(raw: &mut RawConfig) {
    raw.roles = Some(
        [
            ("support".to_owned(), role(&["users:read", "audit:read"])),
            ("helpdesk".to_owned(), role(&["users:read", "users:write"])),
        ]
        .into(),
    );
}

/// A role holding `permissions`.
pub(crate) fn role(permissions: &[&str]) -> RawRole {
    RawRole {
        permissions: permissions.iter().map(|s| (*s).to_owned()).collect(),
    }
}

async fn spawn(backend: &Backend) -> TestApp {
    TestApp::spawn_with(backend, with_custom_roles).await
}

/// Signs `name` up with `roles` (beside `user`); returns their user id.
pub(crate) async fn person(app: &TestApp, api: &Api, name: &str, roles: &[&str]) -> String {
    let created = api.signup(name).await;
    if !roles.is_empty() {
        app.grant(name, roles).await;
    }
    created["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn signed_in(app: &TestApp, name: &str) -> Browser {
    let browser = app.browser();
    assert_eq!(
        browser.login(name, GOOD_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    browser
}

/// The `<ul>` or `<p>` of `page` that opens with `marker`.
fn section<'a>(page: &'a str, marker: &str) -> &'a str {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker}: {page}"));
    let rest = &page[start..];
    &rest[..rest
        .find("</ul>")
        .or_else(|| rest.find("</p>"))
        .unwrap_or(rest.len())]
}

/// The permission an operation's 403 answer names in the document.
fn needed_permission(operation: &Value) -> &'static str {
    let text = operation["responses"]["403"]["description"]
        .as_str()
        .unwrap_or_default();
    ["users:write", "users:read", "audit:read"]
        .into_iter()
        .find(|p| text.contains(p))
        .unwrap_or_else(|| panic!("the 403 answer names no permission: {text}"))
}

#[backend_test]
async fn every_admin_route_refuses_callers_without_its_permission(backend: Backend) {
    let app = spawn(&backend).await;
    let api = Api::new(&app);
    let target = person(&app, &api, "tom", &[]).await;
    person(&app, &api, "pat", &[]).await;
    person(&app, &api, "sue", &["support"]).await;
    person(&app, &api, "ada", &["admin"]).await;
    let pat = api.login("pat").await;
    let sue = api.login("sue").await;
    // An administrator's token without the admin scope.
    let ada = api.login("ada").await;
    let (_, created) = api.new_token(&ada, "ci", &["read:me"], 1).await;
    let narrow_pat = created["token"].as_str().unwrap().to_owned();

    let (_, doc) = api.call(Method::GET, "/openapi.json", None, None).await;
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/admin") {
            continue;
        }
        let concrete = path.replace("{id}", &target);
        for (method, operation) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = Some(json!({}));
            let (status, answer) = api
                .call(m.clone(), &concrete, Some(&pat), body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} as a user: {answer}"
            );
            assert_eq!(error_code(&answer), "forbidden", "{method} {path}");
            let (status, _) = api
                .call(m.clone(), &concrete, Some(&narrow_pat), body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} with a token lacking the admin scope"
            );
            let (status, answer) = api.call(m, &concrete, Some(&sue), body).await;
            if needed_permission(operation) == "users:write" {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} needs users:write: {answer}"
                );
            } else {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as support: {answer}"
                );
            }
            walked += 1;
        }
    }
    assert!(walked >= 7, "only {walked} admin operations documented");

    // The console: the route table the router was built from.
    let routes = rampart_web::routes::admin::routes();
    assert!(routes.len() >= 10, "{routes:?}");
    let anonymous = app.browser();
    let user = signed_in(&app, "pat").await;
    let support = signed_in(&app, "sue").await;
    let admin = signed_in(&app, "ada").await;
    for (method, path) in routes {
        let page = path.replace("{id}", &target);
        let resp = send(&anonymous, method, &page).await;
        assert_eq!(
            resp.status(),
            StatusCode::SEE_OTHER,
            "{method} {path} anonymous"
        );
        let as_user = send(&user, method, &page).await.status();
        assert_eq!(as_user, StatusCode::FORBIDDEN, "{method} {path} as a user");
        let as_support = send(&support, method, &page).await.status();
        if method == "GET" {
            assert_eq!(as_support, StatusCode::OK, "{method} {path} as support");
            let as_admin = send(&admin, method, &page).await.status();
            assert_eq!(as_admin, StatusCode::OK, "{method} {path} as admin");
        } else {
            assert_eq!(
                as_support,
                StatusCode::FORBIDDEN,
                "{method} {path} as support"
            );
        }
    }
    // Nothing happened to tom.
    let (status, me) = api.get("/me", &api.login("tom").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["roles"], json!(["user"]));
}

/// A console request as `browser` makes it (a POST with its CSRF token).
async fn send(browser: &Browser, method: &str, page: &str) -> reqwest::Response {
    if method == "GET" {
        browser.get(page).await
    } else {
        // The login form carries a CSRF token for signed-in and anonymous
        // visitors alike (signed-in ones are redirected from it, so ask the
        // account page first).
        let account = browser.get("/account").await;
        let csrf = if account.status() == StatusCode::OK {
            rampart_testkit::csrf_from(&account.text().await.unwrap()).unwrap()
        } else {
            browser.csrf("/login").await
        };
        browser
            .post(
                page,
                &[("csrf_token", &csrf), ("confirm_username", "nobody")],
            )
            .await
    }
}

#[backend_test]
async fn locks_end_sessions_and_role_changes_apply_at_the_next_request(backend: Backend) {
    let app = spawn(&backend).await;
    let api = Api::new(&app);
    let tom = person(&app, &api, "tom", &[]).await;
    let sue = person(&app, &api, "sue", &[]).await;
    person(&app, &api, "ada", &["admin"]).await;
    let ada = api.login("ada").await;

    // Lock: every way in of tom's ends at once.
    let browser = signed_in(&app, "tom").await;
    let token = api.login("tom").await;
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    let (status, body) = api.patch_user(&ada, &tom, json!({"locked": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["locked"], true);
    assert_eq!(browser.status("/account").await, StatusCode::SEE_OTHER);
    assert_eq!(api.get("/me", &token).await.0, StatusCode::UNAUTHORIZED);
    let live = app
        .scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1", &tom)
        .await;
    assert_eq!(live, 0);
    assert_eq!(
        browser.login("tom", GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Roles: sue's same session gains, then loses, the console.
    let console = signed_in(&app, "sue").await;
    assert_eq!(console.status("/admin").await, StatusCode::FORBIDDEN);
    let (status, body) = api
        .patch_user(&ada, &sue, json!({"roles": ["user", "support"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(console.status("/admin").await, StatusCode::OK);
    api.patch_user(&ada, &sue, json!({"roles": ["user"]})).await;
    assert_eq!(console.status("/admin").await, StatusCode::FORBIDDEN);
}

#[backend_test]
async fn administrators_manage_accounts_through_the_api(backend: Backend) {
    let app = spawn(&backend).await;
    let api = Api::new(&app);
    let tom = person(&app, &api, "tom", &[]).await;
    person(&app, &api, "tomas", &[]).await;
    person(&app, &api, "zoe", &[]).await;
    let ada_id = person(&app, &api, "ada", &["admin"]).await;
    person(&app, &api, "hal", &["helpdesk"]).await;
    let ada = api.login("ada").await;
    let hal = api.login("hal").await;

    // Search and paging.
    let (status, page) = api.get("/admin/users?q=TOM&limit=1", &ada).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["users"][0]["username"], "tom");
    let (_, next) = api.get("/admin/users?q=tom&limit=1&offset=1", &ada).await;
    assert_eq!(next["users"][0]["username"], "tomas");
    let (_, literal) = api.get("/admin/users?q=%25", &ada).await;
    assert_eq!(literal["total"], 0, "% is matched literally");
    let (status, bad) = api.get("/admin/users?limit=0", &ada).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["details"][0]["field"], "limit");
    let (status, _) = api.get(&format!("/admin/users/{UUID}"), &ada).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, one) = api.get(&format!("/admin/users/{tom}"), &ada).await;
    assert_eq!(
        (one["username"].as_str(), one["mfa_enabled"].as_bool()),
        (Some("tom"), Some(false))
    );

    // Roles: any well-formed name; roles:write needed; never the last administrator.
    let at = |id: &str| format!("/admin/users/{id}");
    let (status, body) = api
        .patch(&at(&tom), &ada, json!({"roles": ["user", "ghost"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["roles"],
        json!(["ghost", "user"]),
        "an undeclared role is kept"
    );
    let (status, body) = api
        .patch(&at(&tom), &ada, json!({"roles": ["Ghost!"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = api
        .patch(&at(&tom), &hal, json!({"roles": ["admin"]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = api
        .patch(&at(&ada_id), &ada, json!({"roles": ["user"]}))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "last_administrator")
    );
    let (status, _) = api.delete(&at(&ada_id), &ada).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Nor by deleting their own account.
    let own = signed_in(&app, "ada").await;
    let refused = own
        .send_form("/account/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let kept = app
        .scalar("SELECT COUNT(*) FROM users WHERE id = $1", &ada_id)
        .await;
    assert_eq!(kept, 1);
    let (status, body) = api.patch(&at(&tom), &ada, json!({"roles": "admin"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a malformed body is named: {body}"
    );

    // Helpdesk acts on accounts: sessions, password reset, second factor, lock.
    let tom_token = api.login("tom").await;
    let (status, _) = api
        .delete(&format!("/admin/users/{tom}/sessions"), &hal)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get("/me", &tom_token).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/admin/users/{tom}/password-reset"),
            Some(&hal),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mails = app
        .scalar("SELECT COUNT(*) FROM one_time_tokens WHERE user_id = $1 AND purpose = 'password_reset'", &tom)
        .await;
    assert_eq!(mails, 1, "a reset link was issued (and mailed, not shown)");
    let (status, body) = api
        .delete(&format!("/admin/users/{tom}/mfa?reason=ticket%20123"), &hal)
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "not_enrolled")
    );
    // A reset needs a reason, on one line.
    for reason in ["", "?reason=", "?reason=%20%20", "?reason=a%0Ab"] {
        let (status, body) = api
            .delete(&format!("/admin/users/{tom}/mfa{reason}"), &hal)
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{reason:?}"
        );
    }
    let (status, body) = api.patch(&at(&tom), &hal, json!({"locked": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api.patch(&at(&tom), &hal, json!({"locked": false})).await;
    assert_eq!(
        (status, body["locked"].as_bool()),
        (StatusCode::OK, Some(false))
    );

    // Delete.
    let (status, _) = api.delete(&at(&tom), &ada).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&at(&tom), &ada).await.0, StatusCode::NOT_FOUND);

    // Each action is in the trail, by who did it.
    let (_, events) = api.get("/admin/events?user=tom", &ada).await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    for kind in [
        "user.deleted",
        "user.unlocked",
        "user.locked",
        "password.reset_requested",
        "session.revoked",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

#[backend_test]
async fn the_console_acts_on_accounts_with_csrf_and_audit(backend: Backend) {
    let app = spawn(&backend).await;
    let api = Api::new(&app);
    let tom = person(&app, &api, "tom", &[]).await;
    person(&app, &api, "ada", &["admin"]).await;
    let victim = signed_in(&app, "tom").await;
    app.browser().login("tom", "not the password at all").await;
    let ada = signed_in(&app, "ada").await;

    let dashboard = ada.get("/admin").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("id=\"chart-sign-ins\"") && html.contains("id=\"chart-totals\""));
    assert!(
        html.contains("2 succeeded, 1 failed"),
        "the chart counts the sign-ins: {html}"
    );
    let list = ada.page("/admin/users?q=to").await;
    assert!(list.contains(&format!("/admin/users/{tom}")), "{list}");
    assert!(!list.contains("/admin/users/ada"));
    let page = ada.page(&format!("/admin/users/{tom}")).await;
    assert!(
        page.contains("login.failed") && page.contains("login.succeeded"),
        "recent events: {page}"
    );
    // Empty states read as sentences.
    for empty in [
        "No passkey.",
        "No personal access token.",
        "No identity from a directory or provider is linked.",
    ] {
        assert!(page.contains(empty), "{empty}: {page}");
    }
    assert!(page.contains("id=\"devices\""), "{page}");

    // What the account holds: its linked identities, and its tokens by
    // name, scopes and use, never by secret.
    let tom_bearer = api.login("tom").await;
    let secret = api.token(&tom_bearer, &["read:me"]).await;
    app.execute(
        "INSERT INTO external_identities (source, subject, user_id, email, linked_at, last_used_at) \
         SELECT 'oidc:corp', 'tom-at-corp', id, 'tom@corp.example', 1796000000, 1796000000 \
         FROM users WHERE username_key = 'tom'",
        "INSERT INTO external_identities (source, subject, user_id, email, linked_at, last_used_at) \
         SELECT 'oidc:corp', 'tom-at-corp', id, 'tom@corp.example', 1796000000, 1796000000 \
         FROM users WHERE username_key = 'tom'",
    )
    .await;
    let page = ada.page(&format!("/admin/users/{tom}")).await;
    let identities = section(&page, "id=\"identities\"");
    assert!(
        identities.contains("oidc:corp") && identities.contains("tom@corp.example"),
        "{identities}"
    );
    assert!(
        identities.contains("<time datetime=\"2026-11-30T"),
        "{identities}"
    );
    let tokens = section(&page, "id=\"tokens\"");
    assert!(
        tokens.contains("<strong>test</strong>") && tokens.contains("read:me"),
        "{tokens}"
    );
    assert!(tokens.contains("last used"), "{tokens}");
    assert!(!page.contains(&secret), "a token's secret is never shown");

    // Without the CSRF token nothing happens.
    let lock = format!("/admin/users/{tom}/lock");
    assert_eq!(ada.post(&lock, &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(victim.status("/account").await, StatusCode::OK);
    let csrf = ada.csrf("/account").await;
    let resp = ada.post(&lock, &[("csrf_token", &csrf)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let after = ada.page(&format!("/admin/users/{tom}?done=locked")).await;
    assert!(
        after.contains("The account is locked") && after.contains("<dd id=\"status\">locked</dd>")
    );
    assert_eq!(
        victim.status("/account").await,
        StatusCode::SEE_OTHER,
        "tom's session ended"
    );

    // Roles from the form; deletion needs the username typed.
    let roles = format!("/admin/users/{tom}/roles");
    let resp = ada
        .post(
            &roles,
            &[("csrf_token", &csrf), ("role", "user"), ("role", "support")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let delete = format!("/admin/users/{tom}/delete");
    let wrong = ada
        .post(
            &delete,
            &[("csrf_token", &csrf), ("confirm_username", "tim")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let gone = ada
        .post(
            &delete,
            &[("csrf_token", &csrf), ("confirm_username", "TOM")],
        )
        .await;
    assert_eq!(gone.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE id = $1", &tom)
            .await,
        0
    );
    for kind in ["user.locked", "roles.changed", "user.deleted"] {
        let n = app
            .scalar(
                "SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND ip IS NOT NULL",
                kind,
            )
            .await;
        assert_eq!(n, 1, "{kind} recorded with the administrator's address");
    }

    // The console needs a fresh sign-in; after it, a form's POST comes back
    // to the page the form was on, not to the action's address.
    app.clock.advance(time::Duration::minutes(11));
    let stale = ada.get("/admin").await;
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    assert_eq!(stale.headers()["location"], "/reauth?next=%2Fadmin");
    let page = app.url("/admin/users?q=ad");
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(&format!("/admin/users/{UUID}/lock")))
        .header(
            "cookie",
            format!("rampart_session={}", ada.session_token().unwrap()),
        )
        .header("referer", &page)
        .form(&[("csrf_token", csrf.as_str())])
        .fetch()
        .await;
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stale.headers()["location"],
        "/reauth?next=%2Fadmin%2Fusers%3Fq%3Dad"
    );
}

#[backend_test]
async fn the_setup_link_creates_the_first_administrator_once(backend: Backend) {
    let app = spawn(&backend).await;
    let first = app.setup.issue_if_needed().await.unwrap().unwrap();
    let token = app.setup.issue_if_needed().await.unwrap().unwrap();
    let expose = |t: &secrecy::SecretString| secrecy::ExposeSecret::expose_secret(t).to_owned();
    let (first, token) = (expose(&first), expose(&token));
    let browser = app.browser();
    assert_eq!(
        browser.status(&format!("/setup?token={first}")).await,
        StatusCode::BAD_REQUEST,
        "a new start replaces the old link"
    );
    let form = browser.get(&format!("/setup?token={token}")).await;
    assert_eq!(form.status(), StatusCode::OK);
    rampart_testkit::assert_body(form, "Create the first administrator").await;
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1",
            &token
        )
        .await,
        0,
        "only a digest is stored"
    );

    let csrf = browser.csrf(&format!("/setup?token={token}")).await;
    let fields = |csrf: &'static str, password: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf_token", csrf.to_owned()),
            ("token", token.clone()),
            ("username", "root".to_owned()),
            ("email", "root@example.com".to_owned()),
            ("password", password.to_owned()),
            ("password_confirm", password.to_owned()),
        ]
    };
    let csrf: &'static str = Box::leak(csrf.into_boxed_str());
    let weak = fields(csrf, "password");
    let weak: Vec<(&str, &str)> = weak.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        browser.post("/setup", &weak).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let good = fields(csrf, GOOD_PASSWORD);
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = browser.post("/setup", &good).await;
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "the link survived the refused attempt"
    );
    assert_eq!(done.headers()["location"], "/admin");
    assert_eq!(browser.status("/admin").await, StatusCode::OK);
    let root = app.admin.find("root").await.unwrap();
    assert!(root.roles.iter().any(|r| r.as_str() == "admin"));

    // Used: the link, a second submission and a new start give nothing.
    assert_eq!(
        app.browser().status(&format!("/setup?token={token}")).await,
        StatusCode::BAD_REQUEST
    );
    let other = app.browser();
    let csrf2: &'static str = Box::leak(other.csrf("/login").await.into_boxed_str());
    let again = fields(csrf2, GOOD_PASSWORD);
    let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        other.post("/setup", &again).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert!(app.setup.issue_if_needed().await.unwrap().is_none());

    // A link expires after an hour.
    let later = spawn(&backend).await;
    let token = expose(&later.setup.issue_if_needed().await.unwrap().unwrap());
    later.clock.advance(time::Duration::minutes(61));
    assert_eq!(
        later
            .browser()
            .get(&format!("/setup?token={token}"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

/// The `admin` scope is for staff (any administrative permission, asked of
/// the role book): a `support` token reads accounts but cannot act on them,
/// and loses even that when the role is taken away.
#[backend_test]
async fn staff_tokens_carry_their_roles_permissions_and_no_more(backend: Backend) {
    let app = spawn(&backend).await;
    let api = Api::new(&app);
    let target = person(&app, &api, "tom", &[]).await;
    person(&app, &api, "pat", &[]).await;
    person(&app, &api, "sue", &["support"]).await;
    let admin_token = |bearer: String| {
        let api = &api;
        async move { api.new_token(&bearer, "ci", &["admin"], 1).await }
    };
    let (status, body) = admin_token(api.login("pat").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, created) = admin_token(api.login("sue").await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let account = format!("/admin/users/{target}");
    let (status, _) = api.get(&account, &token).await;
    assert_eq!(status, StatusCode::OK, "support reads accounts");
    let (status, body) = api.patch(&account, &token, json!({"locked": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    app.set_roles("sue", vec![RoleName::user()], &ClientMeta::operator())
        .await
        .unwrap();
    let (status, _) = api.get(&account, &token).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the role is gone, and with it the token's reach"
    );
}
