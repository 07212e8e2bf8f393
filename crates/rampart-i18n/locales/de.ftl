# Rampart's pages in German. Every key here exists in every shipped
# catalogue (`cargo test` checks it).

## The header of every page
nav-label = Konto
nav-account = Konto
nav-sessions = Sitzungen
nav-security = Sicherheit
nav-administration = Verwaltung
nav-sign-out = Abmelden
nav-sign-in = Anmelden
nav-create-account = Konto anlegen

## Times, as people read them
when-just-now = gerade eben
when-minutes-ago = { $count ->
    [one] vor einer Minute
   *[other] vor { $count } Minuten
}
when-hours-ago = { $count ->
    [one] vor einer Stunde
   *[other] vor { $count } Stunden
}
when-days-ago = { $count ->
    [one] vor einem Tag
   *[other] vor { $count } Tagen
}
when-in-minutes = { $count ->
    [one] in einer Minute
   *[other] in { $count } Minuten
}
when-in-hours = { $count ->
    [one] in einer Stunde
   *[other] in { $count } Stunden
}
when-in-days = { $count ->
    [one] in einem Tag
   *[other] in { $count } Tagen
}
when-on = am { $date }
when-date = { $day }. { $month } { $year }
when-exact = { $date }, { $time } UTC
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember

## /login
login-title = Anmelden
login-username = Benutzername oder E-Mail-Adresse
login-password = Passwort
login-remember = Auf diesem Gerät angemeldet bleiben
login-submit = Anmelden
login-passkey = Mit einem Passkey anmelden
login-with-provider = Mit { $provider } anmelden
login-forgot = Passwort vergessen?
login-new-here = Neu hier?
login-create-account = Konto anlegen

## /register
register-title = Ein Konto anlegen
register-first-admin = Es gibt noch keinen Administrator. Dieses Konto wird das erste.
register-correct = Bitte korrigieren Sie Folgendes:
register-username = Benutzername
register-username-help = 3 bis 32 Buchstaben, Ziffern, '_', '.' oder '-'.
register-email = E-Mail-Adresse
register-password = Passwort
register-password-help = Mindestens { $min } Zeichen. Ein langer Satz ist leichter zu merken und schwerer zu erraten.
register-password-repeat = Passwort wiederholen
register-submit = Konto anlegen
register-passkey = Das Konto stattdessen mit einem Passkey anlegen
register-have-account = Sie haben schon ein Konto?
register-sign-in = Anmelden

## /account
account-title = Ihr Konto
account-hello = Hallo, { $name }
account-codes-none = Es sind keine Wiederherstellungscodes mehr übrig
account-codes-left = { $count ->
    [one] Nur noch 1 Wiederherstellungscode ist übrig
   *[other] Nur noch { $count } Wiederherstellungscodes sind übrig
}
account-codes-create = Erstellen Sie einen neuen Satz,
account-codes-before = bevor Sie einen brauchen.
account-username = Benutzername
account-email = E-Mail-Adresse
account-not-verified = noch nicht bestätigt
account-roles = Rollen
account-signed-in-since = Angemeldet seit
account-resend = Bestätigungsmail erneut senden
account-ways-in = Wege zur Anmeldung
account-last-used = zuletzt verwendet
account-unlink = Trennen
account-link = Ihr { $provider }-Konto verknüpfen
account-your-password = Ihr Passwort.
account-change-password = Passwort ändern
account-change-email = E-Mail-Adresse ändern
account-two-factor = Zwei-Faktor-Authentifizierung
account-passkeys = Passkeys
account-sessions = Wo Sie angemeldet sind
account-tokens = Persönliche Zugriffstoken
account-delete = Konto löschen
account-administration = Verwaltung

## /account/sessions
sessions-title = Wo Sie angemeldet sind
sessions-this = diese Sitzung
sessions-ip = IP { $ip }
sessions-signed-in = angemeldet
sessions-last-seen = zuletzt gesehen
sessions-sign-out = Diese Sitzung abmelden
sessions-sign-out-others = Überall sonst abmelden
sessions-back = Zurück zu Ihrem Konto

## After a sign-in factor changed
others-heading = Ihre anderen Sitzungen abmelden?
others-text = Ihre Anmeldewege haben sich gerade geändert. Falls jemand anderes als Sie angemeldet sein könnte, beenden Sie jetzt alle anderen Sitzungen; diese bleibt bestehen.
others-submit = Ihre anderen Sitzungen abmelden

## Error pages
error-back = Zurück

## /password/forgot
forgot-title = Passwort vergessen?
forgot-sent = Falls ein Konto diese Adresse verwendet, ist ein Link zum Festlegen eines neuen Passworts unterwegs. Er funktioniert einmal und läuft bald ab. Sehen Sie im Spam-Ordner nach, falls er nicht ankommt.
forgot-email = Die E-Mail-Adresse Ihres Kontos
forgot-submit = Link senden
forgot-back = Zurück zur Anmeldung

## /password/reset
reset-title = Neues Passwort festlegen
reset-password = Neues Passwort
reset-repeat = Neues Passwort wiederholen
reset-submit = Neues Passwort speichern
reset-passkey-text = Sie melden sich mit Passkeys an. Falls Sie diese verloren haben, fügen Sie statt eines Passworts einen neuen hinzu:
reset-passkey = Stattdessen einen neuen Passkey hinzufügen

