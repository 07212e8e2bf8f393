//! Built-in HTTPS with certificates from a test CA (rcgen): pages, the API
//! and forward-auth over real TLS connections; HTTP/2 by ALPN; TLS 1.0 and
//! 1.1 refused (by the `openssl` client); a renewed certificate served
//! without a restart while an older connection keeps working; a broken or
//! expired replacement left out of service; SIGHUP; handshakes that never
//! finish; startup errors that name the file; `rampart check`; the
//! plain-HTTP redirect.

use crate::cli::{Server, assert_refused, check_problems, rampart, text};
use rampart_server::config::{RawConfig, RawConnections};
use rampart_testkit::tls::TestCa;
use rampart_testkit::{
    Backend, Fetch, Forwarded, GOOD_PASSWORD, TestApp, backend_test, csrf_from, free_port,
};
use reqwest::cookie::Jar;
use reqwest::{StatusCode, Version};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The certificate and key files of a test server, in their own folder.
struct Files {
    dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

fn files(ca: &TestCa, serial: u64) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = ca.server_files(dir.path(), serial);
    Files { dir, cert, key }
}

fn with_tls(files: &Files) -> impl FnOnce(&mut RawConfig) + use<> {
    let (cert, key) = (files.cert.clone(), files.key.clone());
    move |raw| {
        raw.tls_cert = Some(cert);
        raw.tls_key = Some(key);
    }
}

/// The serial number (hex) of the certificate a response came with.
fn served_serial(response: &reqwest::Response) -> String {
    let info = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("the client asks for TLS info");
    let der = info.peer_certificate().expect("a peer certificate");
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.raw_serial_as_string()
}

/// The serial `rcgen` writes for `n` (hex, as x509-parser prints it).
fn serial_of(n: u64) -> String {
    format!("{n:02x}")
}

#[backend_test]
async fn pages_api_and_forward_auth_over_https(backend: Backend) {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let app = TestApp::spawn_with(&backend, with_tls(&tls)).await;
    assert!(app.url("/").starts_with("https://"), "{}", app.url("/"));
    let jar = Arc::new(Jar::default());
    let client = ca.client(jar.clone());

    // Pages: HTTP/2 by ALPN, HSTS, __Host- Secure cookies.
    let page = client.get(app.url("/register")).fetch().await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.version(), Version::HTTP_2, "h2 is chosen by ALPN");
    assert!(
        page.headers()
            .get("strict-transport-security")
            .is_some_and(|v| v.to_str().unwrap().contains("max-age=")),
        "HSTS over built-in HTTPS"
    );
    let csrf = csrf_from(&page.text().await.unwrap()).unwrap();
    let registered = client
        .post(app.url("/register"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "tina"),
            ("email", "tina@example.com"),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ])
        .fetch()
        .await;
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = registered
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-rampart_session=") && c.contains("Secure")),
        "{cookies:?}"
    );
    let account = client.get(app.url("/account")).fetch().await;
    assert_eq!(account.status(), StatusCode::OK);

    // Forward-auth with the browser's cookie.
    let verify = client
        .get(app.url("/auth/verify"))
        .forwarded("GET", "https", "app.example.com", "/dashboard")
        .fetch()
        .await;
    assert_eq!(verify.status(), StatusCode::OK);
    assert_eq!(
        verify.headers().get("remote-user").unwrap(),
        "tina",
        "forward-auth names the user"
    );

    // The API, from an HTTP/1.1-only client.
    let api = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap()])
        .http1_only()
        .build()
        .unwrap();
    let signed_in = api
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"username": "tina", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    assert_eq!(signed_in.version(), Version::HTTP_11);
    let token = signed_in.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .fetch()
        .await;
    assert_eq!(me.status(), StatusCode::OK);

    // A client that does not trust the CA gets no answer at all; plain
    // HTTP on the TLS port gets none either.
    rampart_testkit::install_crypto_provider();
    let stranger = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(TestCa::new().pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    assert!(stranger.get(app.url("/login")).send().await.is_err());
    let plain = reqwest::Client::new()
        .get(format!("http://{}/login", app.addr))
        .send()
        .await;
    assert!(
        plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()),
        "plain HTTP is not served on the TLS port"
    );
}

