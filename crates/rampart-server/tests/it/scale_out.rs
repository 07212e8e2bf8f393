//! Several instances on one database behave as one: a change made on one
//! (or through the CLI) reaches every other's cache within a second, the
//! invalidation feed survives a killed connection without serving anything
//! stale, background mail goes out once, and instances starting together
//! migrate once. Asserted with deadlines, never sleeps.

use crate::cli::{assert_refused, rampart_on, text};
use rampart_core::{ClientMeta, RoleName};
use rampart_testkit::api::Api;
use rampart_testkit::smtp::SmtpSink;
use rampart_testkit::{Backend, TestApp, backend_test};
use reqwest::{Method as M, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

/// A second instance on `first`'s database and secret.
async fn second_instance(backend: &Backend, first: &TestApp) -> TestApp {
    let (url, dir) = (first.database_url.clone(), first.data_dir.path().to_owned());
    TestApp::spawn_with(backend, move |raw| {
        raw.database_url = Some(url);
        raw.data_dir = Some(dir);
    })
    .await
}

/// Two instances on one fresh PostgreSQL database (`None` without one).
async fn two_instances(test: &str) -> Option<(TestApp, TestApp)> {
    let backend = Backend::postgres(test)?;
    let first = TestApp::spawn(&backend).await;
    let second = second_instance(&backend, &first).await;
    Some((first, second))
}

/// Waits until `check` answers `want` on `app`; panics after one second.
/// Returns how long it took.
async fn within_a_second(api: &Api, token: &str, want: StatusCode, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = api.get("/me", token).await;
        if status == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{what}: still {status} after a second: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Signs in on `a` and checks the token on `b`, so `b` has it cached.
async fn signed_in_and_cached(a: &Api, b: &Api, name: &str) -> String {
    let token = a.login(name).await;
    let (status, body) = b.get("/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    token
}

fn host() -> ClientMeta {
    ClientMeta::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_see_each_others_changes_within_a_second() {
    let Some((a_app, b_app)) =
        two_instances("two_instances_see_each_others_changes_within_a_second").await
    else {
        return;
    };
    let (a, b) = (Api::new(&a_app), Api::new(&b_app));
    a.signup("ann").await;
    let mut took = Vec::new();

    // A session revoked on A.
    let token = signed_in_and_cached(&a, &b, "ann").await;
    let (status, _) = a.delete("/sessions/current", &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    took.push(within_a_second(&b, &token, StatusCode::UNAUTHORIZED, "revoked on A").await);

    // An account locked by an operator on A.
    let token = signed_in_and_cached(&a, &b, "ann").await;
    a_app.lock("ann", &host()).await.unwrap();
    took.push(within_a_second(&b, &token, StatusCode::UNAUTHORIZED, "locked on A").await);
    a_app.unlock("ann", &host()).await.unwrap();

    // A role given on A.
    let token = signed_in_and_cached(&a, &b, "ann").await;
    let roles = vec![
        RoleName::parse("user").unwrap(),
        RoleName::parse("ops").unwrap(),
    ];
    a_app.set_roles("ann", roles, &host()).await.unwrap();
    let start = Instant::now();
    loop {
        let (_, me) = b.get("/me", &token).await;
        if me["roles"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("ops")))
        {
            took.push(start.elapsed());
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(1), "roles on B: {me}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ... and taken away again.
    let roles = vec![RoleName::parse("user").unwrap()];
    a_app.set_roles("ann", roles, &host()).await.unwrap();
    let start = Instant::now();
    loop {
        let (_, me) = b.get("/me", &token).await;
        if me["roles"]
            .as_array()
            .is_some_and(|r| !r.contains(&json!("ops")))
        {
            took.push(start.elapsed());
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(1), "roles on B: {me}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A personal access token revoked on A.
    let (status, created) = a.new_token(&token, "ci", &["read:me"], 1).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let pat = created["token"].as_str().unwrap().to_owned();
    assert_eq!(b.get("/me", &pat).await.0, StatusCode::OK);
    let id = created["id"].as_str().unwrap();
    let (status, _) = a.delete(&format!("/me/tokens/{id}"), &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    took.push(within_a_second(&b, &pat, StatusCode::UNAUTHORIZED, "token revoked on A").await);

    // A lock of an account with no session left (so only the account's row
    // changes): its personal access token stops on B.
    let (status, created) = a.new_token(&token, "ci2", &["read:me"], 1).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let pat = created["token"].as_str().unwrap().to_owned();
    assert_eq!(b.get("/me", &pat).await.0, StatusCode::OK);
    let (status, _) = a.delete("/sessions/current", &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let sessions = a_app
        .scalar("SELECT COUNT(*) FROM sessions WHERE $1 <> ''", "-")
        .await;
    assert_eq!(sessions, 0);
    a_app.lock("ann", &host()).await.unwrap();
    took.push(within_a_second(&b, &pat, StatusCode::UNAUTHORIZED, "locked, token on B").await);
    eprintln!("instance B saw A's changes after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_listener_serves_nothing_stale_and_comes_back() {
    let Some((a_app, b_app)) =
        two_instances("a_killed_listener_serves_nothing_stale_and_comes_back").await
    else {
        return;
    };
    let (a, b) = (Api::new(&a_app), Api::new(&b_app));
    a.signup("bea").await;
    let listeners = || async {
        a_app
            .scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND query ILIKE 'LISTEN%' AND $1 <> ''",
                "-",
            )
            .await
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while listeners().await < 2 {
        assert!(Instant::now() < deadline, "both instances listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = signed_in_and_cached(&a, &b, "bea").await;
    // Kill every listening connection, then revoke at once: B must not
    // answer from its cache while it cannot hear.
    let killed = a_app
        .scalar(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND $1 <> ''",
            "-",
        )
        .await;
    assert_eq!(killed, 2);
    let (status, _) = a.delete("/sessions/current", &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    within_a_second(
        &b,
        &token,
        StatusCode::UNAUTHORIZED,
        "revoked while B was deaf",
    )
    .await;
    // The feed comes back, the loss is counted, and changes are heard again.
    let deadline = Instant::now() + Duration::from_secs(15);
    while listeners().await < 2 {
        assert!(Instant::now() < deadline, "the listeners reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = reqwest::get(b_app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let losses = metrics
        .lines()
        .find(|l| l.starts_with("rampart_cache_invalidation_feed_losses_total "))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok());
    assert!(losses.is_some_and(|n| n >= 1.0), "{metrics}");
    let token = signed_in_and_cached(&a, &b, "bea").await;
    // Served from B's cache again (the same answer twice)...
    assert_eq!(b.get("/me", &token).await.0, StatusCode::OK);
    let (status, _) = a.delete("/sessions/current", &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    within_a_second(
        &b,
        &token,
        StatusCode::UNAUTHORIZED,
        "revoked after the reconnect",
    )
    .await;
}

/// `rampart user lock` run beside the server, on the same database: the
/// server stops accepting the account's cached session within a second.
#[backend_test]
async fn the_cli_reaches_the_running_server_within_a_second(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let token = api.signed_in("cid").await;
    assert_eq!(api.get("/me", &token).await.0, StatusCode::OK);
    let out = rampart_on(&app)
        .args(["user", "lock", "cid"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let took = within_a_second(&api, &token, StatusCode::UNAUTHORIZED, "locked by the CLI").await;
    eprintln!("the server saw the CLI's lock after {took:?}");
}

/// Waits until the signed-in account page satisfies `check`; panics after a
/// second with `what`.
async fn page_within_a_second(
    browser: &rampart_testkit::Browser,
    what: &str,
    check: impl Fn(&str) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let page = browser.page("/account").await;
        if check(&page) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{what}: not on the account page after a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The account page's facts (linked identities, recovery codes left) are
/// kept in process; a change made outside the server (another instance, the
/// CLI, an operator's SQL) reaches the page within a second. Fails when the
/// tables' invalidation triggers (migration 0022) are missing.
#[backend_test]
async fn the_account_page_follows_changes_made_outside_the_server(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let pia = app.browser();
    crate::mfa::enrol_in_browser(&app, &pia, "pia").await;
    let subject = "uid=pia,ou=people";
    let page = pia.page("/account").await;
    assert!(!page.contains(subject) && !page.contains("recovery-codes-low"));
    // Served from the cache now: the same page twice.
    assert_eq!(pia.page("/account").await.len(), page.len());

    app.execute(
        "INSERT INTO external_identities (source, subject, user_id, email, linked_at, last_used_at) \
         SELECT 'ldap', 'uid=pia,ou=people', id, NULL, 0, 0 FROM users WHERE username = 'pia'",
        "INSERT INTO external_identities (source, subject, user_id, email, linked_at, last_used_at) \
         SELECT 'ldap', 'uid=pia,ou=people', id, NULL, 0, 0 FROM users WHERE username = 'pia'",
    )
    .await;
    let linked = page_within_a_second(&pia, "an identity linked by SQL", |p| {
        p.contains("value=\"uid=pia,ou=people\"")
    })
    .await;
    app.execute(
        "DELETE FROM recovery_codes WHERE rowid IN (SELECT rowid FROM recovery_codes LIMIT 8)",
        "DELETE FROM recovery_codes WHERE ctid IN (SELECT ctid FROM recovery_codes LIMIT 8)",
    )
    .await;
    let spent = page_within_a_second(&pia, "recovery codes removed by SQL", |p| {
        p.contains("id=\"recovery-codes-low\"")
    })
    .await;
    app.execute(
        "DELETE FROM external_identities",
        "DELETE FROM external_identities",
    )
    .await;
    let unlinked = page_within_a_second(&pia, "an identity unlinked by SQL", |p| {
        !p.contains("value=\"uid=pia,ou=people\"")
    })
    .await;
    let out = rampart_on(&app)
        .args([
            "user",
            "reset-mfa",
            "pia",
            "--reason",
            "lost phone, ticket 7",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let reset = page_within_a_second(&pia, "a second factor reset by the CLI", |p| {
        !p.contains("recovery-codes-low")
    })
    .await;
    eprintln!("the page followed after {linked:?}, {spent:?}, {unlinked:?}, {reset:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_request_is_one_mail_with_two_instances() {
    let Some(backend) = Backend::postgres("a_reset_request_is_one_mail_with_two_instances") else {
        return;
    };
    let sink = SmtpSink::start().await;
    let smtp = format!("smtp://{}", sink.addr);
    let a_app = TestApp::spawn_with(&backend, {
        let smtp = smtp.clone();
        move |raw| raw.smtp_url = Some(smtp)
    })
    .await;
    let (url, dir) = (a_app.database_url.clone(), a_app.data_dir.path().to_owned());
    let b_app = TestApp::spawn_with(&backend, move |raw| {
        raw.database_url = Some(url);
        raw.data_dir = Some(dir);
        raw.smtp_url = Some(smtp);
    })
    .await;
    let a = Api::new(&a_app);
    let names = ["dan", "dee", "dot", "dov", "dru"];
    for name in names {
        a.signup(name).await;
    }
    // Both instances' mailers (A's and B's) poll the one outbox every 500 ms.
    assert!(b_app.base != a_app.base);
    for name in names {
        let (status, body) = a
            .call(
                M::POST,
                "/password-resets",
                None,
                Some(json!({"email": format!("{name}@example.com")})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    // A confirmation mail from each sign-up and a reset mail each.
    sink.wait_for(2 * names.len()).await;
    let outbox = || async {
        a_app
            .scalar("SELECT COUNT(*) FROM outbox WHERE $1 <> ''", "-")
            .await
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox().await > 0 {
        assert!(Instant::now() < deadline, "the outbox empties");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Several more polls of both mailers: nothing is sent twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mails = sink.messages();
    for name in names {
        for subject in ["Reset your password", "Confirm your e-mail address"] {
            let count = mails
                .iter()
                .filter(|m| {
                    m.contains(&format!("To: {name}@example.com\r\n"))
                        && m.contains(&format!("Subject: {subject}\r\n"))
                })
                .count();
            assert_eq!(
                count,
                1,
                "{subject} to {name}: {} mails in all",
                mails.len()
            );
        }
    }
    assert_eq!(mails.len(), 2 * names.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_migrate_once() {
    let Some(Backend::Postgres(server)) =
        Backend::postgres("instances_starting_together_migrate_once")
    else {
        return;
    };
    let url = rampart_testkit::fresh_postgres_database(&server)
        .await
        .unwrap();
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let store = rampart_store::Store::connect(&url).await?;
            store.migrate().await?;
            Ok::<_, rampart_store::StoreOpenError>(store)
        })
    });
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().expect("every instance starts"));
    }
    let rampart_store::Store::Postgres(pool) = &stores[0] else {
        unreachable!()
    };
    let (applied, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(applied, distinct, "each migration is recorded once");
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../rampart-store/migrations/postgres"
    ))
    .unwrap()
    .count();
    assert_eq!(applied, files as i64);
}

/// `rampart backup FILE` beside the running server: on SQLite a copy that
/// opens and holds the accounts, never over an existing file; on PostgreSQL
/// a refusal that names pg_dump.
#[backend_test]
async fn a_backup_is_an_online_copy_on_sqlite_and_names_pg_dump_on_postgres(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let token = api.signed_in("bob").await;
    let target = app.data_dir.path().join("copy.db");
    let backup = || {
        rampart_on(&app)
            .arg("backup")
            .arg(&target)
            .output()
            .unwrap()
    };
    let out = backup();
    if matches!(backend, Backend::Postgres(_)) {
        assert_refused(&out, "pg_dump");
        assert!(!target.exists());
        return;
    }
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Readable by its owner only: it holds password hashes and live links.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // The server kept serving, and the copy is a database with the account.
    assert_eq!(api.get("/me", &token).await.0, StatusCode::OK);
    let copy = rampart_store::Store::connect(&format!("sqlite://{}", target.display()))
        .await
        .unwrap();
    let rampart_store::Store::Sqlite(pool) = &copy else {
        unreachable!()
    };
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = 'bob'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    copy.close().await;
    // A second backup to the same file is refused and leaves it alone.
    let size = std::fs::metadata(&target).unwrap().len();
    let again = backup();
    assert_refused(&again, "already exists");
    assert_eq!(std::fs::metadata(&target).unwrap().len(), size);
    // A symlink, even a dangling one, is never followed.
    let elsewhere = app.data_dir.path().join("elsewhere.db");
    let link = app.data_dir.path().join("link.db");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let through_link = rampart_on(&app).arg("backup").arg(&link).output().unwrap();
    assert!(!through_link.status.success());
    assert!(!elsewhere.exists());
}

/// Two instances claiming the one outbox at once never claim the same mail,
/// and between them claim every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_overlap() {
    use rampart_core::ports::OutboxRepo as _;
    let Some(Backend::Postgres(server)) = Backend::postgres("concurrent_claims_never_overlap")
    else {
        return;
    };
    let url = rampart_testkit::fresh_postgres_database(&server)
        .await
        .unwrap();
    let first = rampart_store::Store::connect(&url).await.unwrap();
    first.migrate().await.unwrap();
    let rampart_store::Store::Postgres(pool) = &first else {
        unreachable!()
    };
    const MAILS: usize = 400;
    for n in 0..MAILS {
        sqlx::query(
            "INSERT INTO outbox (id, recipient, template, context, created_at, next_attempt_at) \
             VALUES ($1, 'x@example.com', 'password_reset', '{}', $2, 0)",
        )
        .bind(format!("m{n:04}"))
        .bind(n as i64)
        .execute(pool)
        .await
        .unwrap();
    }
    let claimers = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let store = rampart_store::Store::connect(&url).await.unwrap();
            let now = time::OffsetDateTime::now_utc();
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .claim_due(now, now + time::Duration::minutes(10), 7)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|m| m.id));
            }
        })
    });
    let mut all = Vec::new();
    let mut per_claimer = Vec::new();
    for claimer in claimers {
        let mine = claimer.await.unwrap();
        per_claimer.push(mine.len());
        all.extend(mine);
    }
    let distinct: std::collections::HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), MAILS, "claimed per claimer: {per_claimer:?}");
    assert_eq!(
        distinct.len(),
        MAILS,
        "a mail was claimed twice: {per_claimer:?}"
    );
}