## /reauth
reauth-title = Bestätigen Sie, dass Sie es sind
reauth-text-code = Dafür müssen Sie erneut nachweisen, dass Sie es sind: mit Ihrem Passwort und einem Code aus Ihrer Authenticator-App.
reauth-text = Dafür müssen Sie erneut nachweisen, dass Sie es sind: mit Ihrem Passwort.
reauth-password = Passwort
reauth-code = Code aus Ihrer Authenticator-App (oder ein Wiederherstellungscode)
reauth-submit = Weiter
reauth-passkey = Mit einem Passkey bestätigen
reauth-passkey-help = Ein Sicherheitsschlüssel, der weder PIN noch Fingerabdruck verlangt, braucht zusätzlich Ihr Passwort oben.
reauth-provider = Stattdessen mit { $provider } bestätigen

## /login/mfa
mfa-title = Anmeldung mit zweitem Faktor
mfa-enter-code = Code eingeben
mfa-use-passkey = Passkey verwenden
mfa-code-text = Öffnen Sie Ihre Authenticator-App und geben Sie den 6-stelligen Code für { $site } ein, oder einen Ihrer Wiederherstellungscodes.
mfa-code-or-passkey-text = Öffnen Sie Ihre Authenticator-App und geben Sie den 6-stelligen Code für { $site } ein, oder einen Ihrer Wiederherstellungscodes; oder verwenden Sie einen Passkey.
mfa-passkey-text = Bestätigen Sie mit einem Ihrer Passkeys, um die Anmeldung abzuschließen.
mfa-code = Code
mfa-trust = { $days ->
    [one] In diesem Browser einen Tag lang nicht mehr fragen
   *[other] In diesem Browser { $days } Tage lang nicht mehr fragen
}
mfa-submit = Weiter
mfa-passkey = Einen Passkey verwenden
mfa-passkey-noscript = Für einen Passkey wird JavaScript benötigt.
mfa-start-again = Von vorn beginnen

## /account/password
password-title = Passwort ändern
password-breached = Das Passwort, mit dem Sie sich angemeldet haben, steht in einer Liste von Passwörtern, die anderswo bei Datenlecks offengelegt wurden; andere könnten es kennen. Wählen Sie jetzt ein neues; danach öffnet sich der Rest Ihres Kontos.
password-current = Aktuelles Passwort
password-new = Neues Passwort
password-repeat = Neues Passwort wiederholen
password-submit = Passwort ändern
password-others = Alle anderen Geräte, die bei Ihrem Konto angemeldet sind, werden abgemeldet.
password-back = Zurück zu Ihrem Konto

## /account/delete
delete-title = Konto löschen
delete-text = Dies löscht Ihr Konto, Ihre Sitzungen, Ihre Zugriffstoken und noch nicht versandte Mails. Es lässt sich nicht rückgängig machen.
delete-confirm = Ich möchte mein Konto { $name } löschen
delete-submit = Mein Konto löschen
delete-keep = Mein Konto behalten

## /account/email
email-title = E-Mail-Adresse ändern
email-sent = Wir haben einen Link an { $address } gesendet. Ihre Adresse ändert sich, wenn Sie ihn öffnen. Ihre bisherige Adresse haben wir ebenfalls benachrichtigt.
email-now = Ihre jetzige Adresse: { $address }
email-new = Neue E-Mail-Adresse
email-submit = Bestätigungslink senden
email-back = Zurück zu Ihrem Konto

## /account/email/confirm
email-confirm-title = Neue E-Mail-Adresse bestätigen
email-confirm-done = Die E-Mail-Adresse Ihres Kontos ist jetzt { $address }.
email-confirm-go = Zu Ihrem Konto
email-confirm-text = Drücken Sie die Schaltfläche, um diese Adresse zur E-Mail-Adresse Ihres Kontos zu machen.
email-confirm-submit = Meine neue E-Mail-Adresse bestätigen

## /verify-email
verify-title = E-Mail-Adresse bestätigen
verify-done = Danke: Ihre E-Mail-Adresse ist bestätigt.
verify-go = Zu Ihrem Konto
verify-text = Drücken Sie die Schaltfläche, um zu bestätigen, dass diese Adresse Ihnen gehört.
verify-submit = Meine E-Mail-Adresse bestätigen

## /account/tokens
tokens-title = Persönliche Zugriffstoken
tokens-created = Ihr neues Token. Kopieren Sie es jetzt: Es wird nur dieses eine Mal angezeigt.
tokens-created-at = erstellt
tokens-expires = läuft ab
tokens-last-used = zuletzt verwendet
tokens-revoke = Widerrufen
tokens-none = Noch keine Token.
tokens-new = Neues Token
tokens-name = Name
tokens-scopes = Berechtigungen
tokens-days = Läuft ab nach (Tage, 1 bis 365)
tokens-submit = Token erstellen
tokens-back = Zurück zu Ihrem Konto

