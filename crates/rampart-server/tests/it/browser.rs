//! The browser test: real headless Chromium (Debian `chromium`, driven by
//! `playwright-core` from `e2e/`) registers, signs out, signs in and sees the
//! account page, with no JavaScript of ours on the page.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_logout_login_in_headless_chromium() {
    if let Some(missing) = missing_prerequisite() {
        assert!(
            std::env::var("RAMPART_REQUIRE_BROWSER").is_err(),
            "the browser test is required but {missing}"
        );
        // Written to stderr directly so that libtest's output capture does not hide it.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED the browser test: {missing}\n").as_bytes(),
        );
        return;
    }
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let e2e = e2e_dir();
    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("register-login.mjs")
            .arg(base)
            .current_dir(e2e)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser flow failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("account page shows Hello, e2e_user"),
        "{stdout}"
    );
    assert_eq!(app.accounts.list().await.unwrap().len(), 1);
}
