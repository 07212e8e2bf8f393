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
register-first-admin = Es gibt noch keinen Administrator. Dieses Konto wird der erste.
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
account-codes-create = erstellen Sie einen neuen Satz
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
