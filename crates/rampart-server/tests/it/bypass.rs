//! What the security review tried at the proxy boundary, as an attacker
//! would: forged and repeated headers for the original request, every
//! spelling of a protected path, tokens without the `proxy` scope, replayed
//! cookies from another client, a cookie as a bearer token, hostile `rd`
//! values, and junk bearer tokens against the API rate limit.

use crate::forward_auth::rule;
use rampart_server::config::{RawAccess, RawConfig, StringList};
use rampart_testkit::api::location;
use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Method, StatusCode};

fn review_rules(raw: &mut RawConfig) {
    raw.access = Some(RawAccess {
        default_policy: Some("authenticated".into()),
        rules: Some(vec![
            rule(None, Some("/public"), "bypass", &[]),
            rule(None, Some("/admin"), "roles", &["admin"]),
        ]),
        ..Default::default()
    });
}

/// `/auth/verify` with exactly these headers (repeats kept).
async fn ask(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/auth/verify"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.fetch().await
}

fn forwarded<'a>(uri: &'a str, who: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![
        ("x-forwarded-method", "GET"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "app.example.com"),
        ("x-forwarded-uri", uri),
    ];
    headers.extend_from_slice(who);
    headers
}

/// A plain user and an administrator, each with a session cookie header.
pub(crate) async fn people(app: &TestApp) -> (String, String) {
    let user = app.signed_up("bob").await;
    let admin = app.signed_up("carol").await;
    app.make_admin("carol").await;
    (
        format!("rampart_session={}", user.session_token().unwrap()),
        format!("rampart_session={}", admin.session_token().unwrap()),
    )
}

