//! "Sign in with …" against a real OpenID Provider (npm `oidc-provider`, run
//! by the test kit on loopback): the whole redirect and callback, PKCE,
//! `state` and `nonce`; forged answers (wrong or foreign state, a replayed
//! code, a tampered or mis-addressed ID token) refused; and the linking
//! rules — an unverified e-mail claim never takes over a local account.

use rampart_server::config::federation::{RawOidc, RawProvider};
use rampart_testkit::api::Api;
use rampart_testkit::api::location;
use rampart_testkit::oidc::{CLIENT_ID, CLIENT_SECRET, OpenIdProvider, sign_in_at_provider};
use rampart_testkit::{Backend, Browser, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The provider's accounts whose e-mail claims the tests choose.
fn accounts() -> Value {
    json!({
        "mallory": {"email": "victim@example.com", "email_verified": false},
        "victim-at-corp": {"email": "victim@example.com", "email_verified": true},
    })
}

/// A page's text with minijinja's escaped slashes read back.
fn decoded(html: String) -> String {
    html.replace("&#x2f;", "/")
}

pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) provider: OpenIdProvider,
}

pub(crate) async fn setup(
    test: &str,
    backend: &Backend,
    create_users: bool,
    trust_email: bool,
) -> Option<Setup> {
    let port = rampart_testkit::free_port();
    let app = TestApp::spawn_with(backend, |raw| {
        raw.oidc = Some(RawOidc {
            providers: vec![RawProvider {
                id: "corp".into(),
                name: Some("Corp SSO".into()),
                issuer: Some(format!("http://127.0.0.1:{port}")),
                client_id: CLIENT_ID.into(),
                client_secret: Some(CLIENT_SECRET.into()),
                create_users: Some(create_users),
                trust_email: Some(trust_email),
                ..RawProvider::default()
            }],
        });
    })
    .await;
    let callback = format!("{}/login/oidc/corp/callback", app.base);
    let provider = OpenIdProvider::start(test, port, &callback, accounts())?;
    Some(Setup { app, provider })
}

/// Starts a sign-in at Rampart; returns the provider address it sent to.
async fn start(browser: &Browser, path: &str) -> String {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    location(&response).to_owned()
}

/// Starts linking the provider from the account page (a POST with its
/// CSRF token); returns the provider's address.
async fn begin_link(browser: &Browser) -> String {
    let response = browser
        .submit("/account", "/account/identities/link/corp", &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response).to_owned()
}

/// The provider's answer for `login`, not yet delivered to Rampart.
async fn answer_for(browser: &Browser, login: &str) -> String {
    let to_provider = start(browser, "/login/oidc/corp").await;
    sign_in_at_provider(browser, &to_provider, login).await
}

async fn signed_in_as(browser: &Browser) -> Option<String> {
    let page = browser.get("/account").await;
    if page.status() != StatusCode::OK {
        return None;
    }
    let html = page.text().await.unwrap();
    let start = html.find("Hello, ")? + "Hello, ".len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_owned())
}

