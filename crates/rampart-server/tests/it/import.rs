//! `rampart user import`: fixtures made by the real Python packages
//! (tests/fixtures/import/make_fixtures.py: bcrypt, werkzeug, passlib,
//! argon2-cffi, and Flask-Security-Too's HMAC pre-hash) — each user signs in
//! with the original password and the stored hash is Argon2id afterwards;
//! until then the database holds the legacy hash only wrapped in Argon2id,
//! never bare; refused rows are reported without stopping the import;
//! `--dry-run` writes nothing; a 100,000-row file streams through.

use crate::mfa::{rampart_cli, rampart_cli_with};
use rampart_testkit::api::Api;
use rampart_testkit::{Backend, TestApp, backend_test};
use reqwest::StatusCode;
use std::io::Write as _;
use std::path::PathBuf;

/// The users of users.csv that must import (the rest must be refused).
const GOOD: &[&str] = &[
    "bcrypt_2b",
    "bcrypt_2a",
    "bcrypt_2y",
    "wz_pbkdf2_sha256",
    "wz_pbkdf2_sha512",
    "wz_scrypt",
    "passlib_pbkdf2",
    "django_pbkdf2",
    "argon2_cffi",
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn password(name: &str) -> String {
    format!("fixture pass for {name}")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn stored_hash_is_argon2id(app: &TestApp, name: &str) -> bool {
    app.scalar(
        "SELECT COUNT(*) FROM users WHERE username_key = $1 AND password_hash LIKE '$argon2id$v=19$%' \
         AND password_hash NOT LIKE '%m=8192,t=1%'",
        name,
    )
    .await
        == 1
}

/// Every legacy hash of a fixture file (the third column, argon2 aside).
fn legacy_hashes(file: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(file))
        .unwrap()
        .lines()
        .filter_map(|line| line.split(',').nth(2))
        .filter(|hash| *hash != "password_hash")
        .filter(|hash| hash.starts_with('$') || hash.contains(':') || hash.contains('_'))
        .filter(|hash| !hash.starts_with("\"$argon2"))
        .map(str::to_owned)
        .collect()
}

/// The database holds no legacy hash's output: in the clear, or anywhere
/// inside a stored password hash, the decoded template of a wrapped one
/// included.
async fn no_bare_legacy_hash(app: &TestApp, file: &str) {
    let hashes = legacy_hashes(file);
    assert!(hashes.len() >= 2, "{hashes:?}");
    let stored = stored_hashes(app).await;
    let mut readable = Vec::new();
    for value in &stored {
        match rampart_crypto::legacy::split_wrapped(value) {
            Some((template, phc)) => {
                readable.push(template);
                readable.push(phc.to_owned());
            }
            None => readable.push(value.clone()),
        }
    }
    for hash in hashes {
        let output = &hash[hash.len() - 20..];
        for text in &readable {
            assert!(
                !text.contains(output),
                "the output of {hash} is stored: {text}"
            );
        }
    }
}

/// Every stored password hash.
async fn stored_hashes(app: &TestApp) -> Vec<String> {
    let sql = "SELECT password_hash FROM users WHERE password_hash IS NOT NULL";
    match &app.store {
        rampart_store::Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        rampart_store::Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    }
    .unwrap()
}

/// A sign-in re-hashes an imported password after checking it, while the
/// owner may be changing it: the re-hash replaces only the hash it checked.
#[backend_test]
async fn an_upgrade_never_replaces_a_password_changed_meanwhile(backend: Backend) {
    use rampart_core::ports::UserRepo as _;
    let app = TestApp::spawn(&backend).await;
    Api::new(&app).signup("ria").await;
    let id = app.admin.find("ria").await.unwrap().id;
    let current = stored_hashes(&app).await.remove(0);
    let checked_before = "$argon2id$v=19$m=19456,t=2,p=1$b2xk$b2xkb2xkb2xk";
    let replaced = app
        .store
        .upgrade_password_hash(id, checked_before, "$argon2id$upgraded")
        .await
        .unwrap();
    assert!(!replaced);
    assert_eq!(stored_hashes(&app).await, vec![current.clone()]);
    let replaced = app
        .store
        .upgrade_password_hash(id, &current, "$argon2id$upgraded")
        .await
        .unwrap();
    assert!(replaced);
    assert_eq!(
        stored_hashes(&app).await,
        vec!["$argon2id$upgraded".to_owned()]
    );
}

async fn is_wrapped(app: &TestApp, name: &str) -> bool {
    app.scalar(
        "SELECT COUNT(*) FROM users WHERE username_key = $1 \
         AND password_hash LIKE '%$wrapped$%$argon2id$v=19$m=19456,t=2,p=1$%'",
        name,
    )
    .await
        == 1
}

async fn sign_in(api: &Api, name: &str, password: &str) -> StatusCode {
    api.sign_in(name, password).await.0
}

#[backend_test]
async fn users_from_python_apps_sign_in_and_get_argon2id(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let file = fixture("users.csv");
    let out = rampart_cli(&app, &["user", "import", file.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "refused rows make the exit status 1");
    assert!(
        stdout.contains("imported 10 users") && stdout.contains("4 rows refused"),
        "{stdout}"
    );
    for (line, reason) in [
        (11, "unrecognised password hash format"),
        (12, "Username"),
        (13, "the username is already taken"),
        (15, "expected 3 or 4 columns"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("line {line}: ")) && l.contains(reason)),
            "line {line} ({reason}) in:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("$2b$") && !stderr.contains("5f4dcc3b"),
        "no hash is echoed: {stderr}"
    );

    // A role no configuration declares is kept (it permits nothing).
    let ghost = app.admin.find("ghost_role").await.unwrap();
    assert!(
        ghost.roles.iter().any(|r| r.as_str() == "ghost"),
        "{:?}",
        ghost.roles
    );

    no_bare_legacy_hash(&app, "users.csv").await;
    for name in GOOD {
        assert!(
            !stored_hash_is_argon2id(&app, name).await,
            "{name} keeps its imported hash until it signs in"
        );
        assert_eq!(
            is_wrapped(&app, name).await,
            *name != "argon2_cffi",
            "{name}: a legacy hash is stored wrapped in Argon2id (an Argon2 one as it is)"
        );
        assert_eq!(
            sign_in(&api, name, "not the password at all").await,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        assert!(
            !stored_hash_is_argon2id(&app, name).await,
            "{name}: a wrong password upgrades nothing"
        );
        assert_eq!(is_wrapped(&app, name).await, *name != "argon2_cffi");
        assert_eq!(
            sign_in(&api, name, &password(name)).await,
            StatusCode::CREATED,
            "{name} signs in with the original password"
        );
        assert!(
            stored_hash_is_argon2id(&app, name).await,
            "{name} now has an Argon2id hash"
        );
        assert_eq!(
            sign_in(&api, name, &password(name)).await,
            StatusCode::CREATED,
            "{name} signs in after the upgrade"
        );
    }
    let admin = app.admin.find("bcrypt_2y").await.unwrap();
    let roles: Vec<&str> = admin.roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, ["admin", "user"]);
    let imported = app.events("user.registered", "%\"by\":\"import\"%").await;
    assert_eq!(imported, 10, "every imported account is audited");
}

#[backend_test]
async fn flask_security_prehashed_passwords_work_with_the_salt(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let api = Api::new(&app);
    let salt_file = app.data_dir.path().join("fs-salt");
    std::fs::write(&salt_file, "fixture-security-password-salt\n").unwrap();
    let file = fixture("flask_security.csv");
    let out = rampart_cli(
        &app,
        &[
            "user",
            "import",
            file.to_str().unwrap(),
            "--password-salt-file",
            salt_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 2 users (2 flask-security-hmac)"));
    let sealed = app
        .scalar("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$fshmac$k0:%' AND password_hash NOT LIKE $1", "%fixture-security%")
        .await;
    assert_eq!(sealed, 2, "the salt is stored sealed, never in the clear");
    no_bare_legacy_hash(&app, "flask_security.csv").await;
    for name in ["fs_alice", "fs_bob"] {
        assert!(
            is_wrapped(&app, name).await,
            "{name}: the inner hash is wrapped"
        );
    }
    for name in ["fs_alice", "fs_bob"] {
        assert_eq!(
            sign_in(&api, name, "wrong guess of a password").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in(&api, name, &password(name)).await,
            StatusCode::CREATED,
            "{name}"
        );
        assert!(stored_hash_is_argon2id(&app, name).await, "{name}");
    }

    // With the wrong salt the same hashes do not match.
    let other = TestApp::spawn(&backend).await;
    let out = rampart_cli(
        &other,
        &[
            "user",
            "import",
            file.to_str().unwrap(),
            "--password-salt",
            "another salt",
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        sign_in(&Api::new(&other), "fs_alice", &password("fs_alice")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[backend_test]
async fn a_dry_run_checks_every_row_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    Api::new(&app).signup("bcrypt_2a").await;
    let file = fixture("users.csv");
    let out = rampart_cli(
        &app,
        &["user", "import", file.to_str().unwrap(), "--dry-run"],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Dry run: would import 9 users") && stdout.contains("5 rows refused"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("line 3: the username is already taken"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE username_key <> $1",
            "bcrypt_2a"
        )
        .await,
        0
    );
}

/// 100,000 rows: read as a stream, every one imported (SQLite; the figure
/// for PostgreSQL and the release build are in docs/benchmarks.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_rows_stream_through() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let path = app.data_dir.path().join("big.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    // One real bcrypt hash (from users.csv) for every row: the format is checked per row.
    let hash = "$2b$04$Q9yQc06nDawfkEMdMBNhnetuXC.wCabc6hYFh2jM/q3SWrjSKpulm";
    writeln!(file, "username,email,password_hash").unwrap();
    for i in 0..100_000 {
        writeln!(file, "user{i},user{i}@example.com,{hash}").unwrap();
    }
    file.flush().unwrap();
    drop(file);
    // Every row is wrapped in Argon2id: with the cheapest parameters here,
    // so the test measures the streaming, not 100,000 real hashes.
    let out = rampart_cli_with(
        &app,
        &["user", "import", path.to_str().unwrap()],
        &[
            ("RAMPART_PASSWORD__ARGON2_M_COST", "64"),
            ("RAMPART_PASSWORD__ARGON2_T_COST", "1"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported 100000 users"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 100_000);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$wrapped$%$argon2id$v=19$m=64,t=1,p=1$%'")
        .await,
        100_000,
        "every row is wrapped"
    );
    let api = Api::new(&app);
    assert_eq!(
        sign_in(&api, "user99999", &password("bcrypt_2b")).await,
        StatusCode::CREATED
    );
}