#[backend_test]
async fn forged_headers_never_choose_the_path(backend: Backend) {
    let app = TestApp::spawn_with(&backend, review_rules).await;
    let (user, _) = people(&app).await;
    let u = [("cookie", user.as_str())];
    let forged_url = ("x-original-url", "https://app.example.com/public/x");

    // The review's request: X-Original-URL says /public, the proxy says /admin.
    for (who, expected) in [
        (&u[..], StatusCode::FORBIDDEN),
        (&[][..], StatusCode::UNAUTHORIZED),
    ] {
        let mut headers = forwarded("/admin/users", who);
        headers.push(forged_url);
        assert_eq!(ask(&app, &headers).await.status(), expected);
    }
    // Only X-Original-URL, with the default source: no fallback to it.
    let only_url = [forged_url, ("x-original-method", "GET"), u[0]];
    assert_eq!(ask(&app, &only_url).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        ask(&app, &only_url[..2]).await.status(),
        StatusCode::UNAUTHORIZED,
        "an anonymous caller gets 401 first"
    );
    // A header sent twice is refused, whichever copy a proxy would read.
    let mut twice = forwarded("/public/x", &u);
    twice.push(("x-forwarded-uri", "/admin/users"));
    assert_eq!(ask(&app, &twice).await.status(), StatusCode::BAD_REQUEST);
    // Unparseable values: 400, never another header's answer.
    for (name, value) in [
        ("x-forwarded-host", "app.example.com:abc"),
        ("x-forwarded-proto", "gopher"),
        ("x-forwarded-uri", "admin"),
        ("x-forwarded-method", "GET /public"),
    ] {
        let mut headers: Vec<_> = forwarded("/admin/users", &u)
            .into_iter()
            .filter(|(n, _)| *n != name)
            .collect();
        headers.push((name, value));
        headers.push(forged_url);
        assert_eq!(
            ask(&app, &headers).await.status(),
            StatusCode::BAD_REQUEST,
            "{name}: {value}"
        );
    }

    // The nginx source reads X-Original-URL only.
    let nginx = TestApp::spawn_with(&backend, |raw| {
        review_rules(raw);
        if let Some(access) = raw.access.as_mut() {
            access.source = Some("original-url".into());
        }
    })
    .await;
    let (user, _) = people(&nginx).await;
    let u = ("cookie", user.as_str());
    let admin_url = ("x-original-url", "https://app.example.com/admin/users");
    let method = ("x-original-method", "GET");
    let forged_uri = ("x-forwarded-uri", "/public/x");
    assert_eq!(
        ask(&nginx, &[admin_url, method, forged_uri, u])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ask(&nginx, &[admin_url, method, forged_uri]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let unparseable = ("x-original-url", "https://app.example.com:abc/admin");
    assert_eq!(
        ask(&nginx, &[unparseable, method, forged_uri, u])
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ask(&nginx, &[unparseable, method, forged_uri])
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        ask(&nginx, &forwarded("/public/x", &[u])).await.status(),
        StatusCode::BAD_REQUEST,
        "X-Forwarded-* never stand in for X-Original-URL"
    );
    let public_url = ("x-original-url", "https://app.example.com/public/x");
    assert_eq!(
        ask(&nginx, &[public_url, method]).await.status(),
        StatusCode::OK
    );
}

#[backend_test]
async fn every_spelling_is_decided_as_the_plain_path(backend: Backend) {
    let app = TestApp::spawn_with(&backend, review_rules).await;
    let (user, admin) = people(&app).await;
    let u = [("cookie", user.as_str())];
    let a = [("cookie", admin.as_str())];
    for uri in [
        "/admin",
        "/Admin",
        "/ADMIN/x",
        "/admin;x",
        "/admin%3bx",
        "/admin%3Bx",
        "/admin%20",
        "/admin.",
        "/admin./x",
        "/public/%2E%2E/admin",
        "/public/../admin",
        "/public/.%2e/admin",
        "//admin",
        "/./admin/",
        "/%61dmin",
        "/%41DMIN",
        "/admin/x?back=/public",
        "/public/x/../../admin",
    ] {
        assert_eq!(
            ask(&app, &forwarded(uri, &u)).await.status(),
            StatusCode::FORBIDDEN,
            "plain user at {uri}"
        );
        assert_eq!(
            ask(&app, &forwarded(uri, &[])).await.status(),
            StatusCode::UNAUTHORIZED,
            "anonymous at {uri}"
        );
        assert_eq!(
            ask(&app, &forwarded(uri, &a)).await.status(),
            StatusCode::OK,
            "administrator at {uri}"
        );
    }
    for uri in [
        "/admin%00",
        "/admin%2fx",
        "/admin%2Fx",
        "/public%2f..%2fadmin",
        "/public/..%5cadmin",
        "/public\\..\\admin",
        "/admin%0d%0aX-Injected:%201",
        "/admin%7f",
        "/public/%252e%252e/admin",
        "/adm\tin",
        // Read as `..` by Tomcat or IIS, as a name by nginx and Node.
        "/public/..;/admin",
        "/public/%2e%2e;/admin",
        "/admin/..;/public",
        "/admin/..%3bx/public",
        "/admin/..%20/public",
        "/admin/;x/../public",
        // Escapes only some servers decode.
        "/public/%u002e%u002e/admin",
        "/public/%c0%ae%c0%ae/admin",
        "/admin%",
        "/public#/../admin",
    ] {
        assert_eq!(
            ask(&app, &forwarded(uri, &u)).await.status(),
            StatusCode::BAD_REQUEST,
            "refused for a signed-in caller: {uri:?}"
        );
        assert_eq!(
            ask(&app, &forwarded(uri, &[])).await.status(),
            StatusCode::UNAUTHORIZED,
            "anonymous: 401 first: {uri:?}"
        );
    }
    // The bypass rule still works, in any spelling.
    for uri in [
        "/public/x",
        "/PUBLIC/x",
        "/public;jsessionid=1/x",
        "/Public.",
    ] {
        assert_eq!(
            ask(&app, &forwarded(uri, &[])).await.status(),
            StatusCode::OK,
            "{uri}"
        );
    }
    // Header values an attacker might try: never a 500.
    for (name, value) in [
        ("x-forwarded-uri", "/%"),
        ("x-forwarded-uri", "/%zz/%"),
        ("x-forwarded-uri", "/%\u{ff0e}\u{ff0e}/admin"),
        ("x-forwarded-uri", "/%ff%fe"),
        ("x-forwarded-host", "[::1"),
        ("x-forwarded-host", "[::1]:99999"),
        ("x-forwarded-host", ":"),
        ("x-forwarded-host", "..."),
        ("x-forwarded-method", "\u{ff}"),
    ] {
        let mut req = reqwest::Client::new().get(app.url("/auth/verify"));
        for (n, v) in forwarded("/x", &u).into_iter().filter(|(n, _)| *n != name) {
            req = req.header(n, v);
        }
        let raw = reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap();
        let resp = req.header(name, raw).fetch().await;
        assert!(
            [
                StatusCode::OK,
                StatusCode::BAD_REQUEST,
                StatusCode::FORBIDDEN
            ]
            .contains(&resp.status()),
            "{name}: {value:?} → {}",
            resp.status()
        );
    }

    // With case_sensitive = true the rule compares case.
    let sensitive = TestApp::spawn_with(&backend, |raw| {
        review_rules(raw);
        if let Some(access) = raw.access.as_mut() {
            access.case_sensitive = Some(true);
        }
    })
    .await;
    let (user, _) = people(&sensitive).await;
    let u = [("cookie", user.as_str())];
    assert_eq!(
        ask(&sensitive, &forwarded("/Admin", &u)).await.status(),
        StatusCode::OK,
        "another path to a case-sensitive rule"
    );
    assert_eq!(
        ask(&sensitive, &forwarded("/admin;x", &u)).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[backend_test]
async fn session_protection_holds_at_verify(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
        raw.session.get_or_insert_default().protection = Some("strong".into());
    })
    .await;
    let browser = app.signed_up("erin").await;
    let cookie = format!("rampart_session={}", browser.session_token().unwrap());
    let at_verify = |extra: Vec<(&'static str, &'static str)>| {
        let mut headers = forwarded("/x", &[]);
        headers.extend(extra);
        headers
    };
    let mut same = at_verify(vec![]);
    same.push(("cookie", &cookie));
    assert_eq!(ask(&app, &same).await.status(), StatusCode::OK);

    // The same cookie from another browser on another network.
    let mut replayed = at_verify(vec![
        ("user-agent", "curl/8.0"),
        ("x-forwarded-for", "198.51.100.7"),
    ]);
    replayed.push(("cookie", &cookie));
    assert_eq!(
        ask(&app, &replayed).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        ask(&app, &same).await.status(),
        StatusCode::UNAUTHORIZED,
        "strong protection ended the session"
    );
    assert_eq!(
        browser.status("/account").await,
        StatusCode::SEE_OTHER,
        "the owner signs in again"
    );

    // Basic protection (the default) keeps the session, no longer fresh.
    let basic = TestApp::spawn(&backend).await;
    let browser = basic.signed_up("frank").await;
    let cookie = format!("rampart_session={}", browser.session_token().unwrap());
    let mut replayed = forwarded("/x", &[("user-agent", "curl/8.0")]);
    replayed.push(("cookie", &cookie));
    assert_eq!(ask(&basic, &replayed).await.status(), StatusCode::OK);
    let resp = browser.get("/account/password").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&resp).starts_with("/reauth"),
        "another client's use made the session stale"
    );
}

