//! Languages beyond the pages' own words: mails in their reader's language,
//! and what the server writes into pages (form problems, error pages,
//! devices, scopes) in the browser's.
//!
//! An account's language is the one its browser asked for when it was
//! created (or, for an account made without a browser, at its first sign-in
//! on a page), changed afterwards only by its owner: whoever signs in with a
//! stolen password does not choose the language of the alerts about it.

use rampart_testkit::{Backend, Fetch, GOOD_PASSWORD, TestApp, backend_test};
use reqwest::StatusCode;
use serde_json::json;

/// Whether the account `name` has the language `lang`.
async fn speaks(app: &TestApp, name: &str, lang: &str) -> bool {
    let sql = match lang {
        "de" => "SELECT COUNT(*) FROM users WHERE username = $1 AND language = 'de'",
        _ => "SELECT COUNT(*) FROM users WHERE username = $1 AND language = 'en'",
    };
    app.scalar(sql, name).await == 1
}

#[backend_test]
async fn mails_are_written_in_the_language_of_their_account(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let german = app.browser_speaking("de-DE,de;q=0.9,en;q=0.5");
    german.sign_up("jonas").await;
    assert!(speaks(&app, "jonas", "de").await);
    let mail = sink
        .wait_for_subject("Bestätigen Sie Ihre E-Mail-Adresse")
        .await;
    assert!(mail.contains("Hallo jonas,"), "{mail}");
    assert!(
        mail.contains("Der Link funktioniert einmal und läuft in 24 Stunden ab."),
        "{mail}"
    );
    assert!(!mail.contains("Hello"), "{mail}");

    // A stranger with an English browser asks for a reset: the mail goes
    // to jonas, so it is German.
    app.browser_speaking("en-US,en;q=0.9")
        .send_form("/password/forgot", &[("email", "jonas@example.com")])
        .await;
    let reset = sink
        .wait_for_subject("Setzen Sie Ihr Passwort zurück")
        .await;
    assert!(reset.contains("Hallo jonas,"), "{reset}");
    assert!(reset.contains("Minuten ab"), "{reset}");

    // A thief with the password signs in from a new device (after the
    // owner's own sign-in) with an English client: the alert about it is
    // German, and the language stays.
    german.login("jonas", GOOD_PASSWORD).await;
    let thief = reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .header("user-agent", "ThiefBrowser/1.0")
        .header("accept-language", "en-US")
        .json(&json!({"username": "jonas", "password": GOOD_PASSWORD}))
        .fetch()
        .await;
    assert_eq!(thief.status(), StatusCode::CREATED);
    let alert = sink
        .wait_for_subject("Eine Anmeldung von einem neuen Gerät")
        .await;
    assert!(alert.contains("ThiefBrowser/1.0"), "{alert}");
    assert!(speaks(&app, "jonas", "de").await);
    // Nor does a page sign-in from a browser asking for another language,
    // or for nonsense.
    for asked in ["en-GB", "fr-CH, fr;q=0.9", "<script>;q=x, ../../en", "*"] {
        app.browser_speaking(asked)
            .login("jonas", GOOD_PASSWORD)
            .await;
        assert!(speaks(&app, "jonas", "de").await, "{asked}");
    }

    // The owner chooses English on their page (a form with CSRF); an
    // unknown language, or the form without its token, changes nothing.
    let page = german.page("/account/language").await;
    assert!(
        page.contains("<option value=\"de\" lang=\"de\" selected>Deutsch</option>"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"en\" lang=\"en\">English</option>"),
        "{page}"
    );
    for odd in ["fr", "de\r\nX: y", "../en", ""] {
        let refused = german
            .send_form("/account/language", &[("language", odd)])
            .await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{odd:?}"
        );
    }
    let forged = german
        .post("/account/language", &[("language", "en")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(speaks(&app, "jonas", "de").await);
    let chosen = german
        .send_form("/account/language", &[("language", "en")])
        .await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    assert!(speaks(&app, "jonas", "en").await);
    german
        .change_password(GOOD_PASSWORD, "an entirely new passphrase 7")
        .await;
    let changed = sink.wait_for_subject("Your password was changed").await;
    assert!(changed.contains("Hello jonas,"), "{changed}");

    // An account made without a browser (an operator's) takes the language
    // of its first sign-in on a page.
    app.api().signup("mia").await;
    app.execute(
        "UPDATE users SET language = NULL WHERE username = 'mia'",
        "UPDATE users SET language = NULL WHERE username = 'mia'",
    )
    .await;
    app.browser_speaking("de").login("mia", GOOD_PASSWORD).await;
    assert!(speaks(&app, "mia", "de").await);
    app.browser_speaking("en").login("mia", GOOD_PASSWORD).await;
    assert!(speaks(&app, "mia", "de").await);

    // A mail keeps the language it was queued in: whoever changes the
    // account's language afterwards (a thief who just signed in) does not
    // change the alerts already on their way. Queued for later, so that
    // only this test claims it.
    use rampart_core::Clock;
    use rampart_core::mail::{MailTemplate, OutgoingMail};
    use rampart_core::ports::OutboxRepo;
    let mia = app.admin.find("mia").await.unwrap();
    let later = app.clock.now() + time::Duration::days(30);
    let alert = OutgoingMail::to_user(&mia, MailTemplate::NewSignIn, &app.base, json!({}));
    app.store.enqueue(&alert, later).await.unwrap();
    app.execute(
        "UPDATE users SET language = 'en' WHERE username = 'mia'",
        "UPDATE users SET language = 'en' WHERE username = 'mia'",
    )
    .await;
    let due = app
        .store
        .claim_due(later, later + time::Duration::minutes(10), 50)
        .await
        .unwrap();
    let queued = due
        .iter()
        .find(|q| q.mail.user_id == Some(mia.id) && q.mail.template == MailTemplate::NewSignIn)
        .expect("the alert");
    assert_eq!(queued.language.as_deref(), Some("de"));
}

#[backend_test]
async fn pages_say_the_servers_own_words_in_the_browsers_language(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    let german = app.browser_speaking("de-DE,de;q=0.9");
    // Form problems.
    let refused = german.register("lena", "lena@example.com", "kurz").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Das Passwort muss mindestens 8 Zeichen lang sein."),
        "{html}"
    );
    assert!(!html.contains("Password must be"), "{html}");
    // The JSON API keeps English, whatever the client asks for.
    let api = reqwest::Client::new()
        .post(app.url("/api/v1/users"))
        .header("accept-language", "de")
        .json(&json!({"username": "lena", "email": "lena@example.com", "password": "kurz"}))
        .fetch()
        .await;
    assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = api.text().await.unwrap();
    assert!(
        body.contains("Password must be at least 8 characters long."),
        "{body}"
    );

    german.sign_up("lena").await;
    // Error pages: a page that is not there, a form without its token.
    let missing = german.get("/nirgendwo").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let html = missing.text().await.unwrap();
    assert!(html.contains("Seite nicht gefunden"), "{html}");
    let forged = german.post("/account/tokens", &[("name", "x")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let html = forged.text().await.unwrap();
    assert!(html.contains("Anfrage abgelehnt"), "{html}");
    assert!(
        html.contains("Dieses Formular wurde nicht von dieser Website gesendet"),
        "{html}"
    );
    // A device, an unknown address, the scopes and a token's problems.
    let sessions = german.page("/account/sessions").await;
    assert!(sessions.contains("Unbekanntes Gerät"), "{sessions}");
    let tokens = german.page("/account/tokens").await;
    assert!(tokens.contains("Ihr Konto ändern"), "{tokens}");
    let refused = german
        .send_form("/account/tokens", &[("name", ""), ("expires_in_days", "0")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Wählen Sie mindestens eine Berechtigung"),
        "{html}"
    );
    assert!(
        html.contains("Tokens laufen nach 1 bis 365 Tagen ab."),
        "{html}"
    );
    // The same pages in English for an English browser.
    let english = app.browser_speaking("en");
    let html = english.page("/nirgendwo").await;
    assert!(html.contains("Page not found"), "{html}");
}
