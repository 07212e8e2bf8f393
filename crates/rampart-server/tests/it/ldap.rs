//! Signing in against a real OpenLDAP directory (Debian's slapd, started by
//! the test kit with a small directory): search-then-bind over LDAPS and
//! StartTLS with the test CA, group → role mapping, just-in-time accounts
//! without a stored password, the order of sources, a directory that is
//! down, and a directory user who never takes over a local account.

use rampart_server::config::RawRole;
use rampart_server::config::federation::RawLdap;
use rampart_testkit::api::Api;
use rampart_testkit::ldap::{
    ALICE_PASSWORD, BASE, BOB_PASSWORD, CAROL_PASSWORD, SERVICE_DN, SERVICE_PASSWORD, Slapd,
};
use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;

fn directory(slapd: &Slapd, url: &str) -> RawLdap {
    RawLdap {
        url: url.to_owned(),
        ca_file: Some(slapd.ca_file.clone()),
        bind_dn: SERVICE_DN.to_owned(),
        bind_password: Some(SERVICE_PASSWORD.to_owned()),
        user_base: format!("ou=people,{BASE}"),
        group_base: Some(format!("ou=groups,{BASE}")),
        roles: Some(
            [
                (format!("cn=admins,ou=groups,{BASE}"), "admin".to_owned()),
                (format!("CN=Staff, OU=Groups,{BASE}"), "support".to_owned()),
            ]
            .into(),
        ),
        ..RawLdap::default()
    }
}

async fn spawn(backend: &Backend, ldap: RawLdap, sources: Option<&str>) -> TestApp {
    TestApp::spawn_with(backend, |raw| {
        raw.roles = Some(
            [(
                "support".to_owned(),
                RawRole {
                    permissions: vec!["users:read".into()],
                },
            )]
            .into(),
        );
        raw.ldap = Some(ldap);
        if let Some(sources) = sources {
            raw.login.get_or_insert_default().sources =
                Some(rampart_server::config::StringList::Joined(sources.into()));
        }
    })
    .await
}

/// Signs in through the JSON API: the status and the answer.
async fn api_sign_in(app: &TestApp, name: &str, password: &str) -> (StatusCode, serde_json::Value) {
    Api::new(app).sign_in(name, password).await
}