## /account/passkeys
passkeys-title = Passkeys
passkeys-intro = Ein Passkey meldet Sie mit der Bildschirmsperre Ihres Geräts oder einem Sicherheitsschlüssel statt mit einem Passwort an. Er lässt sich nicht abfischen: Er funktioniert nur auf dieser Website.
passkeys-added = hinzugefügt
passkeys-last-used = zuletzt verwendet
passkeys-synced = synchronisiert
passkeys-can-sync = kann synchronisiert werden, ist es aber noch nicht
passkeys-this-device = nur dieses Gerät
passkeys-alone = meldet allein an
passkeys-second-step = nur als zweiter Schritt
passkeys-remove = Entfernen
passkeys-remove-named = { $name } entfernen
passkeys-none = Sie haben noch keinen Passkey.
passkeys-unavailable = Passkeys sind auf dieser Website nicht verfügbar: Ihre Adresse muss ein Hostname sein, keine IP-Adresse.
passkeys-confirm = Bestätigen Sie, dass Sie es sind,
passkeys-confirm-to-add = um einen Passkey hinzuzufügen.
passkeys-name = Name des neuen Passkeys
passkeys-name-example = z. B. Arbeitslaptop
passkeys-add = Passkey hinzufügen
passkeys-noscript = Zum Hinzufügen eines Passkeys wird JavaScript benötigt: Ihr Browser bittet Ihr Gerät, den Schlüssel zu erzeugen.
passkeys-password = Ihr Passwort
passkeys-only = Sie melden sich nur mit Ihren Passkeys an. Falls Sie diese verlieren,
passkeys-only-reset = setzen Sie Ihr Passwort per E-Mail zurück,
passkeys-only-again = um wieder eines festzulegen.
passkeys-remove-password-text = Mit einem Passkey brauchen Sie kein Passwort mehr. Wenn Sie es entfernen, werden Sie überall sonst abgemeldet.
passkeys-remove-password = Ihr Passwort entfernen
passkeys-with-password = Sie melden sich mit Ihrem Passwort an. Fügen Sie einen Passkey hinzu, dann können Sie es entfernen.
passkeys-back = Zurück zu Ihrem Konto

## /account/mfa/totp
totp-title = Zwei-Faktor-Authentifizierung
totp-codes = Ihre Wiederherstellungscodes
totp-codes-text = Jeder Code meldet Sie einmal an, falls Sie Ihren Authenticator verlieren. Bewahren Sie sie jetzt sicher auf: Sie werden nicht noch einmal angezeigt.
totp-back = Zurück zu Ihrem Konto
totp-on = Die Zwei-Faktor-Authentifizierung ist eingeschaltet.
totp-codes-left = { $count ->
    [one] 1 unbenutzter Wiederherstellungscode ist übrig.
   *[other] { $count } unbenutzte Wiederherstellungscodes sind übrig.
}
totp-new-codes-text = Neue Wiederherstellungscodes ersetzen die alten, die dann nicht mehr funktionieren.
totp-new-codes = Neue Wiederherstellungscodes erstellen
totp-password = Ihr Passwort
totp-off = Zwei-Faktor-Authentifizierung ausschalten
totp-step-scan = Scannen Sie diesen QR-Code mit einer Authenticator-App, oder geben Sie den Schlüssel unten dort ein.
totp-step-code = Geben Sie den 6-stelligen Code ein, den die App anzeigt.
totp-qr = QR-Code des Einrichtungslinks
totp-key = Schlüssel
totp-link = Einrichtungslink
totp-code = Code aus der App
totp-submit = Zwei-Faktor-Authentifizierung einschalten

## The console
admin-nav = Verwaltung
admin-dashboard = Übersicht
admin-accounts = Konten
admin-your-account = Ihr Konto
admin-title = Verwaltung
admin-summary = { $accounts ->
    [one] 1 Konto
   *[other] { $accounts } Konten
}, { $locked } gesperrt, { $sessions ->
    [one] 1 aktive Sitzung
   *[other] { $sessions } aktive Sitzungen
}.
admin-sign-ins = Anmeldungen pro Stunde, letzte 7 Tage
admin-totals = Sitzungen und Konten

## /admin/users
users-title = Konten
users-find = Nach Benutzername oder E-Mail-Adresse suchen
users-search = Suchen
users-count = { $count ->
    [one] 1 Konto
   *[other] { $count } Konten
}.
users-count-matching = { $count ->
    [one] 1 Konto
   *[other] { $count } Konten
} passend zu „{ $query }“.
users-username = Benutzername
users-email = E-Mail
users-roles = Rollen
users-status = Status
users-second-factor = Zweiter Faktor
users-locked = gesperrt
users-active = aktiv
users-on = an
users-off = aus
users-previous = Zurück
users-page = Seite { $page } von { $pages }
users-next = Weiter

## /admin/users/ID
user-not-verified = nicht bestätigt
user-created = Angelegt
user-actions = Aktionen
user-unlock = Entsperren
user-lock = Sperren und Sitzungen beenden
user-end-sessions = Alle Sitzungen beenden
user-reset-reason = Warum (das Ticket, und wie Sie bestätigt haben, wer gefragt hat; siehe das Verfahren zur Identitätsprüfung)
user-reset-mfa = Zweiten Faktor entfernen
user-send-reset = Passwort-Zurücksetzung senden
user-roles = Rollen
user-more-roles = Weitere Rollen (Namen aus a–z, 0–9, _ und -, durch Kommas getrennt)
user-save-roles = Rollen speichern
user-sessions = Sitzungen
user-no-session = Keine aktive Sitzung.
user-passkeys = Passkeys
user-remove-passkey = Den Passkey { $name } entfernen
user-no-passkey = Kein Passkey.
user-identities = Verknüpfte Identitäten
user-linked = verknüpft
user-no-identity = Keine Identität aus einem Verzeichnis oder von einem Anbieter ist verknüpft.
user-no-token = Kein persönliches Zugriffstoken.
user-devices = Bekannte Geräte
user-devices-text = Browser, die sich bei diesem Konto angemeldet haben, tragen eine signierte Markierung, die sie von seiner Sperre nach falschen Passwörtern ausnimmt. Markierungen werden nicht gespeichert und lassen sich daher nicht auflisten: Die Sitzungen oben zeigen die benutzten Geräte. Eine Passwortänderung oder -zurücksetzung, oder <code>rampart user sign-out</code>, macht jede Markierung ungültig.
user-events = Letzte Ereignisse
user-time = Zeit
user-event = Ereignis
user-outcome = Ergebnis
user-delete = Konto löschen
user-delete-confirm = Geben Sie zur Bestätigung den Benutzernamen ein
user-delete-submit = { $name } endgültig löschen

