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
register-title = Create an account
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

## /password/forgot
forgot-title = Forgot your password?
forgot-sent = If an account uses that address, a link to choose a new password is on its way. It works once and expires soon. Check your spam folder if it does not arrive.
forgot-email = Your account's e-mail address
forgot-submit = Send me a link
forgot-back = Back to sign in

## /password/reset
reset-title = Choose a new password
reset-password = New password
reset-repeat = Repeat the new password
reset-submit = Set the new password
reset-passkey-text = Your account signs in with passkeys. If you lost them, add a new one instead of a password:
reset-passkey = Add a new passkey instead

## /reauth
reauth-title = Confirm it is you
reauth-text-code = This needs you to prove it is you again: your password and a code from your authenticator app.
reauth-text = This needs you to prove it is you again: your password.
reauth-password = Password
reauth-code = Code from your authenticator app (or a recovery code)
reauth-submit = Continue
reauth-passkey = Confirm with a passkey
reauth-passkey-help = A security key that asks for no PIN or fingerprint needs your password above as well.
reauth-provider = Confirm with { $provider } instead

## /login/mfa
mfa-title = Two-factor sign-in
mfa-enter-code = Enter your code
mfa-use-passkey = Use your passkey
mfa-code-text = Open your authenticator app and enter the 6-digit code for { $site }, or one of your recovery codes.
mfa-code-or-passkey-text = Open your authenticator app and enter the 6-digit code for { $site }, or one of your recovery codes; or use a passkey.
mfa-passkey-text = Confirm with one of your passkeys to finish signing in.
mfa-code = Code
mfa-trust = { $days ->
    [one] Do not ask again on this browser for a day
   *[other] Do not ask again on this browser for { $days } days
}
mfa-submit = Continue
mfa-passkey = Use a passkey
mfa-passkey-noscript = Using a passkey needs JavaScript.
mfa-start-again = Start again

## /account/password
password-title = Change your password
password-breached = The password you signed in with appears in a list of passwords exposed in data breaches elsewhere, so others may know it. Choose a new one now; the rest of your account opens afterwards.
password-current = Current password
password-new = New password
password-repeat = Repeat the new password
password-submit = Change password
password-others = Every other device signed in to your account will be signed out.
password-back = Back to your account

## /account/delete
delete-title = Delete your account
delete-text = This deletes your account, your sessions, your access tokens and any mail still waiting to be sent. It cannot be undone.
delete-confirm = I want to delete my account { $name }
delete-submit = Delete my account
delete-keep = Keep my account

## /account/email
email-title = Change your e-mail address
email-sent = We sent a link to { $address }. Your address changes when you open it. We also told your current address.
email-now = Your address now: { $address }
email-new = New e-mail address
email-submit = Send a confirmation link
email-back = Back to your account

## /account/email/confirm
email-confirm-title = Confirm your new e-mail address
email-confirm-done = Your account's e-mail address is now { $address }.
email-confirm-go = Go to your account
email-confirm-text = Press the button to make this your account's e-mail address.
email-confirm-submit = Confirm my new e-mail address

## /verify-email
verify-title = Confirm your e-mail address
verify-done = Thank you: your e-mail address is confirmed.
verify-go = Go to your account
verify-text = Press the button to confirm that this address is yours.
verify-submit = Confirm my e-mail address

## /account/tokens
tokens-title = Personal access tokens
tokens-created = Your new token. Copy it now: it is shown only this once.
tokens-created-at = created
tokens-expires = expires
tokens-last-used = last used
tokens-revoke = Revoke
tokens-none = No tokens yet.
tokens-new = New token
tokens-name = Name
tokens-scopes = Scopes
tokens-days = Expires after (days, 1 to 365)
tokens-submit = Create token
tokens-back = Back to your account

