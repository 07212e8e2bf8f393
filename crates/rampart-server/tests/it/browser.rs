//! The browser test: real headless Chromium (Debian `chromium`, driven by
//! `playwright-core` from `e2e/`) registers, signs out, signs in and sees the
//! account page, and enrols TOTP then signs in with password + code, with no
//! JavaScript of ours on the page.
//!
//! Skipped, saying so, when Node, the e2e packages or Chromium are missing;
//! `.ci/run` installs them and sets `RAMPART_REQUIRE_BROWSER=1`, which turns a
//! skip into a failure.

use rampart_testkit::{Backend, TestApp};
use std::path::PathBuf;
use std::process::Command;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

fn missing_prerequisite() -> Option<String> {
    let chromium =
        std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !PathBuf::from(&chromium).exists() {
        return Some(format!("{chromium} is missing (apt-get install chromium)"));
    }
    if !e2e_dir().join("node_modules/playwright-core").is_dir() {
        return Some("e2e/node_modules is missing (cd e2e && npm ci)".to_owned());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is missing".to_owned());
    }
    None
}

/// Runs `node SCRIPT ARGS…` in `e2e/` against a fresh app; `None` when the
/// prerequisites are missing (and that is allowed).
async fn run_script(script: &str, app: &TestApp, extra: Vec<String>) -> Option<String> {
    if let Some(missing) = missing_prerequisite() {
        assert!(
            std::env::var("RAMPART_REQUIRE_BROWSER").is_err(),
            "the browser test is required but {missing}"
        );
        // Written to stderr directly so that libtest's output capture does not hide it.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED the browser test {script}: {missing}\n").as_bytes(),
        );
        return None;
    }
    let e2e = e2e_dir();
    let base = app.base.clone();
    let script = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(base)
            .args(extra)
            .current_dir(e2e)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser flow failed:\n{stdout}\n{stderr}"
    );
    Some(stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_logout_login_in_headless_chromium() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let Some(stdout) = run_script("register-login.mjs", &app, Vec::new()).await else {
        return;
    };
    assert!(
        stdout.contains("account page shows Hello, e2e_user"),
        "{stdout}"
    );
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_is_added_signs_in_and_is_removed_in_headless_chromium() {
    // WebAuthn refuses IP addresses: the site is `http://localhost:PORT`.
    let app = TestApp::spawn_with(&Backend::Sqlite, |raw| {
        raw.base_url = raw
            .base_url
            .take()
            .map(|b| b.replace("127.0.0.1", "localhost"));
    })
    .await;
    let base = app.base.replace("127.0.0.1", "localhost");
    let Some(stdout) = run_script("passkeys.mjs", &app, vec![base]).await else {
        return;
    };
    assert!(
        stdout.contains("the passkey alone signs in: Hello, e2e_passkey"),
        "{stdout}"
    );
    assert_eq!(app.events("passkey.removed", "%Chromium%").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_enrolment_and_sign_in_in_headless_chromium() {
    use rampart_core::Clock as _;
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let now = app.clock.now().unix_timestamp().to_string();
    let Some(stdout) = run_script("totp.mjs", &app, vec![now]).await else {
        return;
    };
    assert!(
        stdout.contains("password + code signs in: Hello, e2e_mfa"),
        "{stdout}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mfa_totp WHERE enabled = TRUE")
            .await,
        1
    );
}

/// Every page (anonymous, signed-in, administrator, error) at 375 px in
/// both palettes: axe finds nothing serious, nothing scrolls sideways, the
/// header has the menu and Sign out, and times are for people; a German
/// browser gets German pages, and its account German mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_phone_sized_and_has_the_header_in_headless_chromium() {
    let (app, sink) = TestApp::spawn_with_mail(&Backend::Sqlite).await;
    rampart_testkit::api::Api::new(&app)
        .signup("e2e_admin")
        .await;
    app.make_admin("e2e_admin").await;
    let args = vec![
        "e2e_admin".to_owned(),
        rampart_testkit::GOOD_PASSWORD.to_owned(),
    ];
    let Some(stdout) = run_script("pages.mjs", &app, args).await else {
        return;
    };
    for page in [
        "/login (visitor)",
        "/account/sessions (person)",
        "/admin (administrator)",
    ] {
        assert!(
            stdout.contains(&format!(
                "{page}, dark: axe finds no serious or critical violation"
            )),
            "{stdout}"
        );
    }
    assert!(stdout.contains("signed out from the header"), "{stdout}");
    assert!(
        stdout.contains("the account page greets in German: Hallo, e2e_deutsch"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok: error pages are in German: Seite nicht gefunden"),
        "{stdout}"
    );
    // The account the German browser made gets its mail in German.
    let mail = sink
        .wait_for_subject("Bestätigen Sie Ihre E-Mail-Adresse")
        .await;
    assert!(mail.contains("To: e2e_deutsch@example.com"), "{mail}");
    assert!(mail.contains("Hallo e2e_deutsch,"), "{mail}");
    assert!(mail.contains("Meine E-Mail-Adresse bestätigen"), "{mail}");
    assert!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count() > 150,
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_finds_and_locks_a_user_in_headless_chromium() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let api = rampart_testkit::api::Api::new(&app);
    api.signup("e2e_admin").await;
    api.signup("victim").await;
    api.signup("victor").await;
    app.make_admin("e2e_admin").await;
    let victim = app.browser();
    victim.login("victim", rampart_testkit::GOOD_PASSWORD).await;
    app.browser().login("victim", "a wrong password here").await;
    assert_eq!(victim.status("/account").await, reqwest::StatusCode::OK);
    let args = vec![
        "e2e_admin".to_owned(),
        rampart_testkit::GOOD_PASSWORD.to_owned(),
        "victim".to_owned(),
    ];
    let Some(stdout) = run_script("admin.mjs", &app, args).await else {
        return;
    };
    assert!(
        stdout.contains("the account page shows it locked"),
        "{stdout}"
    );
    assert_eq!(
        victim.status("/account").await,
        reqwest::StatusCode::SEE_OTHER,
        "the victim's session ended"
    );
    let user = app.admin.find("victim").await.unwrap();
    assert!(user.locked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_an_openid_provider_in_headless_chromium() {
    let test = "sign_in_with_an_openid_provider_in_headless_chromium";
    let Some(crate::oidc::Setup {
        app,
        provider: _provider,
    }) = crate::oidc::setup(test, &Backend::Sqlite, true, false).await
    else {
        return;
    };
    let Some(stdout) = run_script("oidc.mjs", &app, vec!["Corp SSO".to_owned()]).await else {
        return;
    };
    assert!(
        stdout.contains("ok: signing in again reaches the same account"),
        "{stdout}"
    );
}