## Times that never were
when-never = nie

## Mails: der Betreff jeder Mail, dann ihre Sätze.
mail-subject-verify_email = Bestätigen Sie Ihre E-Mail-Adresse
mail-subject-password_reset = Setzen Sie Ihr Passwort zurück
mail-subject-password_changed = Ihr Passwort wurde geändert
mail-subject-remember_me_theft = Eine Kopie Ihres Anmelde-Cookies wurde benutzt
mail-subject-email_change_confirm = Bestätigen Sie Ihre neue E-Mail-Adresse
mail-subject-email_change_notice = Ihre E-Mail-Adresse wird geändert
mail-subject-recovery_code_used = Ein Wiederherstellungscode Ihres Kontos wurde benutzt
mail-subject-mfa_changed = Ihre Zwei-Faktor-Authentifizierung wurde geändert
mail-subject-account_locked = Die Anmeldung bei Ihrem Konto wurde vorübergehend gesperrt
mail-subject-new_sign_in = Eine Anmeldung von einem neuen Gerät
mail-subject-passkey_clone_suspected = Von einem Ihrer Passkeys existiert vielleicht eine Kopie
mail-hello = Hallo { $username },
mail-link-once-24h = Der Link funktioniert einmal und läuft in 24 Stunden ab.
mail-not-you-reset = Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort unter { $url } zurück und benachrichtigen Sie den Betreiber der Website.
mail-not-you-reset-html = Wenn Sie das nicht waren, <a href="{ $url }">setzen Sie Ihr Passwort</a> sofort zurück und benachrichtigen Sie den Betreiber der Website.
mail-verify-open = Bitte bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link öffnen:
mail-verify-short = Bitte bestätigen Sie Ihre E-Mail-Adresse:
mail-verify-button = Meine E-Mail-Adresse bestätigen
mail-verify-ignore = Wenn Sie kein Konto angelegt haben, ignorieren Sie diese Mail.
mail-reset-asked = Jemand hat verlangt, das Passwort Ihres Kontos zurückzusetzen.
mail-reset-open = Um ein neues Passwort zu wählen, öffnen Sie:
mail-reset-button = Ein neues Passwort wählen
mail-reset-expiry = Der Link funktioniert einmal und läuft in { $minutes } Minuten ab. Wenn Sie das nicht waren, ignorieren Sie diese Mail: Ihr Passwort bleibt, wie es ist.
mail-changed-reset = Das Passwort Ihres Kontos wurde soeben mit einem Link zurückgesetzt, den wir Ihnen gemailt haben. Alles, was noch in Ihrem Namen handeln konnte, wurde beendet: jede Sitzung, jeder Browser mit „Angemeldet bleiben“, jedes bekannte Gerät und jedes persönliche Zugriffstoken. Melden Sie sich mit dem neuen Passwort wieder an und erstellen Sie neue Tokens, wo Sie sie brauchen.
mail-changed = Das Passwort Ihres Kontos wurde soeben geändert, und alle Sitzungen wurden beendet.
mail-theft = Jemand hat eine Kopie des Cookies „Angemeldet bleiben“ eines Ihrer Browser vorgelegt. Wir haben damit niemanden angemeldet und dieses Cookie abgeschaltet.
mail-theft-advice = Wenn Sie das nicht erwartet haben, ändern Sie Ihr Passwort und prüfen Sie, wo Sie angemeldet sind (Konto, dann „Wo Sie angemeldet sind“).
mail-email-confirm-open = Um diese Adresse zur E-Mail-Adresse Ihres Kontos zu machen, öffnen Sie:
mail-email-confirm-short = Um diese Adresse zur E-Mail-Adresse Ihres Kontos zu machen:
mail-email-confirm-button = Meine neue E-Mail-Adresse bestätigen
mail-email-confirm-ignore = Wenn Sie das nicht verlangt haben, ignorieren Sie diese Mail.
mail-email-notice = Jemand, der bei Ihrem Konto angemeldet ist, hat verlangt, die E-Mail-Adresse des Kontos in { $address } zu ändern. Die Änderung geschieht erst, wenn diese Adresse sie bestätigt.
mail-email-notice-advice = Wenn Sie das nicht waren, ändern Sie Ihr Passwort sofort unter { $url } und benachrichtigen Sie den Betreiber der Website.
mail-email-notice-advice-html = Wenn Sie das nicht waren, <a href="{ $url }">ändern Sie Ihr Passwort</a> sofort und benachrichtigen Sie den Betreiber der Website.
mail-recovery-used = Soeben wurde ein Wiederherstellungscode Ihres Kontos zur Anmeldung benutzt. { $remaining ->
    [one] Ein unbenutzter Wiederherstellungscode ist übrig.
   *[other] { $remaining } unbenutzte Wiederherstellungscodes sind übrig.
}
mail-recovery-advice = Wenn Sie das nicht waren, kennt jemand Ihr Passwort und hat einen Ihrer Wiederherstellungscodes: Setzen Sie Ihr Passwort sofort unter { $reset } zurück, erstellen Sie unter { $codes } neue Wiederherstellungscodes und benachrichtigen Sie den Betreiber der Website.
mail-recovery-advice-html = Wenn Sie das nicht waren, kennt jemand Ihr Passwort und hat einen Ihrer Wiederherstellungscodes: <a href="{ $reset }">Setzen Sie Ihr Passwort</a> sofort zurück, <a href="{ $codes }">erstellen Sie neue Wiederherstellungscodes</a> und benachrichtigen Sie den Betreiber der Website.
mail-mfa-changed = { $change ->
    [enabled] Die Zwei-Faktor-Authentifizierung Ihres Kontos wurde soeben eingeschaltet.
    [disabled] Die Zwei-Faktor-Authentifizierung Ihres Kontos wurde soeben ausgeschaltet.
    [passkey-added] Die Zwei-Faktor-Authentifizierung Ihres Kontos wurde soeben geändert: Der Passkey „{ $name }“ wurde hinzugefügt.
    [passkey-removed] Die Zwei-Faktor-Authentifizierung Ihres Kontos wurde soeben geändert: Der Passkey „{ $name }“ wurde entfernt.
    [reset] Die Zwei-Faktor-Authentifizierung Ihres Kontos wurde soeben von einem Betreiber zurückgesetzt.
   *[other] Die Zwei-Faktor-Authentifizierung Ihres Kontos wurde soeben geändert.
}
mail-locked = Die Anmeldung bei Ihrem Konto wurde nach mehreren falschen Passwörtern oder Codes für eine Weile angehalten (letzter Versuch: { $time }, IP-Adresse { $ip }).
mail-locked-advice = Wenn Sie das waren, warten Sie ein paar Minuten und versuchen Sie es erneut, oder setzen Sie Ihr Passwort unter { $reset } zurück. Wenn nicht, versucht jemand, Ihr Passwort zu erraten: Wählen Sie ein langes, einzigartiges Passwort und schalten Sie unter { $mfa } die Zwei-Faktor-Authentifizierung ein.
mail-locked-advice-html = Wenn Sie das waren, warten Sie ein paar Minuten und versuchen Sie es erneut, oder <a href="{ $reset }">setzen Sie Ihr Passwort zurück</a>. Wenn nicht, versucht jemand, Ihr Passwort zu erraten: Wählen Sie ein langes, einzigartiges Passwort und <a href="{ $mfa }">schalten Sie die Zwei-Faktor-Authentifizierung ein</a>.
mail-new-sign-in = Bei Ihrem Konto hat sich soeben jemand von einem Gerät oder Netzwerk angemeldet, das es bisher nicht benutzt hat:
mail-address = IP-Adresse
mail-browser = Browser
mail-time = Zeit
mail-new-sign-in-advice = Wenn Sie das waren, ist nichts zu tun. Wenn nicht, setzen Sie Ihr Passwort sofort unter { $reset } zurück und melden Sie die anderen Sitzungen unter { $sessions } ab.
mail-new-sign-in-advice-html = Wenn Sie das waren, ist nichts zu tun. Wenn nicht, <a href="{ $reset }">setzen Sie Ihr Passwort sofort zurück</a> und <a href="{ $sessions }">melden Sie die anderen Sitzungen ab</a>.
mail-clone = Jemand hat versucht, sich mit einem Ihrer Passkeys bei Ihrem Konto anzumelden, aber der Zähler des Passkeys war niedriger als bei seiner letzten Benutzung. Das kann bedeuten, dass eine Kopie des Passkeys existiert. Wir haben niemanden angemeldet.
mail-clone-advice = Wenn Sie das nicht erwartet haben, entfernen Sie diesen Passkey (Konto, dann „Passkeys“), fügen Sie einen neuen hinzu und prüfen Sie, wo Sie angemeldet sind (Konto, dann „Wo Sie angemeldet sind“).
mail-unknown-address = unbekannt