## /account/passkeys
passkeys-title = Passkeys
passkeys-intro = A passkey signs you in with your device's screen lock or security key instead of a password. It cannot be phished: it only works on this site.
passkeys-added = added
passkeys-last-used = last used
passkeys-synced = synced
passkeys-can-sync = can sync, not synced yet
passkeys-this-device = this device only
passkeys-alone = signs in by itself
passkeys-second-step = a second step only
passkeys-remove = Remove
passkeys-remove-named = Remove { $name }
passkeys-none = You have no passkey yet.
passkeys-unavailable = Passkeys are not available on this site: its address must be a host name, not an IP address.
passkeys-confirm = Confirm it's you
passkeys-confirm-to-add = to add a passkey.
passkeys-name = Name of the new passkey
passkeys-name-example = e.g. Work laptop
passkeys-add = Add a passkey
passkeys-noscript = Adding a passkey needs JavaScript: your browser asks your device to make the key.
passkeys-password = Your password
passkeys-only = You sign in with your passkeys only. If you lose them,
passkeys-only-reset = reset your password by e-mail
passkeys-only-again = to set one again.
passkeys-remove-password-text = With a passkey you no longer need a password. Removing it signs you out everywhere else.
passkeys-remove-password = Remove your password
passkeys-with-password = You sign in with your password. Add a passkey, and you can remove it.
passkeys-back = Back to your account

## /account/mfa/totp
totp-title = Two-factor authentication
totp-codes = Your recovery codes
totp-codes-text = Each code signs you in once if you lose your authenticator. Store them somewhere safe now: they are not shown again.
totp-back = Back to your account
totp-on = Two-factor authentication is on.
totp-codes-left = { $count ->
    [one] 1 unused recovery code is left.
   *[other] { $count } unused recovery codes are left.
}
totp-new-codes-text = New recovery codes replace the old ones, which stop working.
totp-new-codes = Create new recovery codes
totp-password = Your password
totp-off = Turn two-factor authentication off
totp-step-scan = Scan this QR code with an authenticator app, or type the key below into it.
totp-step-code = Enter the 6-digit code the app shows.
totp-qr = QR code of the set-up link
totp-key = Key
totp-link = Set-up link
totp-code = Code from the app
totp-submit = Turn on two-factor authentication

## The console
admin-nav = Administration
admin-dashboard = Dashboard
admin-accounts = Accounts
admin-your-account = Your account
admin-title = Administration
admin-summary = { $accounts ->
    [one] 1 account
   *[other] { $accounts } accounts
}, { $locked } locked, { $sessions ->
    [one] 1 active session
   *[other] { $sessions } active sessions
}.
admin-sign-ins = Sign-ins per hour, last 7 days
admin-totals = Sessions and accounts

## /admin/users
users-title = Accounts
users-find = Find by username or e-mail
users-search = Search
users-count = { $count ->
    [one] 1 account
   *[other] { $count } accounts
}.
users-count-matching = { $count ->
    [one] 1 account
   *[other] { $count } accounts
} matching “{ $query }”.
users-username = Username
users-email = E-mail
users-roles = Roles
users-status = Status
users-second-factor = Second factor
users-locked = locked
users-active = active
users-on = on
users-off = off
users-previous = Previous
users-page = Page { $page } of { $pages }
users-next = Next

## /admin/users/ID
user-not-verified = not verified
user-created = Created
user-actions = Actions
user-unlock = Unlock
user-lock = Lock and end sessions
user-end-sessions = End every session
user-reset-reason = Why (the ticket, and how you confirmed who asked; see the identity-proofing procedure)
user-reset-mfa = Remove the second factor
user-send-reset = Send a password reset
user-roles = Roles
user-more-roles = More roles (any name of a–z, 0–9, _ and -, separated by commas)
user-save-roles = Save roles
user-sessions = Sessions
user-no-session = No active session.
user-passkeys = Passkeys
user-remove-passkey = Remove the passkey { $name }
user-no-passkey = No passkey.
user-identities = Linked identities
user-linked = linked
user-no-identity = No identity from a directory or provider is linked.
user-no-token = No personal access token.
user-devices = Known devices
user-devices-text = Browsers that signed in to this account carry a signed mark that spares them its lock-out after wrong passwords. Marks are not stored, so they cannot be listed: the sessions above show the devices in use. A password change or reset, or <code>rampart user sign-out</code>, makes every mark void.
user-events = Recent events
user-time = Time
user-event = Event
user-outcome = Outcome
user-delete = Delete the account
user-delete-confirm = Type the username to confirm
user-delete-submit = Delete { $name } for ever

