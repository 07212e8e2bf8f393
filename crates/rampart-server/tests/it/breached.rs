//! The offline breached-password list (Have I Been Pwned's SHA-1 format):
//! refused at registration and password change; a sign-in with a listed
//! password succeeds but opens nothing until the password is changed.

use rampart_testkit::{Backend, TestApp, backend_test};
use reqwest::StatusCode;
use sha1::{Digest, Sha1};
use std::io::Write;

const BREACHED: &str = "correct horse battery staple 9";
const FRESH: &str = "an entirely new passphrase 77";

/// A sorted `SHA1:COUNT` file with `BREACHED` among 20,000 other hashes.
fn hibp_file() -> tempfile::NamedTempFile {
    let hex = |s: &str| -> String {
        Sha1::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    };
    let mut lines: Vec<String> = (0..20_000)
        .map(|i| format!("{}:{}", hex(&format!("filler {i}")), i % 97 + 1))
        .collect();
    lines.push(format!("{}:4242", hex(BREACHED)));
    lines.sort();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(lines.join("\r\n").as_bytes()).unwrap();
    file
}

#[backend_test]
async fn breached_passwords_are_refused_and_replaced(backend: Backend) {
    let list = hibp_file();
    // An account made before the list was configured uses the password.
    let before = TestApp::spawn(&backend).await;
    before
        .browser()
        .register("alice", "alice@example.com", BREACHED)
        .await;
    let url = before.database_url.clone();
    let path = list.path().to_owned();
    let app = TestApp::spawn_with(&backend, move |raw| {
        raw.database_url = Some(url);
        raw.password.get_or_insert_default().breached_list = Some(path);
    })
    .await;

    // Registration refuses it, naming the reason.
    let refused = app
        .browser()
        .register("bob", "bob@example.com", BREACHED)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("data breaches"));
    let fine = app.browser().sign_up("carol").await;
    assert_eq!(fine.status(), StatusCode::SEE_OTHER);

    // Signing in with it works, but only the password page opens.
    let browser = app.browser();
    let resp = browser.login("alice", BREACHED).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    for page in ["/account", "/account/sessions", "/account/mfa/totp"] {
        let resp = browser.get(page).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(resp.headers()["location"], "/account/password", "{page}");
    }
    let page = browser.get("/account/password").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("id=\"breached\""));
    // Another listed password is refused there too.
    let again = browser.change_password(BREACHED, BREACHED).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let changed = browser.change_password(BREACHED, FRESH).await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.status("/account").await, StatusCode::OK);
    // And the next sign-in goes straight in.
    let next = app.browser();
    next.login("alice", FRESH).await;
    assert_eq!(next.status("/account").await, StatusCode::OK);
}
