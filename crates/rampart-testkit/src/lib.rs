//! Test kit: the real Rampart application on `127.0.0.1:0` with a fresh
//! database (an SQLite file in a temporary folder, or a new PostgreSQL
//! database when `RAMPART_TEST_DATABASE_URL` is set), a manual clock the test
//! can advance, and the actions tests share: browser flows (`Browser`:
//! register, sign in, change the password, sign out), the JSON API
//! ([`api::Api`]: sign up, sign in, tokens, error codes), operator actions
//! (roles, locks) and authenticator codes ([`TestApp::totp_code`]). Test
//! files use these instead of their own copies.

// Test support: failing loudly is the point, so panics are allowed here.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
// Tests compare what the server did with the real time (see clippy.toml).
#![allow(clippy::disallowed_methods)]

pub mod api;
pub mod ldap;
pub mod oidc;
pub mod relay;
pub mod smtp;
pub mod tls;
/// Runs an `async fn name(backend: Backend)` once per storage backend.
pub use rampart_test_macros::backend_test;

use rampart_core::account::AdminError;
use rampart_core::admin::{Action, Operator};
use rampart_core::{AccountService, ClientMeta, ManualClock, RoleName, SessionService, User};
use rampart_server::app;
use rampart_server::config::{Config, RawConfig};
use rampart_store::Store;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, Response, redirect};
use std::net::SocketAddr;
use std::sync::Arc;
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::sync::oneshot;

/// A loopback port nothing listens on now (for a server a test starts
/// itself, or an address that must be known before its server starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// `[api]` settings: `per_second` calls a second per caller, in bursts of
/// `burst`.
pub fn api_rate(per_second: u32, burst: u32) -> Option<rampart_server::config::RawApi> {
    Some(rampart_server::config::RawApi {
        rate_per_second: Some(per_second),
        burst: Some(burst),
    })
}

/// Resident memory of this process, in bytes (`/proc/self/statm`; 0 where
/// there is none).
pub fn resident_memory() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse::<u64>().ok());
    pages.unwrap_or(0) * 4096
}

/// Runs `$body` with `$pool` bound to the pool of either backend (the same
/// code, typed once per database).
macro_rules! on_each_store {
    ($store:expr, |$pool:ident| $body:block) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// What an operator action on an account answers: the account, or why not.
pub type Operated = Result<User, AdminError>;

/// A password that meets the policy, used by tests that need one.
pub const GOOD_PASSWORD: &str = "a long unusual phrase 42";

/// Which database a test runs against.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this URL.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL from `RAMPART_TEST_DATABASE_URL`, or `None` after saying
    /// clearly that the test is skipped.
    pub fn postgres(test: &str) -> Option<Backend> {
        match std::env::var("RAMPART_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                // Written to stderr directly so that libtest's output capture does not hide it.
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    format!("SKIPPED {test} on PostgreSQL: RAMPART_TEST_DATABASE_URL is not set\n")
                        .as_bytes(),
                );
                None
            }
        }
    }
}