## Was der Server in Seiten schreibt: Formularprobleme, Fehlerseiten,
## Geräte, Berechtigungen.
problem-username-length = Der Benutzername muss 3 bis 32 Zeichen lang sein.
problem-username-characters = Der Benutzername darf nur Buchstaben, Ziffern, „_“, „.“ und „-“ enthalten und muss mit einem Buchstaben oder einer Ziffer beginnen.
problem-username-taken = Dieser Benutzername ist schon vergeben; wählen Sie einen anderen.
problem-email-invalid = Geben Sie eine gültige E-Mail-Adresse ein, etwa name@example.com.
problem-email-length = Die E-Mail-Adresse darf höchstens 254 Zeichen lang sein.
problem-email-ascii = Geben Sie die Adresse in einfachen Buchstaben ein; für eine internationale Domain ihre xn---Form.
problem-email-taken = Es gibt schon ein Konto mit dieser E-Mail-Adresse; melden Sie sich an oder setzen Sie Ihr Passwort zurück.
problem-email-same = Das ist schon Ihre E-Mail-Adresse.
problem-email-used = Ein anderes Konto benutzt diese E-Mail-Adresse.
problem-email-taken-meanwhile = Ein anderes Konto hat diese E-Mail-Adresse inzwischen übernommen.
problem-role-name = Der Rollenname { $name } ist ungültig: Verwenden Sie 1 bis 32 Zeichen aus a–z, 0–9, „_“ und „-“, beginnend mit einem Buchstaben.
problem-reason-missing = Nennen Sie den Grund für das Entfernen des zweiten Faktors (etwa das Ticket und wie Sie bestätigt haben, wer darum bat).
problem-reason-length = Der Grund ist länger als 500 Zeichen.
problem-reason-line = Der Grund muss eine Zeile ohne Steuerzeichen sein.
problem-passwords-differ = Die beiden Passwörter stimmen nicht überein.
problem-new-passwords-differ = Die beiden neuen Passwörter stimmen nicht überein.
problem-current-password = Das aktuelle Passwort ist falsch.
problem-password-long = Das Passwort darf höchstens { $max } Bytes lang sein.
problem-password-short = Das Passwort muss mindestens { $min } Zeichen lang sein.
problem-password-common = Dieses Passwort gehört zu den häufigsten Passwörtern; wählen Sie eines, das schwerer zu erraten ist.
problem-password-breached = Dieses Passwort steht in einer Liste von Passwörtern aus Datenlecks; wählen Sie ein anderes.
problem-password-is-name = Das Passwort darf nicht Ihr Benutzername oder Ihre E-Mail-Adresse sein.
problem-password-contains-own = Das Passwort darf { $what ->
    [username] Ihren Benutzernamen
   *[email] den Anfang Ihrer E-Mail-Adresse
} („{ $word }“) nicht enthalten: Das probiert ein Angreifer zuerst.
problem-password-contains-site = Das Passwort darf „{ $word }“, ein Wort aus dem Namen oder der Adresse dieser Website, nicht enthalten: Das probiert ein Angreifer zuerst.
problem-passkey-name-missing = Geben Sie dem Passkey einen Namen.
problem-passkey-name-length = Verwenden Sie höchstens { $max } Zeichen.
problem-passkey-name-characters = Verwenden Sie nur Buchstaben, Ziffern, Leerzeichen und Satzzeichen.
problem-token-name = Geben Sie dem Token einen Namen aus 1 bis 64 druckbaren Zeichen.
problem-scope-unknown = Unbekannte Berechtigung { $scope }; verwenden Sie read:me, write:me, admin oder proxy.
problem-scope-missing = Wählen Sie mindestens eine Berechtigung: read:me, write:me, admin oder proxy.
problem-scope-admin = Nur Administratoren und Mitarbeitende (ein Konto mit einer Verwaltungsberechtigung) können Tokens mit der Berechtigung admin erstellen.
problem-token-expiry = Tokens laufen nach 1 bis 365 Tagen ab.
error-title-bad-request = Ungültige Anfrage
error-title-sign-in-failed = Anmeldung fehlgeschlagen
error-title-upstream = Anmeldedienst nicht erreichbar
error-title-refused = Anfrage abgelehnt
error-title-not-found = Nicht gefunden
error-title-conflict = Nicht möglich
error-title-too-large = Anfrage zu groß
error-title-encoding = Nicht unterstützte Formularkodierung
error-title-wait = Bitte warten Sie einen Moment
error-title-form = Das Formular konnte nicht verarbeitet werden
error-title-busy = Ausgelastet
error-title-internal = Etwas ist schiefgegangen
error-title-page-not-found = Seite nicht gefunden
error-title-method = Methode nicht erlaubt
error-title-timeout = Zeitüberschreitung
error-title-failed = Anfrage fehlgeschlagen
error-page-not-found = Unter dieser Adresse gibt es keine Seite. Prüfen Sie den Link oder gehen Sie zurück zum Anfang.
error-method = Diese Adresse nimmt diese Art von Anfrage nicht an. Verwenden Sie die Links und Formulare der Website.
error-timeout = Die Anfrage hat zu lange gedauert. Versuchen Sie es erneut.
error-failed = Die Anfrage konnte nicht ausgeführt werden. Gehen Sie zurück und versuchen Sie es erneut.
error-too-large = Die gesendeten Daten sind größer, als dieser Server annimmt. Kürzen Sie die Felder und versuchen Sie es erneut.
error-busy = Der Server bearbeitet gerade viele Anmeldungen. Warten Sie einen Moment und versuchen Sie es erneut.
error-internal = Bei uns ist etwas schiefgegangen. Versuchen Sie es gleich noch einmal; wenn es wieder passiert, benachrichtigen Sie den Betreiber der Website.
error-throttled = Es gab zu viele fehlgeschlagene Anmeldungen. Warten Sie { $minutes ->
    [one] eine Minute
   *[other] { $minutes } Minuten
} und versuchen Sie es erneut, oder setzen Sie Ihr Passwort zurück.
error-register-throttled = Aus Ihrem Netz wurden zu viele Konten angelegt. Versuchen Sie es in { $minutes ->
    [one] einer Minute
   *[other] { $minutes } Minuten
} erneut.
error-verify-throttled = Eben wurde eine Bestätigungsmail gesendet. Sehen Sie in Ihrem Posteingang nach oder fragen Sie in { $minutes ->
    [one] einer Minute
   *[other] { $minutes } Minuten
} erneut.
error-reset-throttled = Es wurden zu viele Mails zum Zurücksetzen verlangt. Sehen Sie in Ihrem Posteingang nach oder fragen Sie in { $minutes ->
    [one] einer Minute
   *[other] { $minutes } Minuten
} erneut.
error-csrf = Dieses Formular wurde nicht von dieser Website gesendet oder ist abgelaufen. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.
error-form-encoding = Senden Sie das Formular als application/x-www-form-urlencoded.
error-form-unreadable = Das Formular konnte nicht gelesen werden ({ $why }). Laden Sie die Seite neu und senden Sie es erneut.
error-json = Die Anfrage ist nicht das erwartete JSON: { $why }
error-permission = Dafür braucht es die Berechtigung { $permission }, die Ihre Rollen nicht gewähren.
error-registration-closed = Auf dieser Website kann man sich nicht selbst registrieren. Bitten Sie ihren Betreiber um ein Konto.
error-session-current = Um diese Sitzung zu beenden, melden Sie sich ab.
error-session-unknown = Sie haben keine Sitzung mit dieser Kennung; vielleicht ist sie schon beendet.
error-token-unknown = Sie haben kein Token mit dieser Kennung; vielleicht wurde es schon widerrufen.
error-delete-unticked = Kreuzen Sie das Kästchen an, um zu bestätigen, dass Sie Ihr Konto löschen wollen.
error-delete-username = Geben Sie den Benutzernamen des Kontos ein, um das Löschen zu bestätigen.
error-email-link = Dieser Bestätigungslink ist ungültig, schon benutzt oder abgelaufen. Fordern Sie auf Ihrer Kontoseite einen neuen an.
error-verify-link = Dieser Bestätigungslink ist ungültig, schon benutzt oder abgelaufen.
error-reset-link = Dieser Link ist ungültig, schon benutzt oder abgelaufen. Fordern Sie auf der Seite „Passwort vergessen?“ einen neuen an.
error-setup-link = Dieser Einrichtungslink gilt nicht mehr: Er wurde benutzt, ist (nach einer Stunde) abgelaufen, oder es gibt schon einen Administrator. Starten Sie `rampart serve` neu für einen neuen Link, oder verwenden Sie `rampart user create NAME --role admin`.
error-no-account = Dieses Konto gibt es nicht; vielleicht wurde es gelöscht.
error-no-second-factor = Dieses Konto hat keinen zweiten Faktor, der sich zurücksetzen ließe.
error-last-administrator = Danach gäbe es keinen Administrator mehr: Geben Sie zuerst einem anderen Konto die Rolle admin.
error-admin-outranked = Dieses Konto hat Berechtigungen, die Ihre Rollen nicht gewähren ({ $permissions }); Sie können es daher nicht bearbeiten.
error-admin-own-role = Sie können sich die Rolle „{ $role }“ nicht selbst geben; fragen Sie einen Administrator.
error-admin-role-outranks = Die Rolle „{ $role }“ trägt Berechtigungen, die Ihre Rollen nicht gewähren; Sie können sie daher nicht vergeben.
error-identity-not-linked = Mit dieser Identität ist kein Konto verknüpft: Melden Sie sich anders an und verknüpfen Sie sie auf Ihrer Kontoseite.
error-identity-account-unavailable = Dieses Konto kann sich nicht anmelden.
error-identity-email-taken = Es gibt schon ein Konto mit dieser E-Mail-Adresse: Melden Sie sich dort an und verknüpfen Sie diese Identität auf Ihrer Kontoseite.
error-identity-username-taken = Der Benutzername gehört einem anderen Konto.
error-identity-linked-elsewhere = Diese Identität ist schon mit einem anderen Konto verknüpft.
error-identity-last-way-in = Das ist die einzige Möglichkeit, sich bei diesem Konto anzumelden: Legen Sie zuerst ein Passwort fest oder verknüpfen Sie eine andere Identität.
error-identity-no-email = Der Identitätsanbieter hat keine brauchbare E-Mail-Adresse mitgeteilt, die ein neues Konto braucht.
error-identity-unknown = Mit diesem Konto ist keine solche Identität verknüpft.
error-provider-unknown = Diesen Identitätsanbieter gibt es nicht.
error-provider-state = Diese Anmeldung wurde nicht in diesem Browser begonnen oder ist abgelaufen: Beginnen Sie neu.
error-provider-denied = Der Identitätsanbieter hat Sie nicht angemeldet.
error-provider-unavailable = Der Identitätsanbieter ist gerade nicht erreichbar. Versuchen Sie es später erneut oder melden Sie sich anders an.
error-provider-unverified = Die Antwort des Identitätsanbieters ließ sich nicht prüfen, daher sind Sie nicht angemeldet. Beginnen Sie neu.
error-passkey-unavailable = Passkeys sind hier nicht verfügbar: Die Basis-URL der Website muss einen Hostnamen nennen, keine IP-Adresse.
error-passkey-unknown = Sie haben keinen Passkey mit dieser Kennung; vielleicht wurde er schon entfernt.
error-passkey-ceremony = Dieser Passkey-Schritt wurde nicht in diesem Browser begonnen oder ist abgelaufen: Beginnen Sie neu.
error-passkey-refused = Der Passkey wurde nicht angenommen.
error-passkey-malformed = Die Antwort des Passkeys ließ sich nicht lesen. Versuchen Sie es erneut.
error-passkey-registered = Dieser Passkey ist schon registriert.
error-passkey-last-way-in = Dieser Passkey ist Ihre einzige Möglichkeit, sich anzumelden: Legen Sie ein Passwort fest (oder fügen Sie einen weiteren Passkey hinzu), bevor Sie ihn entfernen.
error-passkey-not-discoverable = Dieser Authentifikator kann keinen Passkey speichern, der allein anmeldet: Verwenden Sie einen anderen oder ein Passwort.
error-passkey-password-needed = Fügen Sie einen Passkey hinzu, der allein anmeldet, bevor Sie Ihr Passwort entfernen: Er wäre Ihre einzige Möglichkeit, sich anzumelden.
error-passkey-not-accepted = Der Passkey wurde nicht angenommen. Versuchen Sie es erneut.
error-passkey-password-required = Dieser Passkey hat nicht nach Ihrer PIN oder Ihrem Fingerabdruck gefragt: Geben Sie auch Ihr Passwort ein und bestätigen Sie dann erneut mit dem Passkey.
error-passkey-wrong-password = Das ist nicht Ihr Passwort. Geben Sie es erneut ein und bestätigen Sie dann erneut mit dem Passkey.
error-passkey-recovery-link = Dieser Link ist ungültig, schon benutzt oder abgelaufen, oder das Konto hat ein Passwort: Legen Sie stattdessen ein neues Passwort fest.
error-no-second-step = Keine Anmeldung wartet auf ihren zweiten Schritt: Beginnen Sie neu.
device-unknown = Unbekanntes Gerät
device-a-browser = Ein Browser
device-browser = { $browser }
device-a-browser-on = Ein Browser unter { $system }
device-browser-on = { $browser } unter { $system }
scope-read-me = Ihr Konto, Ihre Sitzungen und Tokens lesen
scope-write-me = Ihr Konto ändern
scope-admin = die Verwaltungs-API, solange Sie Administrator sind
scope-proxy = Weiterleitungs-Authentifizierung bestehen: die Anwendungen hinter dem Proxy als Sie erreichen
ip-unknown = unbekannt
outcome-success = Erfolg
outcome-failure = Fehlschlag
chart-sign-ins = Anmeldungen pro Stunde in den letzten 7 Tagen: { $succeeded } erfolgreich, { $failed } fehlgeschlagen
chart-succeeded = erfolgreich ({ $count })
chart-failed = fehlgeschlagen ({ $count })
chart-totals = Sitzungen und Konten
chart-active-sessions = Aktive Sitzungen
chart-accounts = Konten
chart-locked = Gesperrte Konten
chart-with-second-factor = Mit zweitem Faktor