async fn roles_of(app: &TestApp, name: &str, password: &str) -> Vec<String> {
    let api = Api::new(app);
    let (status, session) = api_sign_in(app, name, password).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap();
    let (_, me) = api.get("/me", token).await;
    me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[backend_test]
async fn directory_users_sign_in_with_their_groups_roles(backend: Backend) {
    let Some(slapd) = Slapd::start("directory_users_sign_in_with_their_groups_roles") else {
        return;
    };
    let app = spawn(&backend, directory(&slapd, &slapd.ldaps_url), None).await;

    // Alice signs in through the login form: a new account, made just in
    // time, with the roles her groups map to.
    let browser = app.browser();
    let response = browser.login("alice", ALICE_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/account");
    let page = browser.page("/account").await;
    assert!(page.contains("Hello, alice"), "{page}");
    assert!(page.contains("alice@example.com"));
    assert!(
        page.contains("The company directory (LDAP)"),
        "the link is listed"
    );
    assert_eq!(
        roles_of(&app, "alice", ALICE_PASSWORD).await,
        ["admin", "support", "user"]
    );
    // Bob is in no mapped group.
    assert_eq!(roles_of(&app, "bob", BOB_PASSWORD).await, ["user"]);

    // The directory password is never stored: no hash, and the text is
    // nowhere in the database.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key = $1 AND password_hash IS NULL",
            "alice"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM external_identities WHERE source = $1",
            "ldap"
        )
        .await,
        2
    );
    if let Backend::Sqlite = backend {
        let db = std::process::Command::new("cat")
            .arg(app.data_dir.path().join("rampart.db"))
            .output()
            .unwrap()
            .stdout;
        let text = String::from_utf8_lossy(&db);
        assert!(!text.contains(ALICE_PASSWORD) && !text.contains(SERVICE_PASSWORD));
    }
    // The audit trail says which source proved the password.
    assert_eq!(
        app.user_events("login.succeeded", "alice", "%\"source\":\"ldap\"%")
            .await,
        2
    );

    // A wrong password, an unknown name, an empty password and a filter
    // injection are refused with the one generic answer.
    for (name, password) in [
        ("alice", "not her password"),
        ("nobody", ALICE_PASSWORD),
        ("alice", ""),
        ("*", ALICE_PASSWORD),
        ("alice)(uid=*", ALICE_PASSWORD),
    ] {
        let browser = app.browser();
        let refused = browser.login(name, password).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "{name:?}/{password:?}"
        );
    }
    assert_eq!(
        app.user_events(
            "login.failed",
            "alice",
            "%\"sources\":[\"local\",\"ldap\"]%"
        )
        .await,
        2,
        "the wrong and the empty password"
    );

    // StartTLS on the plain port, with the same CA, works too; without the
    // CA the directory's certificate is not trusted, and sign-in says the
    // directory cannot be reached.
    let start_tls = RawLdap {
        start_tls: Some(true),
        ..directory(&slapd, &slapd.url)
    };
    let app2 = spawn(&backend, start_tls, None).await;
    assert_eq!(
        app2.browser().login("bob", BOB_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let untrusted = RawLdap {
        ca_file: None,
        ..directory(&slapd, &slapd.ldaps_url)
    };
    let app3 = spawn(&backend, untrusted, None).await;
    assert_eq!(
        app3.browser().login("bob", BOB_PASSWORD).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[backend_test]
async fn a_directory_that_is_down_leaves_local_accounts_working(backend: Backend) {
    let Some(mut slapd) = Slapd::start("a_directory_that_is_down_leaves_local_accounts_working")
    else {
        return;
    };
    // The directory is asked first.
    let app = spawn(
        &backend,
        directory(&slapd, &slapd.ldaps_url),
        Some("ldap,local"),
    )
    .await;
    let api = Api::new(&app);
    api.signup("localuser").await;
    assert_eq!(
        app.browser().login("bob", BOB_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    slapd.stop();
    // Local accounts sign in as before.
    assert_eq!(
        app.browser()
            .login("localuser", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    api.login("localuser").await;
    // A directory user gets a clear answer, not the generic one, nor a 500.
    let response = app.browser().login("bob", BOB_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("directory cannot be reached"),
        "the page names the problem: {page}"
    );
    let (status, body) = api.sign_in("bob", BOB_PASSWORD).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "directory_unavailable");
    assert_eq!(
        app.user_events("login.failed", "bob", "%directory_unavailable%")
            .await,
        2
    );
}

#[backend_test]
async fn a_directory_user_never_takes_over_a_local_account(backend: Backend) {
    let Some(slapd) = Slapd::start("a_directory_user_never_takes_over_a_local_account") else {
        return;
    };
    let app = spawn(&backend, directory(&slapd, &slapd.ldaps_url), None).await;
    let api = Api::new(&app);
    // A local carol (another person), and a local account holding the
    // address the directory gives alice.
    api.signup("carol").await;
    let (status, _) = api
        .register("alice-local", "alice@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(status, StatusCode::CREATED);

    for (name, password) in [("carol", CAROL_PASSWORD), ("alice", ALICE_PASSWORD)] {
        let refused = app.browser().login(name, password).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{name}");
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM external_identities WHERE source = $1",
            "ldap"
        )
        .await,
        0,
        "nothing was linked"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key LIKE $1",
            "carol%"
        )
        .await,
        1,
        "no second carol was made"
    );
    // The local accounts are untouched.
    api.login("carol").await;
    assert_eq!(
        app.browser()
            .login("alice-local", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

/// Directory sign-ins reuse service-bound connections (#20 point 5): counted
/// by a relay in front of the real slapd. A connection a user bound (or
/// failed to bind) is bound back as the service account before it is reused
/// (the directory's ACL lets only bound users read, so a search as nobody
/// would find no one); concurrent sign-ins never share one; and when the
/// directory closes every kept connection, the next sign-in takes a fresh
/// one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_connections_are_kept_and_bound_back_as_the_service() {
    let Some(slapd) = Slapd::start("directory_connections_are_kept_and_bound_back_as_the_service")
    else {
        return;
    };
    let peer = slapd
        .ldaps_url
        .trim_start_matches("ldaps://")
        .parse()
        .unwrap();
    let relay = rampart_testkit::relay::Relay::start(peer).await;
    let url = format!("ldaps://{}", relay.addr);
    let app = spawn(&Backend::Sqlite, directory(&slapd, &url), Some("ldap")).await;

    for (name, password) in [
        ("alice", ALICE_PASSWORD),
        ("bob", BOB_PASSWORD),
        ("alice", ALICE_PASSWORD),
        ("carol", CAROL_PASSWORD),
    ] {
        assert_eq!(
            api_sign_in(&app, name, password).await.0,
            StatusCode::CREATED,
            "{name}"
        );
    }
    assert_eq!(relay.connections(), 1, "one connection for four sign-ins");

    // A wrong password leaves the connection bound as nobody; an unknown
    // name leaves it bound as the service. Both are reused, bound right.
    assert_eq!(
        api_sign_in(&app, "alice", BOB_PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api_sign_in(&app, "nobody-here", BOB_PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        roles_of(&app, "alice", ALICE_PASSWORD).await,
        ["admin", "support", "user"]
    );
    assert_eq!(relay.connections(), 1);

    // Concurrent sign-ins each get their own connection, and their own
    // groups.
    let sign_ins = (0..6).map(|i| {
        let app = &app;
        async move {
            if i % 2 == 0 {
                (roles_of(app, "alice", ALICE_PASSWORD).await, 3)
            } else {
                (roles_of(app, "bob", BOB_PASSWORD).await, 1)
            }
        }
    });
    for (roles, want) in crate::brute_force::futures_join_all(sign_ins).await {
        assert_eq!(roles.len(), want, "{roles:?}");
    }
    let after_burst = relay.connections();
    assert!(after_burst <= 7, "{after_burst} connections for 6 at once");

    // The directory drops every connection (a restart, an idle timeout):
    // the next sign-in retries its search on a fresh connection.
    relay.cut_all();
    assert_eq!(
        api_sign_in(&app, "bob", BOB_PASSWORD).await.0,
        StatusCode::CREATED
    );
    assert_eq!(relay.connections(), after_burst + 1);
}
