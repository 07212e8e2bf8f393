//! No escalation through the admin API or the console: an operator acts
//! only on accounts whose permissions are a subset of its own, and grants
//! only roles whose permissions it holds. One refusal per action and
//! surface; the refused action changes nothing. The host CLI is not
//! restricted (it runs as the host's operator).

use crate::admin::{person, role, signed_in, with_custom_roles};
use rampart_core::{ClientMeta, RoleName};
use rampart_server::config::RawConfig;
use rampart_testkit::api::{Api, error_code};
use rampart_testkit::{Backend, TestApp, backend_test};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// `helpdesk` acts on accounts; `rolemgr` may also change roles; neither
/// holds `audit:read`, which `support` does.
fn roles(raw: &mut RawConfig) {
    with_custom_roles(raw);
    let rolemgr = role(&["users:read", "users:write", "roles:write"]);
    raw.roles
        .get_or_insert_default()
        .insert("rolemgr".to_owned(), rolemgr);
}

#[backend_test]
async fn the_api_refuses_every_action_on_a_stronger_account(backend: Backend) {
    let app = TestApp::spawn_with(&backend, roles).await;
    let api = Api::new(&app);
    let ada = person(&app, &api, "ada", &["admin"]).await;
    let sue = person(&app, &api, "sue", &["support"]).await;
    let tom = person(&app, &api, "tom", &[]).await;
    person(&app, &api, "hal", &["helpdesk"]).await;
    let hal = api.login("hal").await;
    let ada_session = api.login("ada").await;

    for (target, name) in [(&ada, "an administrator"), (&sue, "audit:read")] {
        let at = |tail: &str| format!("/admin/users/{target}{tail}");
        for (method, path, body) in [
            (Method::PATCH, at(""), Some(json!({"locked": true}))),
            (Method::DELETE, at(""), None),
            (Method::DELETE, at("/sessions"), None),
            (Method::DELETE, at("/mfa"), None),
            (Method::POST, at("/password-reset"), None),
        ] {
            let (status, answer) = api.call(method.clone(), &path, Some(&hal), body).await;
            assert_eq!(
                (status, error_code(&answer)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{method} {path} on {name}: {answer}"
            );
        }
    }
    // Unlock: the operator (host) locked ada; helpdesk may not lift it.
    app.lock("sue", &ClientMeta::operator()).await.unwrap();
    let (status, answer) = api.patch_user(&hal, &sue, json!({"locked": false})).await;
    assert_eq!(
        (status, error_code(&answer)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // Nothing changed: ada still signs in, her session lives, no reset link.
    assert_eq!(api.get("/me", &ada_session).await.0, StatusCode::OK);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM one_time_tokens WHERE user_id = $1 AND purpose = 'password_reset'",
            &ada
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND NOT locked",
            &ada
        )
        .await,
        1
    );
    // An account within helpdesk's permissions is fair game.
    let (status, _) = api.patch_user(&hal, &tom, json!({"locked": true})).await;
    assert_eq!(status, StatusCode::OK);
    // The host's CLI is not restricted.
    app.unlock("sue", &ClientMeta::operator()).await.unwrap();
}

#[backend_test]
async fn the_console_refuses_every_action_on_a_stronger_account(backend: Backend) {
    let app = TestApp::spawn_with(&backend, roles).await;
    let api = Api::new(&app);
    let ada = person(&app, &api, "ada", &["admin"]).await;
    person(&app, &api, "rex", &["rolemgr"]).await;
    let rex = signed_in(&app, "rex").await;
    let csrf = rex.csrf("/account").await;
    let at = |tail: &str| format!("/admin/users/{ada}{tail}");
    for (path, extra) in [
        (at("/lock"), None),
        (at("/sessions/revoke"), None),
        (at("/mfa/reset"), None),
        (at("/passkeys/remove"), Some(("passkey_id", "any"))),
        (at("/password-reset"), None),
        (at("/roles"), Some(("role", "user"))),
        (at("/delete"), Some(("confirm_username", "ada"))),
    ] {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(extra);
        let resp = rex.post(&path, &form).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
    app.lock("ada", &ClientMeta::operator()).await.ok();
    let resp = rex
        .post(&at("/unlock"), &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "unlock");
    let user = app.admin.find("ada").await.unwrap();
    assert!(user.roles.iter().any(|r| r.as_str() == "admin"));
}

#[backend_test]
async fn roles_are_granted_only_within_the_operator_s_own(backend: Backend) {
    let app = TestApp::spawn_with(&backend, roles).await;
    let api = Api::new(&app);
    let tom = person(&app, &api, "tom", &[]).await;
    let rex_id = person(&app, &api, "rex", &["rolemgr"]).await;
    let rex = api.login("rex").await;
    let grant = |id: &str, roles: serde_json::Value| {
        let path = format!("/admin/users/{id}");
        let api = &api;
        let rex = rex.clone();
        async move { api.patch(&path, &rex, json!({"roles": roles})).await }
    };
    for (id, roles, who) in [
        (&tom, json!(["user", "admin"]), "admin to another"),
        (&rex_id, json!(["rolemgr", "admin"]), "admin to itself"),
        (&tom, json!(["support"]), "audit:read it lacks"),
    ] {
        let (status, body) = grant(id, roles).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{who}: {body}"
        );
    }
    let tom_user = app.admin.find("tom").await.unwrap();
    assert_eq!(
        tom_user.roles,
        vec![RoleName::user()],
        "nothing was granted"
    );
    // Within its own permissions, and roles that carry none.
    let (status, body) = grant(&tom, json!(["user", "helpdesk", "editor"])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!(["editor", "helpdesk", "user"]));
    // The console refuses the same grant.
    let browser = signed_in(&app, "rex").await;
    let csrf = browser.csrf("/account").await;
    let resp = browser
        .post(
            &format!("/admin/users/{tom}/roles"),
            &[("csrf_token", csrf.as_str()), ("role", "admin")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // The console takes free text, and suggests the roles in use.
    let resp = browser
        .post(
            &format!("/admin/users/{tom}/roles"),
            &[
                ("csrf_token", csrf.as_str()),
                ("role", "user"),
                ("more_roles", "editor, wiki-ops"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = browser.page(&format!("/admin/users/{tom}")).await;
    assert!(page.contains("<option value=\"wiki-ops\">"), "{page}");
    assert!(page.contains("<option value=\"helpdesk\">"), "{page}");
    let tom_user = app.admin.find("tom").await.unwrap();
    let names: Vec<&str> = tom_user.roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(names, ["editor", "user", "wiki-ops"]);
}

#[backend_test]
async fn a_refused_change_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_with(&backend, roles).await;
    let api = Api::new(&app);
    let ada_id = person(&app, &api, "ada", &["admin"]).await;
    let rex_id = person(&app, &api, "rex", &["rolemgr"]).await;
    let ada = api.login("ada").await;
    let rex = api.login("rex").await;

    // No one gives themselves a role they do not hold, not even one that
    // carries no permission (it may open applications through access rules).
    let (status, body) = api
        .patch_user(
            &rex,
            &rex_id,
            json!({"roles": ["rolemgr", "user", "grafana-admin"]}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{body}"
    );

    // The last administrator: roles and lock in one PATCH; the lock is
    // refused, and the roles are not half-applied.
    let (status, body) = api
        .patch_user(
            &ada,
            &ada_id,
            json!({"roles": ["admin", "user", "wiki"], "locked": true}),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "last_administrator"),
        "{body}"
    );
    let unchanged = app.admin.find("ada").await.unwrap();
    assert!(
        !unchanged.roles.iter().any(|r| r.as_str() == "wiki"),
        "{:?}",
        unchanged.roles
    );
    assert!(!unchanged.locked);

    // A locked administrator is not the last one: it can be deleted.
    let bea_id = person(&app, &api, "bea", &["admin"]).await;
    app.lock("bea", &ClientMeta::operator()).await.unwrap();
    let (status, body) = api.delete(&format!("/admin/users/{bea_id}"), &ada).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}