## Times that never were
when-never = never

## Mails: the subject of each, then its sentences. A mail is in the
## language its account last signed in with, else the site's default.
mail-subject-verify_email = Confirm your e-mail address
mail-subject-password_reset = Reset your password
mail-subject-password_changed = Your password was changed
mail-subject-remember_me_theft = A copy of your sign-in cookie was used
mail-subject-email_change_confirm = Confirm your new e-mail address
mail-subject-email_change_notice = Your e-mail address is being changed
mail-subject-recovery_code_used = A recovery code of your account was used
mail-subject-mfa_changed = Your two-factor authentication changed
mail-subject-account_locked = Sign-in to your account was paused
mail-subject-new_sign_in = A sign-in from a new device
mail-subject-passkey_clone_suspected = A copy of one of your passkeys may exist
mail-hello = Hello { $username },
mail-link-once-24h = The link works once and expires in 24 hours.
mail-not-you-reset = If this was not you, reset your password at once at { $url } and tell the site's operator.
mail-not-you-reset-html = If this was not you, <a href="{ $url }">reset your password</a> at once and tell the site's operator.
mail-verify-open = Please confirm your e-mail address by opening this link:
mail-verify-short = Please confirm your e-mail address:
mail-verify-button = Confirm my e-mail address
mail-verify-ignore = If you did not create an account, ignore this mail.
mail-reset-asked = Someone asked to reset the password of your account.
mail-reset-open = To choose a new password, open:
mail-reset-button = Choose a new password
mail-reset-expiry = The link works once and expires in { $minutes } minutes. If it was not you, ignore this mail: your password stays as it is.
mail-changed-reset = The password of your account was just reset with a link mailed to you. Everything that could still act as your account has ended: every session, every "keep me signed in" browser, every known device and every personal access token. Sign in again with the new password, and create new tokens where you need them.
mail-changed = The password of your account was just changed, and every session was signed out.
mail-theft = Someone presented a copy of the "keep me signed in" cookie of one of your browsers. We signed nobody in with it and turned that cookie off.
mail-theft-advice = If you did not expect this, change your password and check where you are signed in (Account, then "Where you are signed in").
mail-email-confirm-open = To make this your account's e-mail address, open:
mail-email-confirm-short = To make this your account's e-mail address:
mail-email-confirm-button = Confirm my new e-mail address
mail-email-confirm-ignore = If you did not ask for this, ignore this mail.
mail-email-notice = Someone signed in to your account asked to change its e-mail address to { $address }. The change happens only when that address confirms it.
mail-email-notice-advice = If this was not you, change your password at once at { $url } and tell the site's operator.
mail-email-notice-advice-html = If this was not you, <a href="{ $url }">change your password</a> at once and tell the site's operator.
mail-recovery-used = A recovery code of your account was just used to sign in. { $remaining ->
    [one] One unused recovery code is left.
   *[other] { $remaining } unused recovery codes are left.
}
mail-recovery-advice = If this was not you, someone knows your password and has one of your recovery codes: reset your password at once at { $reset }, create new recovery codes at { $codes }, and tell the site's operator.
mail-recovery-advice-html = If this was not you, someone knows your password and has one of your recovery codes: <a href="{ $reset }">reset your password</a> at once, <a href="{ $codes }">create new recovery codes</a>, and tell the site's operator.
mail-mfa-changed = { $change ->
    [enabled] Two-factor authentication of your account was just enabled.
    [disabled] Two-factor authentication of your account was just disabled.
    [passkey-added] Two-factor authentication of your account was just changed: the passkey "{ $name }" was added.
    [passkey-removed] Two-factor authentication of your account was just changed: the passkey "{ $name }" was removed.
    [reset] Two-factor authentication of your account was just reset by an operator.
   *[other] Two-factor authentication of your account was just changed.
}
mail-locked = Sign-in to your account was paused for a while after several wrong passwords or codes (last attempt from { $ip } at { $time }).
mail-locked-advice = If this was you, wait a few minutes and try again, or reset your password at { $reset }. If it was not you, someone is guessing your password: choose a long unique one and turn on two-factor authentication at { $mfa }.
mail-locked-advice-html = If this was you, wait a few minutes and try again, or <a href="{ $reset }">reset your password</a>. If it was not you, someone is guessing your password: choose a long unique one and <a href="{ $mfa }">turn on two-factor authentication</a>.
mail-new-sign-in = Your account was just signed in to from a device or network it has not used before:
mail-address = Address
mail-browser = Browser
mail-time = Time
mail-new-sign-in-advice = If this was you, there is nothing to do. If not, reset your password at once at { $reset } and sign out the other sessions at { $sessions }.
mail-new-sign-in-advice-html = If this was you, there is nothing to do. If not, <a href="{ $reset }">reset your password</a> at once and <a href="{ $sessions }">sign out the other sessions</a>.
mail-clone = Someone tried to sign in to your account with one of your passkeys, but the passkey's counter was lower than at its last use. That can mean a copy of the passkey exists. We did not sign them in.
mail-clone-advice = If you did not expect this, remove that passkey (Account, then "Passkeys"), add a new one, and check where you are signed in (Account, then "Where you are signed in").
mail-unknown-address = unknown

