# Rampart's pages in English. Every key here exists in every shipped
# catalogue (`cargo test` checks it). Operators override or add words with
# TEMPLATES_DIR/locales/LANG.ftl.

## The header of every page
nav-label = Account
nav-account = Account
nav-sessions = Sessions
nav-security = Security
nav-administration = Administration
nav-sign-out = Sign out
nav-sign-in = Sign in
nav-create-account = Create account

## Times, as people read them
when-just-now = just now
when-minutes-ago = { $count ->
    [one] a minute ago
   *[other] { $count } minutes ago
}
when-hours-ago = { $count ->
    [one] an hour ago
   *[other] { $count } hours ago
}
when-days-ago = { $count ->
    [one] a day ago
   *[other] { $count } days ago
}
when-in-minutes = { $count ->
    [one] in a minute
   *[other] in { $count } minutes
}
when-in-hours = { $count ->
    [one] in an hour
   *[other] in { $count } hours
}
when-in-days = { $count ->
    [one] in a day
   *[other] in { $count } days
}
when-on = on { $date }
when-date = { $day } { $month } { $year }
when-exact = { $date }, { $time } UTC
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## /login
login-title = Sign in
login-username = Username or e-mail
login-password = Password
login-remember = Keep me signed in on this device
login-submit = Sign in
login-passkey = Sign in with a passkey
login-with-provider = Sign in with { $provider }
login-forgot = Forgot your password?
login-new-here = New here?
login-create-account = Create an account

## /register
register-first-admin = No administrator exists yet. This account will be the first one.
register-correct = Please correct the following:
register-username = Username
register-username-help = 3 to 32 letters, digits, '_', '.' or '-'.
register-email = E-mail address
register-password = Password
register-password-help = At least { $min } characters. A long phrase is easier to remember and harder to guess.
register-password-repeat = Repeat the password
register-submit = Create account
register-passkey = Create the account with a passkey instead
register-have-account = Already have an account?
register-sign-in = Sign in

## /account
account-title = Your account
account-hello = Hello, { $name }
account-codes-none = No recovery codes are left
account-codes-left = { $count ->
    [one] Only 1 recovery code is left
   *[other] Only { $count } recovery codes are left
}
account-codes-create = create a new set
account-codes-before = before you need one.
account-username = Username
account-email = E-mail
account-not-verified = not yet verified
account-roles = Roles
account-signed-in-since = Signed in since
account-resend = Send the confirmation mail again
account-ways-in = Ways to sign in
account-last-used = last used
account-unlink = Unlink
account-link = Link your { $provider } account
account-your-password = Your password.
account-change-password = Change your password
account-change-email = Change your e-mail address
account-two-factor = Two-factor authentication
account-passkeys = Passkeys
account-sessions = Where you are signed in
account-tokens = Personal access tokens
account-delete = Delete your account
account-administration = Administration

## /account/sessions
sessions-title = Where you are signed in
sessions-this = this session
sessions-ip = IP { $ip }
sessions-signed-in = signed in
sessions-last-seen = last seen
sessions-sign-out = Sign out this session
sessions-sign-out-others = Sign out everywhere else
sessions-back = Back to your account

## After a sign-in factor changed
others-heading = Sign out your other sessions?
others-text = The ways you sign in just changed. If someone else might be signed in as you, end every other session now; this one stays.
others-submit = Sign out your other sessions

## Error pages
error-back = Go back