## /account/language
language-name = Deutsch
account-language = Sprache Ihrer Mails
language-title = Sprache Ihrer Mails
language-explained = Mails zu Ihrem Konto (Bestätigungen, Zurücksetzen, Sicherheitshinweise) werden in dieser Sprache geschrieben. Die Seiten folgen der Sprache Ihres Browsers.
language-label = Sprache
language-submit = Speichern
error-language-unknown = Wählen Sie eine der angebotenen Sprachen.
error-directory-down = Das Firmenverzeichnis ist gerade nicht erreichbar, daher können sich Verzeichniskonten nicht anmelden. Konten, die Rampart selbst führt, können es weiterhin. Versuchen Sie es in ein paar Minuten erneut.
error-sign-in-failed = Benutzername oder Passwort sind falsch, oder das Konto kann sich nicht anmelden. Prüfen Sie beides und versuchen Sie es erneut.
error-wrong-code = Dieser Code ist nicht gültig. Geben Sie den aktuellen Code aus Ihrer App oder einen unbenutzten Wiederherstellungscode ein.
error-enrol-code = Dieser Code ist nicht gültig. Prüfen Sie die Uhrzeit Ihres Telefons und geben Sie den Code ein, den die App jetzt zeigt.
error-disable-password = Das ist nicht Ihr Passwort. Die Zwei-Faktor-Authentifizierung bleibt eingeschaltet.
error-reauth-password = Das ist nicht Ihr Passwort. Versuchen Sie es erneut.
error-reauth-password-missing = Geben Sie Ihr Passwort ein.
error-reauth-code = Dieser Code stimmt nicht. Versuchen Sie es mit einem aktuellen erneut.
error-reauth-passkey = Der zweite Faktor Ihres Kontos ist ein Passkey: Bestätigen Sie mit Ihrem Passkey.
notice-locked = Das Konto ist gesperrt, und seine Sitzungen sind beendet.
notice-unlocked = Das Konto ist entsperrt.
notice-sessions = Alle Sitzungen des Kontos sind beendet.
notice-mfa = Der zweite Faktor ist entfernt; die Person wurde per Mail informiert.
notice-reset = Ein Link zum Zurücksetzen des Passworts ist unterwegs an die Adresse der Person.
notice-roles = Die Rollen sind gespeichert; sie gelten ab der nächsten Anfrage der Person.
notice-passkey = Der Passkey ist entfernt.