## What the server writes into pages: form problems, error pages, devices,
## scopes. Each says in English what the code's own English sentence says
## (the API and the logs use that one).
problem-username-length = Username must be 3 to 32 characters long.
problem-username-characters = Username may contain only letters, digits, '_', '.' and '-', and must start with a letter or digit.
problem-username-taken = This username is already taken; choose another.
problem-email-invalid = Enter a valid e-mail address, like name@example.com.
problem-email-length = E-mail address must be at most 254 characters long.
problem-email-ascii = Enter the address in plain letters; for an international domain, use its xn-- form.
problem-email-taken = An account with this e-mail address already exists; sign in or reset your password instead.
problem-email-same = That is already your e-mail address.
problem-email-used = Another account uses that e-mail address.
problem-email-taken-meanwhile = Another account took that e-mail address in the meantime.
problem-role-name = Role name { $name } is invalid: use 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter.
problem-reason-missing = Give the reason for removing the second factor (for example the ticket, and how you confirmed who asked).
problem-reason-length = The reason is longer than 500 characters.
problem-reason-line = The reason must be one line, without control characters.
problem-passwords-differ = The two passwords do not match.
problem-new-passwords-differ = The two new passwords do not match.
problem-current-password = The current password is incorrect.
problem-password-long = Password must be at most { $max } bytes long.
problem-password-short = Password must be at least { $min } characters long.
problem-password-common = This password is one of the most common passwords; choose one that is harder to guess.
problem-password-breached = This password appears in a list of passwords exposed in data breaches; choose another.
problem-password-is-name = Password must not be the same as your username or e-mail address.
problem-password-contains-own = Password must not contain { $what ->
    [username] your username
   *[email] the start of your e-mail address
} ("{ $word }"): it is the first thing an attacker tries.
problem-password-contains-site = Password must not contain "{ $word }", a word of this site's name or address: it is the first thing an attacker tries.
problem-passkey-name-missing = Give the passkey a name.
problem-passkey-name-length = Use at most { $max } characters.
problem-passkey-name-characters = Use letters, digits, spaces and punctuation only.
problem-token-name = Give the token a name of 1 to 64 printable characters.
problem-scope-unknown = Unknown scope { $scope }; use read:me, write:me, admin or proxy.
problem-scope-missing = Choose at least one scope: read:me, write:me, admin or proxy.
problem-scope-admin = Only administrators and staff (an account with an administrative permission) can create tokens with the admin scope.
problem-token-expiry = Tokens expire after 1 to 365 days.
error-title-bad-request = Bad request
error-title-sign-in-failed = Sign-in failed
error-title-upstream = Sign-in service unavailable
error-title-refused = Request refused
error-title-not-found = Not found
error-title-conflict = Not possible
error-title-too-large = Request too large
error-title-encoding = Unsupported form encoding
error-title-wait = Please wait a moment
error-title-form = The form could not be processed
error-title-busy = Busy
error-title-internal = Something went wrong
error-title-page-not-found = Page not found
error-title-method = Method not allowed
error-title-timeout = Request timed out
error-title-failed = Request failed
error-page-not-found = There is no page at this address. Check the link, or go back to the start.
error-method = This address does not accept that kind of request. Use the site's own links and forms.
error-timeout = The request took too long. Try again.
error-failed = The request could not be completed. Go back and try again.
error-too-large = The submitted data is larger than this server accepts. Shorten the fields and try again.
error-busy = The server is handling many sign-ins right now. Wait a moment and try again.
error-internal = Something went wrong on our side. Try again in a moment; if it keeps happening, tell the site's operator.
error-throttled = There were too many failed sign-ins. Wait { $minutes } minute(s) and try again, or reset your password.
error-register-throttled = Too many accounts were created from your network. Try again in { $minutes } minute(s).
error-verify-throttled = A confirmation mail was sent moments ago. Check your inbox, or ask again in { $minutes } minute(s).
error-reset-throttled = Too many reset mails were asked for. Check your inbox, or ask again in { $minutes } minute(s).
error-csrf = This form was not sent by this site, or it has expired. Go back, reload the page and try again.
error-form-encoding = Send the form as application/x-www-form-urlencoded.
error-form-unreadable = The form could not be read ({ $why }). Reload the page and submit it again.
error-json = The request is not the JSON expected: { $why }
error-permission = This needs the { $permission } permission, which your roles do not grant.
error-registration-closed = Registration is closed on this site. Ask its operator for an account.
error-session-current = To end this session, sign out instead.
error-session-unknown = You have no session with this id; it may have ended already.
error-token-unknown = You have no token with this id; it may have been revoked already.
error-delete-unticked = Tick the box to confirm that you want to delete your account.
error-delete-username = Type the account's username to confirm the deletion.
error-email-link = This confirmation link is invalid, has already been used, or has expired. Ask for a new one on your account page.
error-verify-link = This confirmation link is invalid, has already been used, or has expired.
error-reset-link = This link is invalid, has already been used, or has expired. Ask for a new one on the "Forgot your password?" page.
error-setup-link = This setup link is not valid any more: it was used, it expired (after an hour), or an administrator exists. Restart `rampart serve` for a new link, or use `rampart user create NAME --role admin`.
error-no-account = There is no such account; it may have been deleted.
error-no-second-factor = This account has no second factor to reset.
error-last-administrator = this would leave no administrator: give another account the admin role first
error-admin-outranked = This account holds permissions your roles do not grant ({ $permissions }), so you cannot act on it.
error-admin-own-role = You cannot give yourself the role "{ $role }"; ask an administrator.
error-admin-role-outranks = The role "{ $role }" carries permissions your roles do not grant, so you cannot give it.
error-identity-not-linked = no account is linked to this identity: sign in another way and link it from your account page
error-identity-account-unavailable = this account cannot sign in
error-identity-email-taken = an account with this e-mail address already exists: sign in to it and link this identity from your account page
error-identity-username-taken = the username belongs to another account
error-identity-linked-elsewhere = this identity is already linked to another account
error-identity-last-way-in = this is the only way to sign in to this account: set a password or link another identity first
error-identity-no-email = the identity provider did not share a usable e-mail address, which a new account needs
error-identity-unknown = no such identity is linked to this account
error-provider-unknown = There is no such identity provider.
error-provider-state = this sign-in was not started in this browser, or has expired: start it again
error-provider-denied = The identity provider did not sign you in.
error-provider-unavailable = The identity provider cannot be reached right now. Try again later, or sign in another way.
error-provider-unverified = The identity provider's answer could not be verified, so you are not signed in. Start again.
error-passkey-unavailable = passkeys are not available here: the site's base URL must name a host, not an IP address
error-passkey-unknown = you have no passkey with this id; it may have been removed already
error-passkey-ceremony = this passkey step was not started in this browser, or has expired: start it again
error-passkey-refused = the passkey was not accepted
error-passkey-malformed = The passkey's answer could not be read. Try again.
error-passkey-registered = this passkey is registered already
error-passkey-last-way-in = this passkey is your only way to sign in: set a password (or add another passkey) before removing it
error-passkey-not-discoverable = this authenticator cannot keep a passkey that signs in by itself: use another one, or a password
error-passkey-password-needed = add a passkey that signs in by itself before removing your password: it would be your only way in
error-passkey-not-accepted = The passkey was not accepted. Try again.
error-passkey-password-required = This passkey did not ask for your PIN or fingerprint: type your password too, then confirm with the passkey again.
error-passkey-wrong-password = That is not your password. Type it again, then confirm with the passkey again.
error-passkey-recovery-link = This link is invalid, already used or expired, or the account has a password: set a new password instead.
error-no-second-step = There is no sign-in waiting for its second step: start again.
device-unknown = Unknown device
device-a-browser = A browser
device-browser = { $browser }
device-a-browser-on = A browser on { $system }
device-browser-on = { $browser } on { $system }
scope-read-me = read your account, sessions and tokens
scope-write-me = change your account
scope-admin = the admin API, while you are an administrator
scope-proxy = pass forward authentication: reach the applications behind the proxy as you
ip-unknown = unknown
outcome-success = success
outcome-failure = failure
chart-sign-ins = Sign-ins per hour over the last 7 days: { $succeeded } succeeded, { $failed } failed
chart-succeeded = succeeded ({ $count })
chart-failed = failed ({ $count })
chart-totals = Sessions and accounts
chart-active-sessions = Active sessions
chart-accounts = Accounts
chart-locked = Locked accounts
chart-with-second-factor = With a second factor