#[backend_test]
async fn a_person_signs_in_through_the_provider(backend: Backend) {
    let Some(Setup {
        app,
        provider: _provider,
    }) = setup(
        "a_person_signs_in_through_the_provider",
        &backend,
        true,
        false,
    )
    .await
    else {
        return;
    };
    let browser = app.browser();
    let login_page = decoded(browser.page("/login").await);
    assert!(login_page.contains("Sign in with Corp SSO"), "{login_page}");
    assert!(login_page.contains("href=\"/login/oidc/corp\""));

    // The redirect carries PKCE (S256), state and nonce.
    let to_provider = start(&browser, "/login/oidc/corp?next=/account/sessions").await;
    let query: std::collections::HashMap<String, String> = url::Url::parse(&to_provider)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(query["code_challenge"].len() >= 43);
    // 128 bits each, base64url.
    assert!(query["state"].len() >= 22 && query["nonce"].len() >= 22);
    assert_eq!(query["client_id"], CLIENT_ID);
    assert!(query["scope"].contains("openid") && query["scope"].contains("email"));
    let before = browser.session_token();

    let back = sign_in_at_provider(&browser, &to_provider, "ada").await;
    let response = browser.get_url(&back).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/account/sessions");
    assert_ne!(browser.session_token(), before, "a new session token");
    assert_eq!(signed_in_as(&browser).await.as_deref(), Some("ada"));
    let account = browser.page("/account").await;
    assert!(account.contains("Corp SSO") && account.contains("ada@example.com"));

    // A just-in-time account without a password, its identity, and the
    // source in the trail.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key = $1 AND password_hash IS NULL AND email_verified = TRUE",
            "ada"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.succeeded' AND username = $1 \
             AND details LIKE '%\"source\":\"oidc:corp\"%' AND details LIKE '%\"method\":\"oidc\"%'",
            "ada"
        )
        .await,
        1
    );

    // Next time, the same account (no second one).
    let again = app.browser();
    let back = answer_for(&again, "ada").await;
    assert_eq!(again.get_url(&back).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in_as(&again).await.as_deref(), Some("ada"));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key LIKE $1",
            "ada%"
        )
        .await,
        1
    );
    // The password form cannot sign in an account that has none.
    assert_eq!(
        app.browser().login("ada", "").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn refused(browser: &Browser, callback: &str) -> StatusCode {
    let status = browser.get_url(callback).await.status();
    assert_eq!(signed_in_as(browser).await, None, "{callback} signed in");
    status
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == name {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

#[backend_test]
async fn forged_provider_answers_are_refused(backend: Backend) {
    let Some(Setup { app, provider }) =
        setup("forged_provider_answers_are_refused", &backend, true, false).await
    else {
        return;
    };
    // A wrong state is refused and uses nothing up: the true answer still works.
    let browser = app.browser();
    let back = answer_for(&browser, "ada").await;
    let wrong_state = with_param(&back, "state", "forged-state-value-0123456789abcdef");
    assert_eq!(
        refused(&browser, &wrong_state).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refused(&browser, &with_param(&back, "state", "")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(browser.get_url(&back).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in_as(&browser).await.as_deref(), Some("ada"));

    // The same answer again (its state is used up) is refused.
    let replayer = app.browser();
    assert_eq!(refused(&replayer, &back).await, StatusCode::BAD_REQUEST);

    // The code replayed under a fresh state of the same browser: the state
    // is fine, but the provider refuses a used code (and its PKCE verifier
    // would not match).
    let used_code = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let fresh = app.browser();
    let fresh_back = answer_for(&fresh, "ada").await;
    let replayed = with_param(&fresh_back, "code", &used_code);
    assert_eq!(refused(&fresh, &replayed).await, StatusCode::UNAUTHORIZED);

    // An answer started in another browser (login CSRF) is refused.
    let victim = app.browser();
    let attacker = app.browser();
    let attackers_answer = answer_for(&attacker, "mallory").await;
    assert_eq!(
        refused(&victim, &attackers_answer).await,
        StatusCode::BAD_REQUEST
    );

    // Altered ID tokens: a changed payload under the old signature, a
    // validly signed token for another client, another nonce, expired.
    for mode in ["signature", "audience", "nonce", "expired", "unsigned"] {
        let browser = app.browser();
        let back = answer_for(&browser, "ada").await;
        provider.tamper_next_token(mode).await;
        assert_eq!(
            refused(&browser, &back).await,
            StatusCode::UNAUTHORIZED,
            "{mode}"
        );
    }
    // The provider's own refusal.
    let browser = app.browser();
    let back = answer_for(&browser, "ada").await;
    let mut denied = url::Url::parse(&back).unwrap();
    let state = denied
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    denied
        .query_pairs_mut()
        .clear()
        .append_pair("error", "access_denied")
        .append_pair("state", &state);
    assert_eq!(
        refused(&browser, denied.as_str()).await,
        StatusCode::UNAUTHORIZED
    );

    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.failed' \
             AND details LIKE $1",
            "%\"reason\":\"id_token_invalid\"%"
        )
        .await,
        5
    );
    assert_eq!(
        app.events("login.failed", "%\"reason\":\"code_refused\"%")
            .await,
        1
    );
    assert_eq!(
        app.events("login.failed", "%\"reason\":\"access_denied\"%")
            .await,
        1,
        "the provider's refusal is recorded as such"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key LIKE $1",
            "someone%"
        )
        .await,
        0,
        "the forged subject got no account"
    );
}

#[backend_test]
async fn identities_link_only_by_their_owner_or_a_trusted_verified_address(backend: Backend) {
    let Some(Setup {
        app,
        provider: _provider,
    }) = setup(
        "identities_link_only_by_their_owner_or_a_trusted_verified_address",
        &backend,
        true,
        true,
    )
    .await
    else {
        return;
    };
    let api = Api::new(&app);
    api.register("victim", "victim@example.com", GOOD_PASSWORD)
        .await;

    // Mallory's provider account claims the victim's address, unverified:
    // no link, and no new account with it either.
    let browser = app.browser();
    let back = answer_for(&browser, "mallory").await;
    assert_eq!(refused(&browser, &back).await, StatusCode::CONFLICT);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM external_identities e JOIN users u ON u.id = e.user_id WHERE u.username_key = $1",
            "victim"
        )
        .await,
        0
    );

    // The same address, verified by the provider, while the local account
    // never proved it (someone may have registered the victim's address
    // first): no link, no sign-in.
    let browser = app.browser();
    let back = answer_for(&browser, "victim-at-corp").await;
    assert_eq!(refused(&browser, &back).await, StatusCode::CONFLICT);
    assert_eq!(signed_in_as(&browser).await, None);
    app.execute(
        "UPDATE users SET email_verified = 1 WHERE username_key = 'victim'",
        "UPDATE users SET email_verified = TRUE WHERE username_key = 'victim'",
    )
    .await;

    // Verified on both sides, from a provider trusted for it: linked.
    let browser = app.browser();
    let back = answer_for(&browser, "victim-at-corp").await;
    assert_eq!(browser.get_url(&back).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in_as(&browser).await.as_deref(), Some("victim"));
    assert_eq!(app.events("identity.linked", "%verified_email%").await, 1);

    // A signed-in user links their own provider account from the account
    // page; afterwards it signs them in.
    let lena = app.signed_up("lena").await;
    let account = decoded(lena.page("/account").await);
    assert!(
        account.contains("action=\"/account/identities/link/corp\""),
        "{account}"
    );
    // Linking starts with a POST carrying the CSRF token: not from a link
    // on another site, nor a form without the token.
    assert_eq!(
        lena.status("/account/identities/link/corp").await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        lena.post("/account/identities/link/corp", &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let to_provider = begin_link(&lena).await;
    let back = sign_in_at_provider(&lena, &to_provider, "lena-at-corp").await;
    let linked = lena.get_url(&back).await;
    assert_eq!(linked.status(), StatusCode::SEE_OTHER);
    assert_eq!(linked.headers()["location"], "/account?changed=factor");
    let account = lena.page("/account").await;
    assert!(account.contains("Corp SSO") && account.contains("lena-at-corp@example.com"));
    let later = app.browser();
    let back = answer_for(&later, "lena-at-corp").await;
    later.get_url(&back).await;
    assert_eq!(signed_in_as(&later).await.as_deref(), Some("lena"));

    // Someone else cannot link the identity lena has.
    let other = app.signed_up("otto").await;
    let to_provider = begin_link(&other).await;
    let back = sign_in_at_provider(&other, &to_provider, "lena-at-corp").await;
    assert_eq!(other.get_url(&back).await.status(), StatusCode::CONFLICT);

    // Unlinking: refused for an account with no other way in; allowed for
    // lena, who has a password.
    let ada = app.browser();
    let back = answer_for(&ada, "ada").await;
    ada.get_url(&back).await;
    let last = ada
        .submit(
            "/account",
            "/account/identities/unlink",
            &[("source", "oidc:corp"), ("subject", "ada")],
        )
        .await;
    assert_eq!(last.status(), StatusCode::CONFLICT);
    let unlinked = lena
        .submit(
            "/account",
            "/account/identities/unlink",
            &[("source", "oidc:corp"), ("subject", "lena-at-corp")],
        )
        .await;
    assert_eq!(unlinked.status(), StatusCode::SEE_OTHER);
    // A factor change: with lena's other session (`later`) still on, the
    // page offers to end it.
    assert_eq!(unlinked.headers()["location"], "/account?changed=factor");
    let offer = lena.page("/account?changed=factor").await;
    assert!(offer.contains("id=\"sign-out-others\""), "{offer}");
    let account = decoded(lena.page("/account").await);
    assert!(!account.contains("lena-at-corp@example.com"));
    assert!(account.contains("action=\"/account/identities/link/corp\""));
}

#[backend_test]
async fn the_second_factor_still_applies_after_the_provider(backend: Backend) {
    let Some(Setup {
        app,
        provider: _provider,
    }) = setup(
        "the_second_factor_still_applies_after_the_provider",
        &backend,
        false,
        false,
    )
    .await
    else {
        return;
    };
    let browser = app.browser();
    let (secret, _) = crate::mfa::enrol_in_browser(&app, &browser, "mina").await;
    let to_provider = begin_link(&browser).await;
    let back = sign_in_at_provider(&browser, &to_provider, "mina-at-corp").await;
    assert_eq!(browser.get_url(&back).await.status(), StatusCode::SEE_OTHER);

    // Signing in through the provider asks for the code before any session.
    let later = app.browser();
    let back = answer_for(&later, "mina-at-corp").await;
    let response = later.get_url(&back).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login/mfa");
    assert_eq!(signed_in_as(&later).await, None);
    let done = crate::mfa::answer(&later, &app.totp_code(&secret, 1)).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in_as(&later).await.as_deref(), Some("mina"));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'login.succeeded' AND username = $1 \
             AND details LIKE '%\"method\":\"oidc+totp\"%' AND details LIKE '%oidc:corp%'",
            "mina"
        )
        .await,
        1
    );
    // Without create_users, an identity nobody linked is refused.
    let stranger = app.browser();
    let back = answer_for(&stranger, "stranger").await;
    assert_eq!(refused(&stranger, &back).await, StatusCode::FORBIDDEN);
}

