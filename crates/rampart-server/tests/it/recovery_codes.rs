//! Recovery codes at rest (ASVS 6.5.2): salted Argon2id hashes found by a
//! keyed locator, never the code or a fast digest of it; codes stored by an
//! earlier version (a keyed MAC) keep working and are wrapped in Argon2id at
//! the next start.

use data_encoding::{BASE64_NOPAD, HEXLOWER};
use rampart_crypto::hmac_sha256;
use rampart_store::Store;
use rampart_testkit::api::Api;
use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::{Method as M, StatusCode};
use serde_json::json;

/// The server key of these tests, so the test can write rows the way the
/// version before migration 0018 did.
const SECRET: &str = "recovery-code-test-secret-key-0123456789";

/// `(user id, locator, code_hash)` of every stored recovery code.
async fn rows(app: &TestApp) -> Vec<(String, Option<String>, String)> {
    let sql = "SELECT user_id, locator, code_hash FROM recovery_codes ORDER BY code_hash";
    match &app.store {
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

/// Replaces every stored code with a pre-0018 row (a keyed MAC of the whole
/// code, no locator) for each of `codes`.
async fn store_as_before_0018(app: &TestApp, user: &str, codes: &[&str]) {
    let mac_key = hmac_sha256(SECRET.as_bytes(), &[b"rampart/mfa-mac-key/v1"]);
    let macs: Vec<String> = codes
        .iter()
        .map(|code| {
            HEXLOWER.encode(&hmac_sha256(
                &mac_key,
                &[
                    b"rampart/recovery-code/v1",
                    user.as_bytes(),
                    code.as_bytes(),
                ],
            ))
        })
        .collect();
    macro_rules! write {
        ($pool:expr) => {{
            sqlx::query("DELETE FROM recovery_codes")
                .execute($pool)
                .await
                .unwrap();
            for mac in &macs {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user)
                    .bind(mac)
                    .execute($pool)
                    .await
                    .unwrap();
            }
        }};
    }
    match &app.store {
        Store::Sqlite(pool) => write!(pool),
        Store::Postgres(pool) => write!(pool),
    }
}

/// The code with its second group changed in one character.
fn second_group_changed(code: &str) -> String {
    let (first, second) = code.split_once('-').unwrap();
    let swap = if second.starts_with('a') { 'b' } else { 'a' };
    format!("{first}-{swap}{}", &second[1..])
}

#[backend_test]
async fn recovery_codes_are_stored_as_salted_password_hashes(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| raw.secret_key = Some(SECRET.into())).await;
    let (user, codes) = enrolled(&app, "bob").await;
    assert_eq!(codes.len(), 10);

    // Each row: a locator and an Argon2id PHC string with the configured
    // parameters and its own salt of at least 32 bits; no code, first group,
    // or second group anywhere in the row.
    let stored = rows(&app).await;
    assert_eq!(stored.len(), 10);
    let mut salts = std::collections::HashSet::new();
    for (owner, locator, hash) in &stored {
        assert_eq!(owner, &user);
        let locator = locator.as_deref().unwrap();
        assert!(
            locator.starts_with("v2:") && locator.len() == 6,
            "a 12-bit locator: {locator}"
        );
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let salt = BASE64_NOPAD
            .decode(hash.split('$').nth(4).unwrap().as_bytes())
            .unwrap();
        assert!(salt.len() * 8 >= 32, "salt of {} bits", salt.len() * 8);
        assert!(salts.insert(salt), "every code has its own salt");
        for code in &codes {
            let (first, second) = code.split_once('-').unwrap();
            for part in [code.as_str(), first, second] {
                assert!(!locator.contains(part) && !hash.contains(part));
            }
        }
    }

    // Found by its locator, proved by its hash: the right first group with
    // a wrong second one is refused, the code works once.
    assert_eq!(
        sign_in_as(&app, "bob", &second_group_changed(&codes[0])).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_as(&app, "bob", &codes[0]).await,
        StatusCode::CREATED
    );
    assert_eq!(
        sign_in_as(&app, "bob", &codes[0]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(rows(&app).await.len(), 9);
    // Typed in capitals, with spaces and no dash, it is the same code.
    let typed = codes[1].replace('-', " ").to_uppercase();
    assert_eq!(sign_in_as(&app, "bob", &typed).await, StatusCode::CREATED);

    // A database written by the version before: rows hold a keyed MAC.
    let old: Vec<&str> = codes[4..8].iter().map(String::as_str).collect();
    store_as_before_0018(&app, &user, &old).await;
    assert_eq!(sign_in_as(&app, "bob", old[0]).await, StatusCode::CREATED);
    assert_eq!(rows(&app).await.len(), 3);

    // The next start wraps every one in Argon2id under a `v1:` locator.
    let url = app.database_url.clone();
    let restarted = TestApp::spawn_with(&backend, |raw| {
        raw.secret_key = Some(SECRET.into());
        raw.database_url = Some(url);
    })
    .await;
    let mut wrapped = Vec::new();
    for _ in 0..100 {
        wrapped = rows(&restarted).await;
        if wrapped.iter().all(|(_, locator, _)| locator.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(wrapped.len(), 3);
    for (_, locator, hash) in &wrapped {
        let locator = locator.as_deref().unwrap_or_default();
        assert!(
            locator.starts_with("v1:") && locator.len() == 6,
            "{locator}"
        );
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    }
    assert_eq!(
        sign_in_as(&restarted, "bob", old[1]).await,
        StatusCode::CREATED
    );
    assert_eq!(
        sign_in_as(&restarted, "bob", old[1]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_as(&restarted, "bob", old[2]).await,
        StatusCode::CREATED
    );
    // A code of the set that is no longer stored is refused.
    assert_eq!(
        sign_in_as(&restarted, "bob", &codes[9]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(rows(&restarted).await.len(), 1);
}

/// The notice on the account page, if any.
async fn low_notice(browser: &rampart_testkit::Browser) -> Option<String> {
    let page = browser.page("/account").await;
    let start = page.find("id=\"recovery-codes-low\"")?;
    let text = &page[start..];
    Some(text[text.find('>')? + 1..text.find("</p>")?].to_owned())
}

#[backend_test]
async fn the_account_page_says_when_recovery_codes_run_low(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let alice = app.browser();
    let (_, codes) = crate::mfa::enrol_in_browser(&app, &alice, "alice").await;
    assert_eq!(low_notice(&alice).await, None, "ten codes are plenty");
    assert_eq!(codes.len(), 10);
    // Seven used up at sign-ins elsewhere: three left.
    let phone = app.browser();
    let spend = |code: String| {
        let phone = &phone;
        async move {
            assert_eq!(
                phone.login("alice", GOOD_PASSWORD).await.status(),
                StatusCode::SEE_OTHER
            );
            let resp = crate::mfa::answer(phone, &code).await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{code}");
        }
    };
    for code in &codes[..7] {
        spend(code.clone()).await;
    }
    let notice = low_notice(&alice).await.expect("the page warns");
    assert!(
        notice.starts_with("Only 3 recovery codes are left"),
        "{notice}"
    );
    assert!(notice.contains("href=\"/account/mfa/totp\""));
    spend(codes[7].clone()).await;
    let notice = low_notice(&alice).await.expect("the page warns");
    assert!(
        notice.starts_with("Only 2 recovery codes are left"),
        "{notice}"
    );
    // A new set ends the warning.
    let fresh = alice
        .submit("/account/mfa/totp", "/account/mfa/recovery-codes", &[])
        .await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_eq!(low_notice(&alice).await, None);
}

/// The server's `rampart/mfa-mac-key/v1` under [`SECRET`].
fn mac_key() -> [u8; 32] {
    hmac_sha256(SECRET.as_bytes(), &[b"rampart/mfa-mac-key/v1"])
}

/// The `v2:` locator the server computes for `code` of `user`.
fn locator_of(user: &str, code: &str) -> String {
    let mac = hmac_sha256(
        &mac_key(),
        &[
            b"rampart/recovery-code-locator/v2",
            user.as_bytes(),
            code.as_bytes(),
        ],
    );
    format!("v2:{}", &HEXLOWER.encode(&mac)[..3])
}

/// Signs `name` up and turns TOTP on through the API; answers the account
/// id and the recovery codes.
async fn enrolled(app: &TestApp, name: &str) -> (String, Vec<String>) {
    let api = Api::new(app);
    let user = api.signup(name).await["id"].as_str().unwrap().to_owned();
    let token = api.login(name).await;
    let (_, enrol) = api.post_empty("/me/mfa/totp", &token).await;
    let code = app.totp_code(enrol["secret"].as_str().unwrap(), 0);
    let (status, confirmed) = api
        .post("/me/mfa/totp/confirm", &token, json!({ "code": code }))
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let codes = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (user, codes)
}

async fn sign_in_as(app: &TestApp, name: &str, code: &str) -> StatusCode {
    let body = json!({"username": name, "password": GOOD_PASSWORD, "code": code});
    Api::new(app)
        .call(M::POST, "/sessions", None, Some(body))
        .await
        .0
}

/// Argon2id runs the server's hashing threads have done.
async fn hash_jobs(app: &TestApp) -> f64 {
    crate::metrics::sample_sum(&app.base, "rampart_hash_pool_jobs_total", &[]).await
}

/// What one sign-in with `code` costs in hashing jobs, and its answer.
async fn cost_of(app: &TestApp, name: &str, code: &str) -> (f64, StatusCode) {
    let before = hash_jobs(app).await;
    let status = sign_in_as(app, name, code).await;
    (hash_jobs(app).await - before, status)
}

/// A code of `user` that is none of `codes` and whose locator is (`meets`)
/// or is not among `locators`.
fn wrong_code(user: &str, codes: &[String], locators: &[String], meets: bool) -> String {
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    for n in 0u64.. {
        let mut tail = String::new();
        let mut rest = n;
        for _ in 0..5 {
            tail.push(char::from(alphabet[(rest % 36) as usize]));
            rest /= 36;
        }
        let code = format!("zzzzz-{tail}");
        if codes.contains(&code) {
            continue;
        }
        if locators.contains(&locator_of(user, &code)) == meets {
            return code;
        }
    }
    unreachable!()
}

/// ASVS 6.5.2 with equal work: a typed code costs one Argon2id run whether
/// it meets a stored row or none (a timing side channel would tell an
/// attacker when the locator matched); another account's code is refused;
/// two sign-ins racing with one code get one session.
#[backend_test]
async fn a_recovery_code_costs_one_hash_and_works_once_for_its_account_only(backend: Backend) {
    let app = TestApp::spawn_with(&backend, |raw| raw.secret_key = Some(SECRET.into())).await;
    let (bob, bob_codes) = enrolled(&app, "bob").await;
    let (_, carol_codes) = enrolled(&app, "carol").await;
    let live: Vec<String> = rows(&app)
        .await
        .into_iter()
        .filter(|(owner, _, _)| *owner == bob)
        .filter_map(|(_, locator, _)| locator)
        .collect();
    assert_eq!(live.len(), 10);
    for code in &bob_codes {
        assert!(
            live.contains(&locator_of(&bob, code)),
            "the server's locator"
        );
    }

    // A wrong code meeting no row, one meeting a row, and a right one: the
    // same number of hashing jobs (the password's and the code's).
    let nowhere = wrong_code(&bob, &bob_codes, &live, false);
    let somewhere = wrong_code(&bob, &bob_codes, &live, true);
    let (none_cost, status) = cost_of(&app, "bob", &nowhere).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (row_cost, status) = cost_of(&app, "bob", &somewhere).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (right_cost, status) = cost_of(&app, "bob", &bob_codes[0]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(none_cost, 2.0, "the password's hash and one for the code");
    assert_eq!(row_cost, none_cost);
    assert_eq!(right_cost, none_cost);

    // Carol's code is not bob's, and it still works for carol after.
    assert_eq!(
        sign_in_as(&app, "bob", &carol_codes[0]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_as(&app, "carol", &carol_codes[0]).await,
        StatusCode::CREATED
    );

    // Three sign-ins racing with one code: one session.
    let code = carol_codes[1].clone();
    let racing = (0..3).map(|_| {
        let (app, code) = (&app, code.clone());
        async move { sign_in_as(app, "carol", &code).await }
    });
    let answers = crate::brute_force::futures_join_all(racing).await;
    let won = answers
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "{answers:?}");
    assert_eq!(
        answers
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        2,
        "{answers:?}"
    );
}