## /account/language
language-name = English
account-language = Language of your mails
language-title = Language of your mails
language-explained = Mails about your account (confirmations, resets, security alerts) are written in this language. Pages follow your browser's language.
language-label = Language
language-submit = Save
error-language-unknown = Choose one of the languages offered.
error-directory-down = The company directory cannot be reached right now, so directory accounts cannot sign in. Accounts kept by Rampart itself still can. Try again in a few minutes.
error-sign-in-failed = The username or password is incorrect, or the account cannot sign in. Check them and try again.
error-wrong-code = That code is not valid. Enter the current code from your app, or an unused recovery code.
error-enrol-code = That code is not valid. Check the time on your phone and enter the code the app shows now.
error-disable-password = That is not your password. Two-factor authentication stays on.
error-reauth-password = That is not your password. Try again.
error-reauth-password-missing = Type your password.
error-reauth-code = That code is not right. Try again with a current one.
error-reauth-passkey = Your account's second factor is a passkey: confirm with your passkey.
notice-locked = The account is locked and its sessions have ended.
notice-unlocked = The account is unlocked.
notice-sessions = Every session of the account has ended.
notice-mfa = The second factor is removed; the user was told by mail.
notice-reset = A password-reset link is on its way to the user's address.
notice-roles = The roles are saved; they apply from the user's next request.
notice-passkey = The passkey is removed.

## What passkey.js says on the page
passkey-js-not-accepted = That passkey was not accepted. Try again, or sign in with your password.
passkey-js-sign-in-failed = Signing in with a passkey did not work. Try again, or sign in with your password.
passkey-js-not-accepted-password = That passkey was not accepted. If it asks for no PIN or fingerprint, type your password above too, then try again.
passkey-js-not-accepted-short = That passkey was not accepted. Try again.
passkey-js-confirm-failed = Confirming with a passkey did not work. Try again.
passkey-js-fill-in = Fill in a valid username and e-mail address first.
passkey-js-sign-up-not-started = Creating the account did not start. Try again.
passkey-js-name-sign-up = Passkey made at sign-up
passkey-js-taken = That username or e-mail address is taken already.
passkey-js-not-created = The account was not created. Try again.
passkey-js-name-recovery = Passkey added at recovery
passkey-js-not-added-link = The passkey was not added. Ask for a new link and try again.
passkey-js-not-added = The passkey was not added. Try again.
passkey-js-name-too-long = Give the passkey a name of at most 64 characters.
register-title-first-admin = Create the first administrator
identity-ldap = The company directory (LDAP)
chart-day = { $month }-{ $day }