/// Creates a new, empty PostgreSQL database and returns its URL.
pub async fn fresh_postgres_database(server_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = format!("rampart_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(server_url).await?;
    // The name is generated here from a UUID, never from input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let mut url = url::Url::parse(server_url)?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// A running application.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// The application's clock.
    pub clock: Arc<ManualClock>,
    /// Direct access to the database.
    pub store: Store,
    /// The session service (for assertions).
    pub sessions: Arc<SessionService>,
    /// The account service (for set-up).
    pub accounts: Arc<AccountService>,
    /// Operator actions.
    pub admin: Arc<rampart_core::AdminService>,
    /// First-run setup links.
    pub setup: Arc<rampart_core::setup::SetupService>,
    /// The database URL.
    pub database_url: String,
    /// The data folder (deleted on drop).
    pub data_dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestApp {
    /// Starts the application with default settings.
    pub async fn spawn(backend: &Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the application after `adjust` has changed the settings.
    pub async fn spawn_with(backend: &Backend, adjust: impl FnOnce(&mut RawConfig)) -> TestApp {
        Self::spawn_on(backend, "127.0.0.1:0", adjust).await
    }

    /// Starts the application on a dual-stack listener (`[::]:0`), where
    /// IPv4 clients arrive as IPv4-mapped IPv6 addresses; `base` still uses
    /// `127.0.0.1`.
    pub async fn spawn_dual_stack(
        backend: &Backend,
        adjust: impl FnOnce(&mut RawConfig),
    ) -> TestApp {
        Self::spawn_on(backend, "[::]:0", adjust).await
    }

    async fn spawn_on(
        backend: &Backend,
        bind: &str,
        adjust: impl FnOnce(&mut RawConfig),
    ) -> TestApp {
        match Self::try_spawn(backend, bind, adjust).await {
            Ok(app) => app,
            Err(err) => panic!("the test application did not start: {err:#}"),
        }
    }

    async fn try_spawn(
        backend: &Backend,
        bind: &str,
        adjust: impl FnOnce(&mut RawConfig),
    ) -> anyhow::Result<TestApp> {
        install_crypto_provider();
        let data_dir = tempfile::tempdir()?;
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", data_dir.path().join("rampart.db").display()),
            Backend::Postgres(server) => fresh_postgres_database(server).await?,
        };
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = SocketAddr::from(([127, 0, 0, 1], listener.local_addr()?.port()));
        let base = format!("http://{addr}");
        let mut raw = RawConfig {
            listen: Some(addr.to_string()),
            base_url: Some(base.clone()),
            database_url: Some(database_url.clone()),
            data_dir: Some(data_dir.path().to_path_buf()),
            ..RawConfig::default()
        };
        adjust(&mut raw);
        // Built-in HTTPS: the site is reached over https on the same port.
        let mut base = base;
        if raw.tls_cert.is_some() && raw.base_url.as_deref() == Some(base.as_str()) {
            base = format!("https://{addr}");
            raw.base_url = Some(base.clone());
        }
        let config = Config::from_raw(raw)?;
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let built = app::build(&config, clock.clone()).await?;
        let store = built.store.clone();
        let sessions = built.sessions.clone();
        let accounts = built.accounts.clone();
        let admin = built.admin.clone();
        let setup = built.setup.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app::run(listener, built, async move {
            let _ = stopped.await;
        }));
        Ok(TestApp {
            base,
            addr,
            clock,
            store,
            sessions,
            accounts,
            admin,
            setup,
            database_url,
            data_dir,
            stop: Some(stop),
        })
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// How many accounts there are.
    pub async fn account_count(&self) -> usize {
        self.accounts.list().await.unwrap_or_else(fail).len()
    }

    /// Runs a query returning one integer (test assertions on stored state).
    pub async fn scalar(&self, sql: &'static str, bind: &str) -> i64 {
        self.scalar_with(sql, &[bind]).await
    }

    /// [`TestApp::scalar`] without parameters (e.g. a `COUNT(*)`).
    pub async fn count(&self, sql: &'static str) -> i64 {
        self.scalar_with(sql, &[]).await
    }

    /// [`TestApp::scalar`] with any number of text parameters.
    pub async fn scalar_with(&self, sql: &'static str, binds: &[&str]) -> i64 {
        let result = on_each_store!(&self.store, |pool| {
            let query = sqlx::query_scalar::<_, i64>(sql);
            binds
                .iter()
                .fold(query, |q, b| q.bind(*b))
                .fetch_one(pool)
                .await
        });
        result.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// How many audit events of `kind` there are whose details match the SQL
    /// `LIKE` pattern `details_like` (`"%"` for all of them).
    pub async fn events(&self, kind: &str, details_like: &str) -> i64 {
        self.scalar_with(
            "SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND details LIKE $2",
            &[kind, details_like],
        )
        .await
    }

    /// [`TestApp::events`] about the account `username`.
    pub async fn user_events(&self, kind: &str, username: &str, details_like: &str) -> i64 {
        self.scalar_with(
            "SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND username = $2 AND details LIKE $3",
            &[kind, username, details_like],
        )
        .await
    }

    /// Operator: replaces the roles of the account called `name`.
    pub async fn set_roles(&self, name: &str, roles: Vec<RoleName>, by: &ClientMeta) -> Operated {
        let user = self.admin.find(name).await?;
        self.admin.set_roles(&user, roles, Operator::Host, by).await
    }

    async fn act(&self, name: &str, action: Action, by: &ClientMeta) -> Operated {
        let user = self.admin.find(name).await?;
        self.admin
            .act(action, &user, Operator::Host, by)
            .await
            .map(|()| user)
    }

    /// Operator: locks the account called `name`.
    pub async fn lock(&self, name: &str, by: &ClientMeta) -> Operated {
        self.act(name, Action::Lock, by).await
    }

    /// Operator: unlocks the account called `name`.
    pub async fn unlock(&self, name: &str, by: &ClientMeta) -> Operated {
        self.act(name, Action::Unlock, by).await
    }

    /// Operator: deletes the account called `name`.
    pub async fn delete(&self, name: &str, by: &ClientMeta) -> Operated {
        self.act(name, Action::Delete, by).await
    }

    /// Runs statements that return nothing (test set-up on the database,
    /// e.g. a trigger); `sqlite` and `postgres` are the texts per backend.
    pub async fn execute(&self, sqlite: &'static str, postgres: &'static str) {
        let result = match &self.store {
            Store::Sqlite(pool) => sqlx::raw_sql(sqlite).execute(pool).await.map(|_| ()),
            Store::Postgres(pool) => sqlx::raw_sql(postgres).execute(pool).await.map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("{sqlite} / {postgres}: {e}"));
    }

    /// Signs in through the JSON API; returns the bearer session token.
    pub async fn api_login(&self, username: &str, password: &str) -> String {
        let body: serde_json::Value = Client::new()
            .post(self.url("/api/v1/sessions"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap_or_else(fail)
            .json()
            .await
            .unwrap_or_else(fail);
        body["token"]
            .as_str()
            .unwrap_or_else(|| fail(format!("no token in {body}")))
            .to_owned()
    }

    /// Operator: gives `name` the roles `roles` beside `user`.
    pub async fn grant(&self, name: &str, roles: &[&str]) {
        let mut all: Vec<rampart_core::RoleName> = roles
            .iter()
            .map(|r| rampart_core::RoleName::parse(r).unwrap_or_else(|p| fail(p.message)))
            .collect();
        all.push(rampart_core::RoleName::user());
        self.set_roles(name, all, &rampart_core::ClientMeta::operator())
            .await
            .unwrap_or_else(fail);
    }

    /// Operator: makes `name` an administrator (roles `admin` and `user`).
    pub async fn make_admin(&self, name: &str) {
        self.grant(name, &["admin"]).await;
    }

    /// The code an authenticator app would show for the base32 `secret` at
    /// the server's clock plus `steps` 30-second steps (computed by
    /// `totp-lite`, not by Rampart).
    pub fn totp_code(&self, secret: &str, steps: i64) -> String {
        let key = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .unwrap_or_else(fail);
        let at = rampart_core::Clock::now(self.clock.as_ref()).unix_timestamp() + steps * 30;
        totp_lite::totp_custom::<totp_lite::Sha1>(
            30,
            6,
            &key,
            u64::try_from(at).unwrap_or_else(fail),
        )
    }

    /// A client of the JSON API.
    pub fn api(&self) -> api::Api {
        api::Api::new(self)
    }

    /// A browser-like client: its own cookie jar, redirects not followed.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser whose session cookie is `token` (to replay or forge one).
    pub fn browser_with_session(&self, token: &str) -> Browser {
        let browser = self.browser();
        browser.set_session_token(token);
        browser
    }

    /// A browser signed in as a new account `username`
    /// (`username@example.com`, [`GOOD_PASSWORD`]), registered through
    /// `/register`; asserts that the registration went through.
    pub async fn signed_up(&self, username: &str) -> Browser {
        let browser = self.browser();
        let resp = browser.sign_up(username).await;
        assert_eq!(
            resp.status(),
            reqwest::StatusCode::SEE_OTHER,
            "registering {username}"
        );
        browser
    }

    /// A browser whose every request asks for `accept_language`.
    pub fn browser_speaking(&self, accept_language: &str) -> Browser {
        Browser::speaking(&self.base, accept_language)
    }

    /// Starts the application with its mail going to an SMTP port nothing
    /// listens on (the mail stays queued); answers the port's address too,
    /// for a sink started there later.
    pub async fn spawn_with_dead_smtp(backend: &Backend) -> (TestApp, std::net::SocketAddr) {
        let smtp = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
        let url = format!("smtp://{smtp}");
        let app = TestApp::spawn_with(backend, move |raw| raw.smtp_url = Some(url)).await;
        (app, smtp)
    }

    /// Starts the application with its mail going to a new SMTP sink.
    pub async fn spawn_with_mail(backend: &Backend) -> (TestApp, smtp::SmtpSink) {
        let sink = smtp::SmtpSink::start().await;
        let url = format!("smtp://{}", sink.addr);
        let app = TestApp::spawn_with(backend, move |raw| raw.smtp_url = Some(url)).await;
        (app, sink)
    }
}

/// Sends a request and reads the whole answer, failing the test on a
/// transport error or a body that is not what was asked for.
pub trait Fetch {
    /// The answer, whatever its status.
    fn fetch(self) -> impl std::future::Future<Output = Response> + Send;
    /// The answer's body as JSON.
    fn fetch_json(self) -> impl std::future::Future<Output = serde_json::Value> + Send;
    /// The answer's body as text.
    fn fetch_text(self) -> impl std::future::Future<Output = String> + Send;
}

impl Fetch for reqwest::RequestBuilder {
    async fn fetch(self) -> Response {
        self.send().await.unwrap_or_else(fail)
    }

    async fn fetch_json(self) -> serde_json::Value {
        self.fetch().await.json().await.unwrap_or_else(fail)
    }

    async fn fetch_text(self) -> String {
        self.fetch().await.text().await.unwrap_or_else(fail)
    }
}

/// A forward-auth request as a reverse proxy sends it: the `X-Forwarded-*`
/// headers of the original request.
pub trait Forwarded {
    /// Adds `X-Forwarded-Method`, `-Proto`, `-Host` and `-Uri`.
    fn forwarded(self, method: &str, proto: &str, host: &str, uri: &str) -> Self;
}

impl Forwarded for reqwest::RequestBuilder {
    fn forwarded(self, method: &str, proto: &str, host: &str, uri: &str) -> Self {
        self.header("x-forwarded-method", method)
            .header("x-forwarded-proto", proto)
            .header("x-forwarded-host", host)
            .header("x-forwarded-uri", uri)
    }
}

/// A client with a cookie jar, like one browser.
pub struct Browser {
    /// The HTTP client.
    pub client: Client,
    /// Its cookies.
    pub jar: Arc<Jar>,
    base: String,
}

/// Extracts the `csrf_token` hidden field from a page.
pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Reads the body of `resp` and asserts that it contains `expected`;
/// answers the body.
pub async fn assert_body(resp: Response, expected: &str) -> String {
    let body = resp.text().await.unwrap_or_else(fail);
    assert!(body.contains(expected), "{expected:?} missing in {body}");
    body
}

impl Browser {
    /// A browser for a server running elsewhere (e.g. the real binary).
    pub fn new(base: &str) -> Browser {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// A browser whose every request asks for `accept_language`.
    pub fn speaking(base: &str, accept_language: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(accept_language) {
            headers.insert(reqwest::header::ACCEPT_LANGUAGE, value);
        }
        Self::with_headers(base, headers)
    }

    fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Browser {
        install_crypto_provider();
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .default_headers(headers)
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Browser {
            client,
            jar,
            base: base.to_owned(),
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).fetch().await
    }

    /// The status of a GET of `path`.
    pub async fn status(&self, path: &str) -> reqwest::StatusCode {
        self.get(path).await.status()
    }

    /// GET an absolute URL (another server, such as an identity provider).
    pub async fn get_url(&self, url: &str) -> Response {
        self.client.get(url).fetch().await
    }

    /// POST a form to an absolute URL.
    pub async fn post_url(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).fetch().await
    }

    /// GET a page and return its CSRF token.
    pub async fn csrf(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap_or_default();
        csrf_from(&html).unwrap_or_else(|| fail(format!("no csrf_token on {path}")))
    }

    /// POST a form as is (no token added).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(self.url(path)).form(form).fetch().await
    }

    /// GET a page and answer its text.
    pub async fn page(&self, path: &str) -> String {
        self.client.get(self.url(path)).fetch_text().await
    }

    /// POST the form of the page `path` back to `path`, with its CSRF token.
    pub async fn send_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.submit(path, path, form).await
    }

    /// POST a form with the CSRF token of `page` added.
    pub async fn submit(&self, page: &str, path: &str, form: &[(&str, &str)]) -> Response {
        let token = self.csrf(page).await;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf_token", &token));
        self.post(path, &fields).await
    }

    /// Registers through `/register`.
    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        self.submit(
            "/register",
            "/register",
            &[
                ("username", username),
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    /// [`Browser::register`] as `username` with `username@example.com` and
    /// [`GOOD_PASSWORD`].
    pub async fn sign_up(&self, username: &str) -> Response {
        let email = format!("{username}@example.com");
        self.register(username, &email, GOOD_PASSWORD).await
    }

    /// Signs in through `/login`.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Signs in through `/login` with [`GOOD_PASSWORD`], asking to be
    /// remembered.
    pub async fn login_remembered(&self, username: &str) -> Response {
        let form = [
            ("username", username),
            ("password", GOOD_PASSWORD),
            ("remember", "on"),
        ];
        self.send_form("/login", &form).await
    }

    /// Posts the `/password/reset` form: the link's `token`, the new
    /// `password` twice and the page's `csrf` token.
    pub async fn reset_password(&self, token: &str, password: &str, csrf: &str) -> Response {
        let form = [
            ("token", token),
            ("password", password),
            ("password_confirm", password),
            ("csrf_token", csrf),
        ];
        self.post("/password/reset", &form).await
    }

    /// Changes the password through `/account/password` (a fresh sign-in
    /// is needed).
    pub async fn change_password(&self, current: &str, new: &str) -> Response {
        self.submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await
    }

    /// Ends a session (`"others"` for every other one) from
    /// `/account/sessions` (a fresh sign-in is needed).
    pub async fn revoke_session(&self, session_id: &str) -> Response {
        let form = [("session_id", session_id)];
        self.submit("/account/sessions", "/account/sessions/revoke", &form)
            .await
    }

    /// Turns the authenticator app off from `/account/mfa/totp`, confirmed
    /// with `password`.
    pub async fn disable_totp(&self, password: &str) -> Response {
        let form = [("password", password)];
        self.submit("/account/mfa/totp", "/account/mfa/totp/disable", &form)
            .await
    }

    /// Proves the password again through `/reauth`, asking to go on to
    /// `next`.
    pub async fn reauth(&self, password: &str, next: &str) -> Response {
        let form = [("password", password), ("next", next)];
        self.send_form("/reauth", &form).await
    }

    /// Signs out through `/logout`.
    pub async fn logout(&self) -> Response {
        self.submit("/account", "/logout", &[]).await
    }

    /// The session cookie's current value in the jar.
    pub fn session_token(&self) -> Option<String> {
        self.cookie("rampart_session")
    }

    /// A cookie's current value in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&self.base).ok()?;
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(cookie, _)| *cookie == name)
            .map(|(_, value)| value.to_owned())
    }

    /// Replaces the session cookie (to replay an old token).
    pub fn set_session_token(&self, token: &str) {
        self.set_cookie("rampart_session", token);
    }

    /// Sets a cookie in the jar.
    pub fn set_cookie(&self, name: &str, value: &str) {
        if let Ok(url) = url::Url::parse(&self.base) {
            self.jar
                .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
        }
    }
}

/// Makes ring rustls's process-wide provider (HTTP clients need one; the
/// server's `main` does the same). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn fail<T>(err: impl std::fmt::Display) -> T {
    panic!("test kit: {err}")
}