/// Follows the provider's redirects from `start`: true when it shows its
/// sign-in form rather than answering at once.
async fn provider_asks_who_is_there(browser: &Browser, start: &str) -> bool {
    let mut url = start.to_owned();
    for _ in 0..8 {
        let response = browser.get_url(&url).await;
        match response.headers().get("location") {
            Some(location) => {
                let next = url::Url::parse(&url)
                    .unwrap()
                    .join(location.to_str().unwrap())
                    .unwrap()
                    .to_string();
                if next.contains("/callback?") {
                    return false;
                }
                url = next;
            }
            None => return response.text().await.unwrap().contains("name=\"login\""),
        }
    }
    false
}

#[backend_test]
async fn a_linked_identity_confirms_a_stale_session(backend: Backend) {
    let Some(Setup { app, provider }) = setup(
        "a_linked_identity_confirms_a_stale_session",
        &backend,
        true,
        false,
    )
    .await
    else {
        return;
    };
    // Ada has no password: her provider confirms it is her.
    let ada = app.browser();
    let back = answer_for(&ada, "ada").await;
    ada.get_url(&back).await;
    app.clock.advance(time::Duration::minutes(11));
    let stale = ada.get("/account/delete").await;
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    let reauth = location(&stale).to_owned();
    assert!(reauth.starts_with("/reauth?next="), "{reauth}");
    let page = decoded(ada.page(&reauth).await);
    assert!(page.contains("Confirm with Corp SSO"), "{page}");
    let to_provider = start(&ada, "/reauth/oidc/corp?next=/account/delete").await;
    // The provider is asked for a fresh sign-in, and although Ada still has
    // a session there, it asks her to sign in again.
    let asked = url::Url::parse(&to_provider).unwrap();
    let params: Vec<(String, String)> = asked.query_pairs().into_owned().collect();
    assert!(
        params.contains(&("prompt".into(), "login".into())),
        "{to_provider}"
    );
    assert!(
        params.contains(&("max_age".into(), "0".into())),
        "{to_provider}"
    );
    let probe = start(&ada, "/reauth/oidc/corp?next=/account/delete").await;
    assert!(
        provider_asks_who_is_there(&ada, &probe).await,
        "the provider answered from its old session"
    );
    let before = ada.session_token().unwrap();
    let back = sign_in_at_provider(&ada, &to_provider, "ada").await;
    let confirmed = ada.get_url(&back).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(confirmed.headers()["location"], "/account/delete");
    assert_eq!(ada.status("/account/delete").await, StatusCode::OK);
    assert_ne!(ada.session_token().unwrap(), before, "the token is rotated");

    // An ID token that does not show a fresh sign-in (a provider that
    // ignored prompt=login, or says nothing of auth_time) confirms nothing.
    for mode in ["stale_auth_time", "no_auth_time"] {
        app.clock.advance(time::Duration::minutes(11));
        let to_provider = start(&ada, "/reauth/oidc/corp?next=/account/delete").await;
        let back = sign_in_at_provider(&ada, &to_provider, "ada").await;
        provider.tamper_next_token(mode).await;
        assert_eq!(
            ada.get_url(&back).await.status(),
            StatusCode::UNAUTHORIZED,
            "{mode}"
        );
        assert_eq!(
            ada.status("/account/delete").await,
            StatusCode::SEE_OTHER,
            "{mode}: still stale"
        );
    }

    // Someone else's provider account does not confirm Ada's session.
    app.clock.advance(time::Duration::minutes(11));
    let to_provider = start(&ada, "/reauth/oidc/corp?next=/account/delete").await;
    let back = sign_in_at_provider(&ada, &to_provider, "eve").await;
    assert_eq!(ada.get_url(&back).await.status(), StatusCode::CONFLICT);
    assert_eq!(
        ada.status("/account/delete").await,
        StatusCode::SEE_OTHER,
        "still stale"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE username_key = $1", "eve")
            .await,
        0,
        "re-authentication creates no account"
    );

    // A password account without a link is offered no provider.
    let lena = app.signed_up("lena").await;
    let page = decoded(lena.page("/reauth?next=/account").await);
    assert!(!page.contains("Confirm with Corp SSO"));
}

