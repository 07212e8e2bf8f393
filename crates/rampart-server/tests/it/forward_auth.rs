//! `GET /auth/verify` driven directly, as a proxy would: identities from the
//! cookie, a bearer session token and a personal access token; the access
//! rules; the `rd` redirect; single sign-on cookie domain; and API CORS.

use rampart_server::config::{RawAccess, RawCors, RawRule, RawSession, StringList};
use rampart_testkit::api::location;
use rampart_testkit::{Backend, Fetch, Forwarded, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;

pub(crate) fn rule(
    host: Option<&str>,
    path: Option<&str>,
    policy: &str,
    roles: &[&str],
) -> RawRule {
    RawRule {
        host: host.map(str::to_owned),
        path: path.map(str::to_owned),
        path_regex: None,
        methods: None,
        networks: None,
        policy: policy.to_owned(),
        roles: if roles.is_empty() {
            None
        } else {
            Some(roles.iter().map(|r| r.to_string()).collect())
        },
    }
}

pub(crate) async fn verify(
    app: &TestApp,
    host: &str,
    uri: &str,
    auth: Option<(&str, &str)>,
) -> reqwest::Response {
    verify_with(app, host, uri, auth.as_slice()).await
}

/// [`verify`] of `app.example.com/x` with `token` as the bearer.
async fn verify_bearer(app: &TestApp, token: &str) -> reqwest::Response {
    let bearer = format!("Bearer {token}");
    verify(
        app,
        "app.example.com",
        "/x",
        Some(("authorization", &bearer)),
    )
    .await
}

/// `/auth/verify` as a proxy asks it, with these headers besides.
pub(crate) async fn verify_with(
    app: &TestApp,
    host: &str,
    uri: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/auth/verify"))
        .forwarded("GET", "http", host, uri);
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    req.fetch().await
}

#[backend_test]
async fn identities_are_passed_upstream(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("alice").await;
    let cookie = format!("rampart_session={}", browser.session_token().unwrap());

    let resp = verify(&app, "app.example.com", "/x?y=1", None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(location(&resp).starts_with(&format!("{}/login", app.base)));

    let resp = verify(&app, "app.example.com", "/x", Some(("cookie", &cookie))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["remote-user"], "alice");
    assert_eq!(resp.headers()["remote-email"], "alice@example.com");
    assert_eq!(resp.headers()["remote-groups"], "user");

    let session = app.api_login("alice", GOOD_PASSWORD).await;
    let resp = verify_bearer(&app, &session).await;
    assert_eq!(resp.headers()["remote-user"], "alice");

    let api = app.api();
    // A token made to read the account is not a key to the applications.
    let (_, reader) = api
        .new_token(&session, "svc", &["read:me", "write:me"], 7)
        .await;
    let resp = verify_bearer(&app, reader["token"].as_str().unwrap()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "no proxy scope");
    let (_, created) = api.new_token(&session, "svc", &["proxy"], 7).await;
    let pat = created["token"].as_str().unwrap();
    let resp = verify_bearer(&app, pat).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["remote-user"], "alice");
    let id = created["id"].as_str().unwrap();
    api.delete(&format!("/me/tokens/{id}"), &session).await;
    assert_eq!(
        verify_bearer(&app, pat).await.status(),
        StatusCode::UNAUTHORIZED
    );

    browser.logout().await;
    assert_eq!(
        verify(&app, "app.example.com", "/x", Some(("cookie", &cookie)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[backend_test]
async fn access_rules_decide_first_match_wins(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
        raw.access = Some(RawAccess {
            default_policy: Some("deny".into()),
            rules: Some(vec![
                rule(None, Some("/public"), "bypass", &[]),
                rule(Some("*.example.com"), Some("/admin"), "roles", &["admin"]),
                RawRule {
                    path_regex: Some("^/api/v[0-9]+/internal".into()),
                    networks: Some(vec!["127.0.0.0/8".into()]),
                    ..rule(None, None, "bypass", &[])
                },
                RawRule {
                    methods: Some(vec!["DELETE".into()]),
                    ..rule(Some("*.example.com"), None, "deny", &[])
                },
                rule(Some("*.example.com"), None, "authenticated", &[]),
            ]),
            ..Default::default()
        })
    })
    .await;
    let (user_cookie, admin_cookie) = crate::bypass::people(&app).await;

    let anon = None;
    let u = Some(("cookie", user_cookie.as_str()));
    let a = Some(("cookie", admin_cookie.as_str()));
    for (host, uri, who, expected) in [
        ("app.example.com", "/public/page", anon, StatusCode::OK),
        (
            "app.example.com",
            "/publicity",
            anon,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "app.example.com",
            "/public/../admin",
            u,
            StatusCode::FORBIDDEN,
        ),
        (
            "app.example.com",
            "/public/%2e%2e/admin",
            u,
            StatusCode::FORBIDDEN,
        ),
        (
            "app.example.com",
            "/admin/users",
            anon,
            StatusCode::UNAUTHORIZED,
        ),
        ("app.example.com", "/admin/users", u, StatusCode::FORBIDDEN),
        ("app.example.com", "/admin/users", a, StatusCode::OK),
        ("app.example.com", "/api/v2/internal", anon, StatusCode::OK),
        ("app.example.com", "/home", u, StatusCode::OK),
        ("other.org", "/home", u, StatusCode::FORBIDDEN),
    ] {
        let resp = verify(&app, host, uri, who).await;
        assert_eq!(resp.status(), expected, "{host}{uri}");
    }
    // The network is the client's, read from X-Forwarded-For of a trusted proxy.
    let resp = reqwest::Client::new()
        .get(app.url("/auth/verify"))
        .header("x-forwarded-for", "203.0.113.5")
        .forwarded("GET", "https", "app.example.com", "/api/v2/internal")
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Method conditions read X-Forwarded-Method.
    let resp = reqwest::Client::new()
        .get(app.url("/auth/verify"))
        .forwarded("DELETE", "https", "app.example.com", "/home")
        .header("cookie", &user_cookie)
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[backend_test]
async fn redirects_only_to_allowed_hosts(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("dave").await;
    let own_host = app.addr.to_string();
    let resp = verify(&app, &own_host, "/protected?a=b", None).await;
    let target = location(&resp).to_owned();
    let expected_rd =
        url::form_urlencoded::byte_serialize(format!("http://{own_host}/protected?a=b").as_bytes())
            .collect::<String>();
    assert_eq!(target, format!("{}/login?rd={expected_rd}", app.base));

    let resp = verify(&app, "evil.example", "/x", None).await;
    let target = location(&resp);
    assert!(
        !target.contains("rd="),
        "no redirect to a foreign host: {target}"
    );

    // The login form honours an allowed rd and ignores a foreign one.
    for (rd, expected) in [
        (
            format!("http://{own_host}/protected?a=b"),
            format!("http://{own_host}/protected?a=b"),
        ),
        (
            "https://evil.example/steal".to_owned(),
            "/account".to_owned(),
        ),
        (
            format!("javascript://{own_host}/%0aalert(1)"),
            "/account".to_owned(),
        ),
    ] {
        let browser = app.browser();
        let html = browser
            .get(&format!(
                "/login?rd={}",
                url::form_urlencoded::byte_serialize(rd.as_bytes()).collect::<String>()
            ))
            .await
            .text()
            .await
            .unwrap();
        let token = rampart_testkit::csrf_from(&html).unwrap();
        let resp = browser
            .post(
                "/login",
                &[
                    ("username", "dave"),
                    ("password", GOOD_PASSWORD),
                    ("rd", &rd),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(resp.headers()["location"], expected.as_str(), "rd={rd}");
    }
}

#[backend_test]
async fn cookie_domain_gives_single_sign_on(backend: Backend) {
    let port = 0;
    let _ = port;
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.base_url = Some("http://auth.example.test".into());
        raw.session.get_or_insert_default().cookie_domain = Some("example.test".into());
    })
    .await;
    let browser = app.browser();
    let resp = browser.get("/login").await;
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Domain=example.test"), "{cookie}");
    let resp = verify(&app, "wiki.example.test", "/page", None).await;
    let location = location(&resp).to_owned();
    assert!(
        location
            .starts_with("http://auth.example.test/login?rd=http%3A%2F%2Fwiki.example.test%2Fpage"),
        "{location}"
    );

    let bad = rampart_server::config::Config::from_raw(rampart_server::config::RawConfig {
        base_url: Some("https://auth.example.com".into()),
        session: Some(RawSession {
            cookie_domain: Some("other.org".into()),
            ..Default::default()
        }),
        data_dir: Some(app.data_dir.path().join("x")),
        ..Default::default()
    });
    assert!(bad.err().unwrap().to_string().contains("cookie_domain"));

    let https = TestApp::spawn_with(&backend, |raw| {
        raw.base_url = Some("https://auth.example.test".into());
        raw.session.get_or_insert_default().cookie_domain = Some("example.test".into());
    })
    .await;
    let cookie = https.browser().get("/login").await.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("__Secure-rampart_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
}

#[backend_test]
async fn cors_is_off_unless_configured(backend: Backend) {
    let preflight = |app: &TestApp, origin: &str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let closed = TestApp::spawn(&backend).await;
    let resp = preflight(&closed, "https://app.example.com").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());

    let open = TestApp::spawn_with(&backend, |raw| {
        raw.cors = Some(RawCors {
            allowed_origins: Some(StringList::Joined("https://app.example.com".into())),
        })
    })
    .await;
    let resp = preflight(&open, "https://app.example.com").await.unwrap();
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let resp = preflight(&open, "https://evil.example").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let page = reqwest::Client::new()
        .get(open.url("/login"))
        .header("origin", "https://app.example.com")
        .fetch()
        .await;
    assert!(
        page.headers().get("access-control-allow-origin").is_none(),
        "pages never get CORS"
    );
}