## Was passkey.js auf der Seite sagt
passkey-js-not-accepted = Dieser Passkey wurde nicht angenommen. Versuchen Sie es erneut oder melden Sie sich mit Ihrem Passwort an.
passkey-js-sign-in-failed = Die Anmeldung mit einem Passkey hat nicht funktioniert. Versuchen Sie es erneut oder melden Sie sich mit Ihrem Passwort an.
passkey-js-not-accepted-password = Dieser Passkey wurde nicht angenommen. Wenn er nach keiner PIN und keinem Fingerabdruck fragt, geben Sie oben auch Ihr Passwort ein und versuchen Sie es dann erneut.
passkey-js-not-accepted-short = Dieser Passkey wurde nicht angenommen. Versuchen Sie es erneut.
passkey-js-confirm-failed = Die Bestätigung mit einem Passkey hat nicht funktioniert. Versuchen Sie es erneut.
passkey-js-fill-in = Geben Sie zuerst einen gültigen Benutzernamen und eine gültige E-Mail-Adresse ein.
passkey-js-sign-up-not-started = Das Anlegen des Kontos hat nicht begonnen. Versuchen Sie es erneut.
passkey-js-name-sign-up = Passkey bei der Registrierung
passkey-js-taken = Dieser Benutzername oder diese E-Mail-Adresse ist schon vergeben.
passkey-js-not-created = Das Konto wurde nicht angelegt. Versuchen Sie es erneut.
passkey-js-name-recovery = Passkey bei der Wiederherstellung
passkey-js-not-added-link = Der Passkey wurde nicht hinzugefügt. Fordern Sie einen neuen Link an und versuchen Sie es erneut.
passkey-js-not-added = Der Passkey wurde nicht hinzugefügt. Versuchen Sie es erneut.
passkey-js-name-too-long = Geben Sie dem Passkey einen Namen mit höchstens 64 Zeichen.
register-title-first-admin = Den ersten Administrator anlegen
identity-ldap = Das Firmenverzeichnis (LDAP)
chart-day = { $day }.{ $month }.