/// ASVS 6.8.1: identities are namespaced by provider: the same `sub` at
/// two providers never opens the other's account.
#[backend_test]
async fn the_same_subject_at_two_providers_is_two_people(backend: Backend) {
    let (corp_port, partner_port) = (rampart_testkit::free_port(), rampart_testkit::free_port());
    let app = TestApp::spawn_with(&backend, |raw| {
        let provider = |id: &str, port: u16| RawProvider {
            id: id.into(),
            name: Some(format!("{id} SSO")),
            issuer: Some(format!("http://127.0.0.1:{port}")),
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.into()),
            create_users: Some(true),
            trust_email: Some(false),
            ..RawProvider::default()
        };
        raw.oidc = Some(RawOidc {
            providers: vec![
                provider("corp", corp_port),
                provider("partner", partner_port),
            ],
        });
    })
    .await;
    let test = "the_same_subject_at_two_providers_is_two_people";
    let started = |id: &str, port: u16, email: &str| {
        OpenIdProvider::start(
            test,
            port,
            &format!("{}/login/oidc/{id}/callback", app.base),
            json!({"sam": {"email": email, "email_verified": true}}),
        )
    };
    let Some(_corp) = started("corp", corp_port, "sam@corp.example") else {
        return;
    };
    let Some(_partner) = started("partner", partner_port, "sam@partner.example") else {
        return;
    };
    let at_corp = app.browser();
    let to_provider = start(&at_corp, "/login/oidc/corp").await;
    let back = sign_in_at_provider(&at_corp, &to_provider, "sam").await;
    assert_eq!(at_corp.get_url(&back).await.status(), StatusCode::SEE_OTHER);
    let corp_account = signed_in_as(&at_corp)
        .await
        .expect("signed in through corp");

    // The partner's "sam" is someone else: never Corp's account.
    let at_partner = app.browser();
    let to_provider = start(&at_partner, "/login/oidc/partner").await;
    let back = sign_in_at_provider(&at_partner, &to_provider, "sam").await;
    at_partner.get_url(&back).await;
    let partner_account = signed_in_as(&at_partner).await;
    assert_ne!(partner_account.as_deref(), Some(corp_account.as_str()));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(DISTINCT user_id) FROM external_identities WHERE subject = $1",
            "sam"
        )
        .await,
        i64::from(partner_account.is_some()) + 1,
        "one account per (provider, subject)"
    );
}