/// Runs the `openssl` client with `args` against `addr`; whether a
/// handshake completed, and what it printed.
fn openssl_handshake(addr: std::net::SocketAddr, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-servername",
            "localhost",
        ])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the openssl client runs (apt-get install openssl)");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let done =
        out.status.success() && all.contains("Cipher is ") && !all.contains("Cipher is (NONE)");
    (done, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_tls_versions_are_refused() {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let app = TestApp::spawn_with(&Backend::Sqlite, with_tls(&tls)).await;
    let addr = app.addr;
    // The client is allowed old versions (security level 0), so a refusal
    // is the server's.
    for version in ["-tls1", "-tls1_1"] {
        let (done, out) = tokio::task::spawn_blocking(move || {
            openssl_handshake(addr, &[version, "-cipher", "DEFAULT@SECLEVEL=0"])
        })
        .await
        .unwrap();
        assert!(!done, "{version} must be refused:\n{out}");
        assert!(
            out.contains("SSL alert number 70") || out.contains("SSL alert number 40"),
            "{version}: refused by the server's protocol_version or handshake_failure alert:\n{out}"
        );
    }
    for version in ["-tls1_2", "-tls1_3"] {
        let (done, out) = tokio::task::spawn_blocking(move || openssl_handshake(addr, &[version]))
            .await
            .unwrap();
        assert!(done, "{version} is served:\n{out}");
    }
    let (_, out) =
        tokio::task::spawn_blocking(move || openssl_handshake(addr, &["-alpn", "h2,http/1.1"]))
            .await
            .unwrap();
    assert!(out.contains("ALPN protocol: h2"), "{out}");
}

/// Polls `/healthz` with a new connection each time until the served
/// certificate has `serial` (at most `within`).
async fn serves_serial(ca: &TestCa, url: &str, serial: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let fresh = ca.client(Arc::new(Jar::default()));
        if let Ok(response) = fresh.get(url).send().await
            && served_serial(&response) == serial
        {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn metric(client: &reqwest::Client, app: &TestApp, name: &str) -> Option<f64> {
    let body = client.get(app.url("/metrics")).fetch_text().await;
    body.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let app = TestApp::spawn_with(&Backend::Sqlite, with_tls(&tls)).await;
    let early = ca.client(Arc::new(Jar::default()));
    let first = early.get(app.url("/healthz")).fetch().await;
    assert_eq!(served_serial(&first), serial_of(1));
    let expiry = metric(
        &early,
        &app,
        "rampart_tls_certificate_expiry_timestamp_seconds",
    )
    .await
    .expect("the expiry is in /metrics");
    assert!(expiry > OffsetDateTime::now_utc().unix_timestamp() as f64 + 80.0 * 86_400.0);

    // Renewed on disk (as certbot would): the new serial within 5 s, no
    // restart; the connection opened before keeps working, on its pair.
    ca.leaf(
        &["127.0.0.1", "localhost"],
        2,
        OffsetDateTime::now_utc() + time::Duration::days(30),
    )
    .write(&tls.cert, &tls.key);
    assert!(
        serves_serial(
            &ca,
            &app.url("/healthz"),
            &serial_of(2),
            Duration::from_secs(5)
        )
        .await,
        "the renewed certificate is served within 5 s"
    );
    let still = early.get(app.url("/healthz")).fetch().await;
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "the old connection is not dropped"
    );
    assert_eq!(
        served_serial(&still),
        serial_of(1),
        "on the pair it started with"
    );

    // Broken replacements: garbage, a key of another certificate, an
    // expired certificate. Each is refused and counted; serial 2 stays.
    let other = ca.leaf(
        &["127.0.0.1"],
        3,
        OffsetDateTime::now_utc() + time::Duration::days(30),
    );
    let expired = ca.leaf(
        &["127.0.0.1"],
        4,
        OffsetDateTime::now_utc() - time::Duration::hours(1),
    );
    let good = std::fs::read_to_string(&tls.cert).unwrap();
    let good_key = std::fs::read_to_string(&tls.key).unwrap();
    let mut failures = 0.0;
    for (cert, key) in [
        ("not a certificate\n".to_owned(), good_key.clone()),
        (good.clone(), other.key.clone()),
        (expired.cert.clone(), expired.key.clone()),
    ] {
        std::fs::write(&tls.key, &key).unwrap();
        std::fs::write(&tls.cert, &cert).unwrap();
        failures += 1.0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while metric(&early, &app, "rampart_tls_reload_failures_total").await != Some(failures) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "reload failure {failures} is counted"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            serves_serial(&ca, &app.url("/healthz"), &serial_of(2), Duration::ZERO).await,
            "the previous certificate stays in service"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_that_never_finish_are_dropped() {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let tls_config = with_tls(&tls);
    let app = TestApp::spawn_with(&Backend::Sqlite, move |raw| {
        tls_config(raw);
        raw.connections = Some(RawConnections {
            header_timeout: Some("1s".into()),
            idle_timeout: Some("5s".into()),
            request_timeout: None,
        });
        raw.max_connections = Some(20);
    })
    .await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Twenty connections (every slot): silent, or a ClientHello cut short.
    let mut stalled = Vec::new();
    for n in 0..20 {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        if n % 2 == 0 {
            stream
                .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
                .await
                .unwrap();
        }
        stalled.push(stream);
    }
    // While they hold every slot, a real client waits: it is not served.
    let client = ca.client(Arc::new(Jar::default()));
    let early = tokio::time::timeout(
        Duration::from_millis(500),
        client.get(app.url("/healthz")).send(),
    )
    .await;
    assert!(early.is_err(), "the 21st connection waits for a slot");
    // Every one is closed by the server after the handshake timeout.
    for stream in &mut stalled {
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(4), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "a stalled handshake is dropped");
    }
    // The slots are free again: a real client is served.
    let ok = client.get(app.url("/healthz")).fetch().await;
    assert_eq!(ok.status(), StatusCode::OK);
    drop(app);
}

/// Pairs of PEM files a server would be started with, and what it must say.
#[test]
fn startup_errors_name_the_file_and_the_problem() {
    let ca = TestCa::new();
    let good = files(&ca, 1);
    let other = files(&ca, 2);
    let dir = good.dir.path();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let missing = dir.join("missing.pem");
    let cases: [(&Path, &Path, String); 4] = [
        (
            &missing,
            &good.key,
            format!("{}: cannot be read", missing.display()),
        ),
        (
            &not_pem,
            &good.key,
            format!("{}: holds no PEM certificate", not_pem.display()),
        ),
        (
            &good.cert,
            &not_pem,
            format!("{}: holds no PEM private key", not_pem.display()),
        ),
        (
            &good.cert,
            &other.key,
            format!(
                "{}: the private key does not match the certificate in {}",
                other.key.display(),
                good.cert.display()
            ),
        ),
    ];
    for (cert, key, expected) in cases {
        let data = tempfile::tempdir().unwrap();
        let out = rampart(data.path())
            .arg("serve")
            .env("RAMPART_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("RAMPART_TLS_CERT", cert)
            .env("RAMPART_TLS_KEY", key)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains(&expected), "{expected:?} in:\n{err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one sentence:\n{err}");
        assert!(
            lines[0].starts_with("rampart: ") && lines[0].ends_with('.'),
            "{err}"
        );
    }
}

#[test]
fn check_reports_certificate_problems() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("soon.pem"), dir.path().join("soon.key"));
    ca.leaf(
        &["auth.example.com"],
        9,
        OffsetDateTime::now_utc() + time::Duration::days(5),
    )
    .write(&cert, &key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let check = || {
        rampart(dir.path())
            .arg("check")
            .env("RAMPART_TLS_CERT", &cert)
            .env("RAMPART_TLS_KEY", &key)
            .env("RAMPART_BASE_URL", "https://login.example.org")
            .output()
            .unwrap()
    };
    let out = check();
    let report = check_problems(&out);
    for expected in [
        "expires in 4 day(s)",
        "open to group or others (mode 644)",
        "does not cover the base URL's host login.example.org (it names auth.example.com)",
    ] {
        assert!(report.contains(expected), "{expected:?} in:\n{report}");
    }
    // A good pair for the right host: none of these findings.
    ca.leaf(
        &["login.example.org"],
        10,
        OffsetDateTime::now_utc() + time::Duration::days(60),
    )
    .write(&cert, &key);
    let out = check();
    let report = text(&out.stdout);
    // The report ran (a line per finding, or the all-clear) and names no
    // TLS problem.
    assert!(
        report.contains("No insecure settings found.") || report.contains("insecure: "),
        "{report}\n{}",
        text(&out.stderr)
    );
    assert!(!report.contains("TLS"), "{report}");
}

#[test]
fn production_accepts_built_in_https_in_place_of_a_proxy() {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let data = tempfile::tempdir().unwrap();
    let key_file = data.path().join("secret");
    std::fs::write(
        &key_file,
        "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff\n",
    )
    .unwrap();
    let production = |base: &str| {
        let mut cmd = rampart(data.path());
        cmd.arg("serve")
            .env("RAMPART_ENV", "production")
            .env("RAMPART_SECRET_KEY_FILE", &key_file)
            .env("RAMPART_TLS_CERT", &tls.cert)
            .env("RAMPART_TLS_KEY", &tls.key)
            .env("RAMPART_BASE_URL", base);
        cmd
    };
    // An http base URL with built-in HTTPS is refused, naming it.
    let out = production("http://127.0.0.1:1")
        .env("RAMPART_LISTEN", "127.0.0.1:1")
        .output()
        .unwrap();
    assert_refused(&out, "is not https");

    // An https base URL: it starts, and serves over TLS with HSTS and
    // __Host- cookies.
    let port = free_port();
    let mut server = Server::spawn(
        production(&format!("https://127.0.0.1:{port}"))
            .env("RAMPART_LISTEN", format!("127.0.0.1:{port}")),
        port,
        format!("https://127.0.0.1:{port}"),
    );
    server.drain();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = ca.client(Arc::new(Jar::default()));
        let login = client.get(format!("{}/login", server.base)).fetch().await;
        assert_eq!(login.status(), StatusCode::OK);
        assert!(login.headers().contains_key("strict-transport-security"));
        let cookies: Vec<&str> = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .collect();
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with("__Host-rampart_session")),
            "{cookies:?}"
        );
        assert!(
            cookies
                .iter()
                .all(|c| !c.contains("rampart_") || c.starts_with("__Host-")),
            "{cookies:?}"
        );
    });
    let (_, logs) = server.stop();
    assert!(
        !logs.contains("f0e1d2c3b4a59687"),
        "the secret is never logged"
    );
}

