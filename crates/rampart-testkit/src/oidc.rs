//! A real OpenID Provider for one test: the certified `oidc-provider`
//! package from npm (`e2e/oidc-provider.mjs`), on a loopback port, with its
//! development sign-in pages; and [`sign_in_at_provider`], which walks those
//! pages the way a person would (follow the redirects, fill in the login
//! form, confirm the consent form) until the provider sends the browser back
//! to Rampart.
//!
//! Without Node or `e2e/node_modules/oidc-provider` the test says `SKIPPED`
//! and why, unless `RAMPART_REQUIRE_OIDC` is set (as `.ci/run` does).

use crate::Browser;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The client Rampart is registered as.
pub const CLIENT_ID: &str = "rampart-test";
/// Its secret.
pub const CLIENT_SECRET: &str = "rampart test client secret";

/// A running provider.
pub struct OpenIdProvider {
    /// `http://127.0.0.1:PORT`.
    pub issuer: String,
    child: Child,
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

impl OpenIdProvider {
    /// Starts the provider on `port` for a client whose callback is
    /// `redirect_uri`; `accounts` maps login names to e-mail claims.
    pub fn start(
        test: &str,
        port: u16,
        redirect_uri: &str,
        accounts: serde_json::Value,
    ) -> Option<OpenIdProvider> {
        let missing = if !e2e_dir().join("node_modules/oidc-provider").is_dir() {
            Some("e2e/node_modules/oidc-provider is missing (cd e2e && npm ci)")
        } else if Command::new("node").arg("--version").output().is_err() {
            Some("node is missing")
        } else {
            None
        };
        if let Some(missing) = missing {
            assert!(
                std::env::var("RAMPART_REQUIRE_OIDC").is_err(),
                "{test}: RAMPART_REQUIRE_OIDC is set but {missing}"
            );
            let _ = std::io::stderr().write_all(format!("SKIPPED {test}: {missing}\n").as_bytes());
            return None;
        }
        let mut child = Command::new("node")
            .arg("oidc-provider.mjs")
            .arg(port.to_string())
            .arg(CLIENT_ID)
            .arg(CLIENT_SECRET)
            .arg(redirect_uri)
            .arg(accounts.to_string())
            .current_dir(e2e_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node did not start");
        let stdout = child.stdout.take().expect("no stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut line)
            .expect("the provider said nothing");
        // Keep reading what it prints (its notices), or it dies of EPIPE.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        assert!(
            line.starts_with("ready "),
            "the provider did not start: {line:?}"
        );
        Some(OpenIdProvider {
            issuer: line["ready ".len()..].trim().to_owned(),
            child,
        })
    }

    /// Makes the provider's next token answer carry an altered ID token
    /// (`signature`, `audience`, `nonce`, `expired`).
    pub async fn tamper_next_token(&self, mode: &str) {
        let status = reqwest::Client::new()
            .post(format!("{}/test/tamper?mode={mode}", self.issuer))
            .send()
            .await
            .expect("the provider is down")
            .status();
        assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    }
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + "action=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// `(name, value)` of each `<input type="hidden" …>` of a page.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&"))
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if !tag.contains("type=\"hidden\"") {
                return None;
            }
            Some((attribute(tag, "name")?, attribute(tag, "value")?))
        })
        .collect()
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// From `start` (an address on the provider), signs in at the provider as
/// `login`, consents, and returns the address the provider sends the
/// browser back to (Rampart's callback with `code` and `state`), without
/// visiting it.
pub async fn sign_in_at_provider(browser: &Browser, start: &str, login: &str) -> String {
    let mut url = start.to_owned();
    for _ in 0..12 {
        let response = browser.get_url(&url).await;
        if let Some(location) = response.headers().get("location") {
            let next = absolute(&url, location.to_str().expect("location"));
            if next.contains("/callback?") {
                return next;
            }
            url = next;
            continue;
        }
        let page = response.text().await.expect("page");
        let action = absolute(
            &url,
            &form_action(&page).unwrap_or_else(|| panic!("no form on {url}: {page}")),
        );
        // The form's hidden fields (the prompt, or the xsrf token of the
        // provider's "end the other session" confirmation), and the
        // credentials when it is the sign-in form.
        let hidden = hidden_inputs(&page);
        let mut fields: Vec<(&str, &str)> = hidden
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        if page.contains("name=\"login\"") {
            fields.retain(|(name, _)| *name != "prompt");
            fields.extend([("prompt", "login"), ("login", login), ("password", "any")]);
        } else if fields.is_empty() {
            fields.push(("prompt", "consent"));
        }
        let posted = browser.post_url(&action, &fields).await;
        let Some(location) = posted.headers().get("location").cloned() else {
            let status = posted.status();
            let body = posted.text().await.unwrap_or_default();
            panic!("the provider's form at {action} answered {status}: {body}");
        };
        url = absolute(&action, location.to_str().expect("location"));
        if url.contains("/callback?") {
            return url;
        }
    }
    panic!("the provider never sent the browser back");
}