#[backend_test]
async fn cookies_and_bearer_tokens_stay_apart(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("gina").await;
    let cookie_value = browser.session_token().unwrap();
    let api_token = app.api_login("gina", GOOD_PASSWORD).await;
    assert!(
        api_token.starts_with("rms_"),
        "API session tokens are marked"
    );

    let me = |bearer: String| {
        reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .bearer_auth(bearer)
            .send()
    };
    assert_eq!(
        me(cookie_value.clone()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "a browser session's cookie is not a bearer token"
    );
    assert_eq!(
        me(format!("rms_{cookie_value}")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "nor with the API prefix added"
    );
    assert_eq!(
        me(api_token.clone()).await.unwrap().status(),
        StatusCode::OK
    );

    let bearer = format!("Bearer {cookie_value}");
    assert_eq!(
        ask(&app, &forwarded("/x", &[("authorization", &bearer)]))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let bearer = format!("Bearer {api_token}");
    assert_eq!(
        ask(&app, &forwarded("/x", &[("authorization", &bearer)]))
            .await
            .status(),
        StatusCode::OK,
        "an API session token is a bearer credential at verify"
    );
    let as_cookie = format!("rampart_session={api_token}");
    assert_eq!(
        ask(&app, &forwarded("/x", &[("cookie", &as_cookie)]))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "an API token is not a cookie"
    );
    let stranger = app.browser_with_session(&api_token);
    assert_eq!(stranger.status("/account").await, StatusCode::SEE_OTHER);
}

#[backend_test]
async fn hostile_rd_values_are_dropped(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    app.browser().sign_up("hank").await;
    let own = app.addr.to_string();
    let port = app.addr.port();
    let other_port = format!("http://127.0.0.1:{}/x", port.wrapping_add(1));
    let good = format!("http://{own}/protected?a=b");
    let hostile = [
        other_port,
        format!("https://{own}/x"),
        format!("http://user:pw@{own}/x"),
        format!("http://evil.example@{own}/x"),
        format!("http://{own}\\@evil.example/x"),
        format!("http:\\\\{own}/x"),
        "http://127.0.0.1.evil.example/x".to_owned(),
        format!("http://{own}.evil.example/x"),
        "//evil.example/x".to_owned(),
        "/\\evil.example".to_owned(),
        format!("http%3A%2F%2F{own}%2Fx"),
        "javascript:alert(1)".to_owned(),
        format!("http://{own}/x\r\nSet-Cookie: a=b"),
        format!("http://{own}/x\u{0}"),
        format!("http://{own}/\tx"),
        format!("http://{own}/ x"),
        format!("http://{own}/x\u{85}"),
        "http://localhost/x".to_owned(),
        "".to_owned(),
    ];
    for rd in hostile.iter().chain(std::iter::once(&good)) {
        let browser = app.browser();
        let token = browser.csrf("/login").await;
        let resp = browser
            .post(
                "/login",
                &[
                    ("username", "hank"),
                    ("password", GOOD_PASSWORD),
                    ("rd", rd),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "rd={rd:?}");
        let location = location(&resp);
        let expected = if rd == &good {
            good.as_str()
        } else {
            "/account"
        };
        assert_eq!(location, expected, "rd={rd:?}");
        // The login page shows it only when it is allowed.
        let html = browser
            .get(&format!(
                "/login?rd={}",
                url::form_urlencoded::byte_serialize(rd.as_bytes()).collect::<String>()
            ))
            .await;
        assert_ne!(html.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    // With a cookie domain: its hosts on the base URL's scheme and default
    // port, as forward-auth's Location shows.
    let sso = TestApp::spawn_with(&backend, |raw| {
        raw.base_url = Some("http://auth.example.test".into());
        raw.session.get_or_insert_default().cookie_domain = Some("example.test".into());
    })
    .await;
    for (proto, host, allowed) in [
        ("http", "wiki.example.test", true),
        ("http", "example.test", true),
        ("http", "wiki.example.test:8080", false),
        ("https", "wiki.example.test", false),
        ("http", "wiki.example.test.evil.example", false),
        ("http", "evilexample.test", false),
        ("http", "auth.example.test:81", false),
    ] {
        let resp = ask(
            &sso,
            &[
                ("x-forwarded-method", "GET"),
                ("x-forwarded-proto", proto),
                ("x-forwarded-host", host),
                ("x-forwarded-uri", "/page"),
            ],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let location = location(&resp);
        assert_eq!(
            location.contains("rd="),
            allowed,
            "{proto}://{host}: {location}"
        );
    }
}

#[backend_test]
async fn junk_bearer_tokens_count_against_the_address(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.api = rampart_testkit::api_rate(1, 10);
    })
    .await;
    app.browser().sign_up("ivy").await;
    let token = app.api_login("ivy", GOOD_PASSWORD).await;
    let mut limited = 0;
    for n in 0..40 {
        let junk = match n % 3 {
            0 => format!("junk-{n}"),
            1 => format!("rms_{:0>43}", n),
            _ => format!("rmp_{:0>72}", n),
        };
        let resp = app.api().send(Method::GET, "/me", &junk, None).await;
        assert_ne!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(
        limited >= 25,
        "made-up tokens share the address's budget: {limited} of 40 limited"
    );
    let rows = app
        .scalar(
            "SELECT COUNT(*) FROM rate_limits WHERE key LIKE $1",
            "api:%",
        )
        .await;
    assert!(rows <= 2, "junk values write no rows of their own: {rows}");
    // The verified caller has a budget of its own.
    let resp = app.api().send(Method::GET, "/me", &token, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The secret shown on the page that answers the token form.
fn shown_secret(html: &str) -> Option<String> {
    let start = html.find("<code id=\"token-secret\">")? + "<code id=\"token-secret\">".len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_owned())
}

#[backend_test]
async fn the_account_page_makes_proxy_tokens(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.signed_up("jill").await;
    let page = browser.page("/account/tokens").await;
    assert!(
        page.contains("value=\"proxy\""),
        "the form offers proxy: {page}"
    );
    assert!(
        !page.contains("value=\"admin\""),
        "admin only for administrators"
    );
    let make = |scope: &'static str| {
        let browser = &browser;
        async move {
            let html = browser
                .send_form(
                    "/account/tokens",
                    &[
                        ("name", "gateway"),
                        ("scope", scope),
                        ("expires_in_days", "7"),
                    ],
                )
                .await
                .text()
                .await
                .unwrap();
            shown_secret(&html).unwrap_or_else(|| panic!("no secret shown: {html}"))
        }
    };
    let proxy = make("proxy").await;
    let reader = make("read:me").await;
    assert!(proxy.starts_with("rmp_"));
    let at_verify = |token: &str| {
        let bearer = format!("Bearer {token}");
        let app = &app;
        async move {
            ask(app, &forwarded("/x", &[("authorization", bearer.as_str())]))
                .await
                .status()
        }
    };
    assert_eq!(at_verify(&proxy).await, StatusCode::OK);
    assert_eq!(at_verify(&reader).await, StatusCode::UNAUTHORIZED);
    let listed = browser.page("/account/tokens").await;
    assert!(!listed.contains(&proxy), "the secret is shown once only");
    let ids: Vec<String> = listed
        .split("name=\"token_id\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let resp = browser
            .submit(
                "/account/tokens",
                "/account/tokens/revoke",
                &[("token_id", id)],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let still = [at_verify(&proxy).await, at_verify(&reader).await];
    assert!(
        still.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "revoked tokens pass no more: {still:?}"
    );
    let bad = browser
        .send_form(
            "/account/tokens",
            &[("name", "x"), ("scope", "root"), ("expires_in_days", "7")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