#[test]
fn sighup_rereads_the_files() {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = rampart(data.path());
    cmd.arg("serve")
        .env("RAMPART_LISTEN", format!("127.0.0.1:{port}"))
        .env("RAMPART_TLS_CERT", &tls.cert)
        .env("RAMPART_TLS_KEY", &tls.key);
    let mut server = Server::spawn(&mut cmd, port, format!("https://127.0.0.1:{port}"));
    server.drain();
    let url = format!("{}/healthz", server.base);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(runtime.block_on(serves_serial(
        &ca,
        &url,
        &serial_of(1),
        Duration::from_secs(5)
    )));
    // A replacement the poller cannot notice: same sizes, same times. Only
    // SIGHUP makes the server read it.
    let (cert_meta, key_meta) = (
        std::fs::metadata(&tls.cert).unwrap(),
        std::fs::metadata(&tls.key).unwrap(),
    );
    let replacement = (0..200)
        .map(|_| ca.server_files_text(7))
        .find(|(cert, key)| {
            cert.len() as u64 == cert_meta.len() && key.len() as u64 == key_meta.len()
        })
        .expect("a replacement of the same size");
    for (path, body, meta) in [
        (&tls.cert, &replacement.0, &cert_meta),
        (&tls.key, &replacement.1, &key_meta),
    ] {
        std::fs::write(path, body).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(meta.modified().unwrap()).unwrap();
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        runtime.block_on(serves_serial(&ca, &url, &serial_of(1), Duration::ZERO)),
        "no change is visible to the poller"
    );
    server.signal("-HUP");
    assert!(
        runtime.block_on(serves_serial(
            &ca,
            &url,
            &serial_of(7),
            Duration::from_secs(5)
        )),
        "SIGHUP re-reads the pair"
    );
    let (clean, _) = server.stop();
    assert!(clean, "SIGHUP does not stop the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_redirected_to_https() {
    let ca = TestCa::new();
    let tls = files(&ca, 1);
    let redirect_port = free_port();
    let tls_config = with_tls(&tls);
    let app = TestApp::spawn_with(&Backend::Sqlite, move |raw| {
        tls_config(raw);
        raw.redirect_http_listen = Some(format!("127.0.0.1:{redirect_port}"));
    })
    .await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut answer = None;
    for _ in 0..50 {
        if let Ok(r) = plain
            .get(format!("http://127.0.0.1:{redirect_port}/account?tab=1"))
            .header("host", "evil.example.net")
            .send()
            .await
        {
            answer = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = answer.expect("the redirect listener answers");
    assert_eq!(answer.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        answer.headers().get("location").unwrap(),
        &app.url("/account?tab=1"),
        "to the base URL, whatever Host the client sent"
    );
    // Paths that look like other hosts stay on the base URL's host.
    for (path, expected) in [
        ("//evil.example.net/x", "//evil.example.net/x"),
        ("/%2F%2Fevil.example.net", "/%2F%2Fevil.example.net"),
    ] {
        let r = plain
            .get(format!("http://127.0.0.1:{redirect_port}{path}"))
            .fetch()
            .await;
        let location = r.headers().get("location").unwrap().to_str().unwrap();
        assert_eq!(location, format!("{}{expected}", app.url("")), "{path}");
    }
    // An absolute-form target keeps only its path.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(("127.0.0.1", redirect_port))
        .await
        .unwrap();
    raw.write_all(b"GET http://evil.example.net/steal HTTP/1.1\r\nHost: evil.example.net\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer
            .to_lowercase()
            .contains(&format!("location: {}/steal\r\n", app.url(""))),
        "{answer}"
    );
    for (method, path) in [
        ("POST", "/login"),
        ("GET", "/auth/verify"),
        ("GET", "/api/v1/me"),
    ] {
        let r = plain
            .request(
                method.parse().unwrap(),
                format!("http://127.0.0.1:{redirect_port}{path}"),
            )
            .fetch()
            .await;
        assert_eq!(
            r.status(),
            StatusCode::PERMANENT_REDIRECT,
            "{method} {path}: nothing else is served"
        );
        assert!(r.headers().get("set-cookie").is_none());
    }
}
