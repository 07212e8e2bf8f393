//! Mails in their reader's language: an account's language is the one its
//! browser asked for when it was created or last signed in on a page, and
//! every mail to it is written in that language, whoever caused the mail.

use rampart_testkit::{Backend, GOOD_PASSWORD, TestApp};

backend_tests!(mails_are_written_in_the_language_of_their_account);

/// How many accounts named `name` have the language `lang`.
async fn speaks(app: &TestApp, name: &str, lang: &str) -> bool {
    let sql = match lang {
        "de" => "SELECT COUNT(*) FROM users WHERE username = $1 AND language = 'de'",
        _ => "SELECT COUNT(*) FROM users WHERE username = $1 AND language = 'en'",
    };
    app.scalar(sql, name).await == 1
}

async fn mails_are_written_in_the_language_of_their_account(backend: Backend) {
    let (app, sink) = TestApp::spawn_with_mail(&backend).await;
    let german = app.browser_speaking("de-DE,de;q=0.9,en;q=0.5");
    german
        .register("jonas", "jonas@example.com", GOOD_PASSWORD)
        .await;
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
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "jonas@example.com")],
        )
        .await;
    let reset = sink
        .wait_for_subject("Setzen Sie Ihr Passwort zurück")
        .await;
    assert!(reset.contains("Hallo jonas,"), "{reset}");
    assert!(reset.contains("Minuten ab"), "{reset}");
    assert!(
        speaks(&app, "jonas", "de").await,
        "a request for a mail changes nothing"
    );

    // An API sign-in sends no Accept-Language: the language stays.
    app.api_login("jonas", GOOD_PASSWORD).await;
    assert!(speaks(&app, "jonas", "de").await);

    // A browser asking for languages there are no words for, or for
    // nonsense, gets the default's pages, and that is what is recorded:
    // never the header's own text.
    for asked in ["fr-CH, fr;q=0.9", "<script>;q=x, ../../de, de\\\\", "*;q=0"] {
        let odd = app.browser_speaking(asked);
        odd.login("jonas", GOOD_PASSWORD).await;
        assert!(speaks(&app, "jonas", "en").await, "{asked}");
        german.login("jonas", GOOD_PASSWORD).await;
        assert!(speaks(&app, "jonas", "de").await, "{asked}");
    }
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE language IS NOT NULL AND language NOT IN ('en', 'de') AND username <> $1",
            "",
        )
        .await,
        0
    );

    // Signed in from an English browser last, the account's mails are
    // English again.
    let english = app.browser_speaking("en-GB");
    english.login("jonas", GOOD_PASSWORD).await;
    english
        .change_password(GOOD_PASSWORD, "an entirely new passphrase 7")
        .await;
    let changed = sink.wait_for_subject("Your password was changed").await;
    assert!(changed.contains("Hello jonas,"), "{changed}");
    assert!(speaks(&app, "jonas", "en").await);
}
