//! The JSON API: each route's success and documented errors, the error
//! format everywhere, bearer-only authentication, and personal access tokens.

use rampart_testkit::api::{Api, error_code};
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

use reqwest::Method as M;

#[backend_test]
async fn signup_login_me_logout(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let created = api.signup("alice").await;
    assert_eq!(created["username"], "alice");
    assert_eq!(created["email"], "alice@example.com");
    assert!(created["id"].is_string());
    assert!(created.get("password").is_none());

    let (status, body) = api.sign_in("alice", "nope nope nope").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "invalid_credentials");
    let (status2, body2) = api.sign_in("nobody", "nope nope nope").await;
    assert_eq!(
        (status2, body2),
        (status, body),
        "unknown user and wrong password look the same"
    );

    let token = api.login("ALICE").await;
    let (status, me) = api.get("/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["roles"], json!(["user"]));
    assert_eq!(me["email_verified"], false);
    assert_eq!(me["mfa_enabled"], false);
    assert!(me["created_at"].as_str().unwrap().contains('T'));

    let (status, _) = api.delete("/sessions/current", &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api.get("/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "invalid_token");
}

#[backend_test]
async fn signup_errors_name_each_field(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let (status, body) = api.register("x", "bad", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "validation_failed");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"username") && fields.contains(&"email") && fields.contains(&"password"),
        "{body}"
    );

    let (status, body) = api.call(M::POST, "/users", None, Some(json!({"username": "bob", "email": "bob@example.com", "password": GOOD_PASSWORD, "admin": true}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `admin`"),
        "{body}"
    );

    let (status, body) = api
        .call(
            M::POST,
            "/users",
            None,
            Some(json!({"username": 42, "email": "bob@example.com", "password": GOOD_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"][0]["field"], "username", "{body}");

    api.signup("bob").await;
    let (status, body) = api
        .register("BOB", "other@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "conflict");
    assert_eq!(app.account_count().await, 1);

    let closed =
        TestApp::spawn_with(&backend, |raw| raw.registration = Some("closed".into())).await;
    let (status, body) = Api::new(&closed)
        .register("carol", "c@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "registration_closed");
}

#[backend_test]
async fn errors_use_one_format_everywhere(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let client = &api.client;
    let url = |p: &str| format!("{}{}", api.base, p);
    let checks: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            client.get(url("/no-such-route")),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            client.patch(url("/users")),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            client.post(url("/users")).body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            client
                .post(url("/users"))
                .header("content-type", "application/json")
                .body("{\"username\": "),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            client
                .post(url("/users"))
                .header("content-type", "application/json")
                .body(vec![b' '; 100_000]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            client.get(url("/me")),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            client.get(url("/me")).bearer_auth("garbage"),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            client.get(url("/me")).header("authorization", "Basic YTpi"),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    for (req, status, expected) in checks {
        let resp = req.fetch().await;
        assert_eq!(resp.status(), status, "{expected}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{expected}"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&body), expected);
        assert!(
            body["error"]["message"].as_str().unwrap().ends_with('.'),
            "a sentence: {body}"
        );
    }
    let resp = client.get(url("/me")).fetch().await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
}

/// A body that is not a JSON object (an array serde would read as a struct,
/// a string, `null`, a number, nothing at all) is refused with 422 on a POST
/// and on a PATCH, and changes nothing.
#[backend_test]
async fn json_bodies_must_be_objects(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    api.signup("olga").await;
    app.make_admin("olga").await;
    let token = api.login("olga").await;
    let target = api.signup("pete").await;
    let patch = format!("/admin/users/{}", target["id"].as_str().unwrap());
    let before = api.get(&patch, &token).await.1;
    for body in [
        "[null, null]",
        "[\"quinn\", \"q@example.com\", \"long enough password\"]",
        "\"text\"",
        "null",
        "42",
        "",
        "  ",
    ] {
        for (method, path, auth) in [
            (M::POST, "/users", None),
            (M::PATCH, patch.as_str(), Some(token.as_str())),
        ] {
            let mut req = api
                .client
                .request(method.clone(), format!("{}{path}", api.base))
                .header("content-type", "application/json")
                .body(body.to_owned());
            if let Some(auth) = auth {
                req = req.bearer_auth(auth);
            }
            let resp = req.fetch().await;
            assert_eq!(
                resp.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path} {body:?}"
            );
            let answer: Value = resp.json().await.unwrap();
            assert_eq!(error_code(&answer), "validation_failed", "{answer}");
            assert_eq!(answer["error"]["details"][0]["field"], "body", "{answer}");
        }
    }
    assert_eq!(api.get(&patch, &token).await.1, before, "nothing changed");
    assert_eq!(app.account_count().await, 2, "nobody registered");
}

#[backend_test]
async fn cookies_never_authenticate_the_api(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("dave").await;
    let resp = browser.client.get(app.url("/api/v1/me")).fetch().await;
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "the session cookie alone is ignored"
    );
    let cookie = browser.session_token().unwrap();
    let resp = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("rampart_session={cookie}"))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Nor is the browser session's token a bearer token: a stolen cookie
    // cannot be replayed against the API.
    let (status, body) = Api::new(&app).get("/me", &cookie).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
}

#[backend_test]
async fn password_change_revokes_other_sessions(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let mine = api.signed_in("erin").await;
    let other = api.login("erin").await;
    let (status, body) = api.put("/me/password", &mine, json!({"current_password": "wrong wrong wrong", "new_password": "another long phrase 7"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "invalid_password");
    let (status, body) = api
        .put(
            "/me/password",
            &mine,
            json!({"current_password": GOOD_PASSWORD, "new_password": "password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "validation_failed");
    assert_eq!(body["error"]["details"][0]["field"], "new_password");
    let (status, _) = api
        .put(
            "/me/password",
            &mine,
            json!({"current_password": GOOD_PASSWORD, "new_password": "another long phrase 7"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/me", &mine).await.0,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        api.get("/me", &other).await.0,
        StatusCode::UNAUTHORIZED,
        "others end"
    );
    let (status, _) = api.sign_in("erin", "another long phrase 7").await;
    assert_eq!(status, StatusCode::CREATED);
}

#[backend_test]
async fn sessions_can_be_listed_and_revoked(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    api.signup("frank").await;
    api.signup("grace").await;
    let mine = api.login("frank").await;
    let second = api.login("frank").await;
    let third = api.login("frank").await;
    let graces = api.login("grace").await;
    let (status, list) = api.get("/me/sessions", &mine).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(list[0]["ip"], "127.0.0.1");
    let other_id = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_, grace_list) = api.get("/me/sessions", &graces).await;
    let grace_id = grace_list[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = api.delete(&format!("/me/sessions/{grace_id}"), &mine).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's session");
    assert_eq!(error_code(&body), "not_found");
    assert_eq!(api.get("/me", &graces).await.0, StatusCode::OK);

    assert_eq!(
        api.delete(&format!("/me/sessions/{other_id}"), &mine)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, list) = api.get("/me/sessions", &mine).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        api.delete("/me/sessions", &mine).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(api.get("/me", &second).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/me", &third).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/me", &mine).await.0, StatusCode::OK);
}

#[backend_test]
async fn personal_access_tokens_are_shown_once_and_scoped(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let session = api.signed_in("heidi").await;
    let (status, created) = api.new_token(&session, "ci", &["read:me"], 30).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let pat = created["token"].as_str().unwrap().to_owned();
    assert!(pat.starts_with("rmp_"));

    let (status, me) = api.get("/me", &pat).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "heidi");
    let (status, body) = api
        .put(
            "/me/password",
            &pat,
            json!({"current_password": GOOD_PASSWORD, "new_password": "another long phrase 7"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a read:me token cannot change the password"
    );
    assert_eq!(error_code(&body), "insufficient_scope");
    let (status, body) = api.new_token(&pat, "more", &["read:me"], 365).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "session_required");

    let (status, list) = api.get("/me/tokens", &session).await;
    assert_eq!(status, StatusCode::OK);
    let text = list.to_string();
    assert!(
        !text.contains(&pat) && !text.contains(&pat[4..20]),
        "listing never shows the secret"
    );
    assert_eq!(list[0]["name"], "ci");
    assert_eq!(list[0]["scopes"], json!(["read:me"]));
    assert!(
        list[0]["last_used_at"].is_string(),
        "use is recorded: {list}"
    );

    let digest =
        data_encoding::HEXLOWER.encode(&<sha2::Sha256 as sha2::Digest>::digest(pat.as_bytes()));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1",
            &pat
        )
        .await,
        0,
        "no token in clear"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1",
            &digest
        )
        .await,
        1
    );

    for (body, field) in [
        (
            json!({"name": "", "scopes": ["read:me"], "expires_in_days": 30}),
            "name",
        ),
        (
            json!({"name": "x", "scopes": ["root"], "expires_in_days": 30}),
            "scopes",
        ),
        (
            json!({"name": "x", "scopes": [], "expires_in_days": 30}),
            "scopes",
        ),
        (
            json!({"name": "x", "scopes": ["read:me"], "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "scopes": ["read:me"], "expires_in_days": 9999}),
            "expires_in_days",
        ),
    ] {
        let (status, resp) = api.post("/me/tokens", &session, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(resp["error"]["details"][0]["field"], field, "{resp}");
    }
    // A tampered token is refused without a lookup.
    let mut tampered = pat.clone();
    tampered.replace_range(10..11, if &pat[10..11] == "a" { "b" } else { "a" });
    assert_eq!(api.get("/me", &tampered).await.0, StatusCode::UNAUTHORIZED);
}

#[backend_test]
async fn revoked_and_expired_tokens_fail_at_once(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    api.signup("ivan").await;
    api.signup("judy").await;
    let session = api.login("ivan").await;
    let judy = api.login("judy").await;
    let (_, created) = api
        .new_token(&session, "a", &["read:me", "write:me"], 1)
        .await;
    let pat = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/me", &pat).await.0, StatusCode::OK);
    let (status, _) = api.delete(&format!("/me/tokens/{id}"), &judy).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's token");
    assert_eq!(api.get("/me", &pat).await.0, StatusCode::OK);
    assert_eq!(
        api.delete(&format!("/me/tokens/{id}"), &session).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("/me", &pat).await.0,
        StatusCode::UNAUTHORIZED,
        "revocation is immediate"
    );

    let (_, created) = api.new_token(&session, "b", &["read:me"], 1).await;
    let pat = created["token"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/me", &pat).await.0, StatusCode::OK);
    app.clock.advance(time::Duration::hours(23));
    let session = api.login("ivan").await;
    assert_eq!(api.get("/me", &pat).await.0, StatusCode::OK);
    app.clock.advance(time::Duration::hours(2));
    assert_eq!(
        api.get("/me", &pat).await.0,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
    let _ = session;

    let judy = api.login("judy").await;
    let (_, created) = api.new_token(&judy, "c", &["read:me"], 30).await;
    let judys_pat = created["token"].as_str().unwrap().to_owned();
    app.lock("judy", &rampart_core::ClientMeta::operator())
        .await
        .unwrap();
    app.clock.advance(time::Duration::seconds(11));
    assert_eq!(
        api.get("/me", &judys_pat).await.0,
        StatusCode::UNAUTHORIZED,
        "a locked owner's tokens stop"
    );
}

#[backend_test]
async fn admin_scope_needs_the_admin_role(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let session = api.signed_in("kim").await;
    let (status, body) = api.new_token(&session, "x", &["admin"], 30).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("Only administrators"));

    app.make_admin("kim").await;
    let session = api.login("kim").await;
    let (status, _) = api
        .new_token(&session, "x", &["admin", "read:me"], 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// For every route: 401 without a token (where one is needed), 403 with a
/// token lacking the scope, and for every route with a body 400 malformed,
/// 413, 415 and 422 for an unknown field.
#[backend_test]
async fn every_route_answers_its_documented_errors(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let session = api.signed_in("lena").await;
    let (_, created) = api.new_token(&session, "none", &["admin"], 1).await;
    assert_eq!(created["error"]["code"], "validation_failed");
    let (_, created) = api.new_token(&session, "reader", &["read:me"], 1).await;
    let reader = created["token"].as_str().unwrap().to_owned();
    let (_, created) = api.new_token(&session, "writer", &["write:me"], 1).await;
    let writer = created["token"].as_str().unwrap().to_owned();
    let id = "00000000-0000-0000-0000-000000000000";
    // (method, path, needs a token, scope the `reader`/`writer` token lacks, has a body)
    let routes: Vec<(M, String, bool, Option<&str>, bool)> = vec![
        (M::POST, "/users".into(), false, None, true),
        (M::POST, "/sessions".into(), false, None, true),
        (M::DELETE, "/sessions/current".into(), true, None, false),
        (M::GET, "/me".into(), true, Some("writer"), false),
        (M::PUT, "/me/password".into(), true, Some("reader"), true),
        (M::GET, "/me/sessions".into(), true, Some("writer"), false),
        (
            M::DELETE,
            "/me/sessions".into(),
            true,
            Some("reader"),
            false,
        ),
        (
            M::DELETE,
            format!("/me/sessions/{id}"),
            true,
            Some("reader"),
            false,
        ),
        (M::POST, "/me/tokens".into(), true, None, true),
        (M::GET, "/me/tokens".into(), true, Some("writer"), false),
        (
            M::DELETE,
            format!("/me/tokens/{id}"),
            true,
            Some("reader"),
            false,
        ),
    ];
    for (method, path, needs_token, lacking, has_body) in routes {
        if needs_token {
            let (status, body) = api.call(method.clone(), &path, None, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(error_code(&body), "unauthenticated");
        }
        if let Some(which) = lacking {
            let token = if which == "reader" { &reader } else { &writer };
            let (status, body) = api.call(method.clone(), &path, Some(token), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
            assert_eq!(error_code(&body), "insufficient_scope");
        }
        if has_body {
            let url = format!("{}{}", api.base, path);
            let send =
                |req: reqwest::RequestBuilder| async { req.bearer_auth(&session).fetch().await };
            let resp = send(
                api.client
                    .request(method.clone(), &url)
                    .header("content-type", "application/json")
                    .body("{"),
            )
            .await;
            assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{method} {path}");
            let resp = send(
                api.client
                    .request(method.clone(), &url)
                    .header("content-type", "text/plain")
                    .body("{}"),
            )
            .await;
            assert_eq!(
                resp.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path}"
            );
            let resp = send(
                api.client
                    .request(method.clone(), &url)
                    .header("content-type", "application/json")
                    .body(vec![b' '; 70_000]),
            )
            .await;
            assert_eq!(
                resp.status(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "{method} {path}"
            );
            let resp = send(
                api.client
                    .request(method.clone(), &url)
                    .json(&json!({"unexpected": 1})),
            )
            .await;
            assert_eq!(
                resp.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path}"
            );
            let body: Value = resp.json().await.unwrap();
            assert_eq!(error_code(&body), "validation_failed");
        }
    }
    let (status, body) = api.delete("/sessions/current", &reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "not_a_session");
}

#[backend_test]
async fn rate_limits_answer_429_with_retry_after(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| raw.api = rampart_testkit::api_rate(1, 3)).await;
    app.browser().sign_up("rita").await;
    let rita = app.api_login("rita", GOOD_PASSWORD).await;
    let mut limited = None;
    for _ in 0..6 {
        let resp = app.api().send(M::GET, "/me", "some-token", None).await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(resp);
            break;
        }
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = limited.expect("the fourth call within a second is over the burst");
    assert_eq!(resp.headers()["retry-after"], "1");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "rate_limited");
    // Made-up tokens share the address's budget; a verified caller has its
    // own.
    let other = app.api().send(M::GET, "/me", "another-token", None).await;
    assert_eq!(other.status(), StatusCode::TOO_MANY_REQUESTS);
    let verified = app.api().send(M::GET, "/me", &rita, None).await;
    assert_eq!(verified.status(), StatusCode::OK);
}

#[backend_test]
async fn a_full_hash_pool_answers_503_busy(backend: Backend) {
    let app = TestApp::spawn_with(&backend, crate::operations::one_hash_worker).await;
    let api = Api::new(&app);
    api.signup("mia").await;
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let client = api.client.clone();
            let url = format!("{}/sessions", api.base);
            tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .json(&json!({"username": "mia", "password": "wrong password 1"}))
                    .fetch()
                    .await;
                let status = resp.status();
                let retry = resp
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let body: Value = resp.json().await.unwrap();
                (status, retry, body)
            })
        })
        .collect();
    let mut busy = 0;
    for call in calls {
        let (status, retry, body) = call.await.unwrap();
        match status {
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(retry.as_deref(), Some("1"));
                assert_eq!(error_code(&body), "busy");
            }
            StatusCode::UNAUTHORIZED => assert_eq!(error_code(&body), "invalid_credentials"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(busy > 0);
    // A busy answer takes back every counter it reserved (four, more than
    // one statement takes back); a checked guess stays counted in each.
    let checked = 12 - busy;
    let sum =
        "SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) FROM login_throttle WHERE key LIKE $1";
    for kind in ["name:", "addr:", "net:", "acct:"] {
        let counted = app.scalar(sum, &format!("{kind}%")).await;
        assert_eq!(counted, checked, "{kind}");
    }
}
