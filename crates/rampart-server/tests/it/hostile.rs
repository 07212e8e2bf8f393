//! Hostile input gets a clear 4xx naming the problem: never a 500, never
//! reflected unescaped, never a partial write.

use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;

async fn register_form(
    app: &TestApp,
    username: &str,
    email: &str,
    password: &str,
) -> (StatusCode, String) {
    let resp = app.browser().register(username, email, password).await;
    (resp.status(), resp.text().await.unwrap())
}

#[backend_test]
async fn script_and_sql_in_fields_are_refused_and_escaped(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let script = "<script>alert(1)</script>";
    let (status, html) = register_form(&app, script, "x@example.com", GOOD_PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Username may contain only"), "{html}");
    assert!(!html.contains(script), "reflected unescaped");
    assert!(html.contains("&lt;script&gt;"));

    let quoted = "\"><script>alert(1)</script>@x.com";
    let (status, html) = register_form(&app, "valid_name", quoted, GOOD_PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Enter a valid e-mail address"));
    assert!(
        !html.contains("\"><script>"),
        "attribute breakout reflected"
    );

    let sql = "' OR 1=1 --";
    let (status, html) = register_form(&app, sql, "y@example.com", GOOD_PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains("' OR 1=1"), "quote reflected unescaped");

    app.browser().sign_up("alice").await;
    let browser = app.browser();
    for login in [
        sql,
        "alice' --",
        "alice\" OR \"1\"=\"1",
        "' OR 1=1 --@x.com",
    ] {
        let resp = browser.login(login, GOOD_PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{login}");
    }
    let resp = browser.login("alice", "' OR 1=1 --").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.account_count().await, 1);
}

#[backend_test]
async fn nul_bytes_invalid_utf8_and_long_fields_are_named(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let (status, html) = register_form(&app, "ab\0cd", "a\0b@example.com", GOOD_PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Username may contain only") && html.contains("Enter a valid e-mail address"),
        "{html}"
    );

    let long_name = "a".repeat(10_000);
    let (status, html) = register_form(
        &app,
        &long_name,
        &format!("{}@example.com", "b".repeat(300)),
        &"p".repeat(2000),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for expected in [
        "Username must be 3 to 32 characters long.",
        "at most 254 characters",
        "at most 1024 bytes",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    let resp = app.browser().login(&long_name, GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Raw invalid UTF-8 bytes, percent-encoded and bare.
    let browser = app.browser();
    let token = browser.csrf("/register").await;
    for body in [
        format!("username=%FF%FEab&email=a%C0%AF@example.com&password=x&password_confirm=x&csrf_token={token}").into_bytes(),
        [b"username=\xff\xfeab&email=e@example.com&password=\xff&password_confirm=\xff&csrf_token=".as_slice(), token.as_bytes()].concat(),
    ] {
        let resp = browser
            .client
            .post(browser.url("/register"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .fetch().await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(resp.text().await.unwrap().contains("Username may contain only"));
    }
    assert_eq!(app.account_count().await, 0, "nothing was written");
}

#[backend_test]
async fn huge_bodies_and_wrong_encodings_are_refused(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let browser = app.browser();
    let token = browser.csrf("/login").await;
    let (status, body) = post_huge_body(&app, browser.session_token().unwrap(), &token).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("larger than this server accepts"), "{body}");

    let resp = browser
        .client
        .post(browser.url("/login"))
        .header("x-csrf-token", token.as_str())
        .header("content-type", "application/json")
        .body(r#"{"username":"a","password":"b"}"#)
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(resp.text().await.unwrap().contains("x-www-form-urlencoded"));

    let resp = browser
        .post("/login", &[("csrf_token", &token), ("username", "alice")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text().await.unwrap().contains("password"),
        "the missing field is named"
    );

    let resp = browser.get("/login?next=%FF%00").await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// POSTs a 10 MB form over a raw socket, reading the answer while still
/// writing: the server answers 413 before the body ends and then closes, which
/// an HTTP client that waits for its upload to finish reports as an error.
async fn post_huge_body(app: &TestApp, session: String, csrf: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let body_len = 10 * 1024 * 1024;
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {}\r\nCookie: rampart_session={session}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\ncsrf_token={csrf}&username=",
        app.addr,
        body_len + csrf.len() + "csrf_token=&username=".len()
    );
    let writing = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..(body_len / chunk.len()) {
            writer.write_all(&chunk).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
        if String::from_utf8_lossy(&response).contains("</html>") {
            break;
        }
    }
    writing.abort();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}
