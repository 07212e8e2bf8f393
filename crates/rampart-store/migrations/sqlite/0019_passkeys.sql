-- Passkeys (WebAuthn credentials). A sign-in finds one by the
-- authenticator's credential id (unique across accounts); the credential
-- itself (public key, counter, flags) is sealed by the key ring in
-- `sealed`, re-encrypted by `rampart keys rotate`.
CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    sealed          TEXT NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backup_state    INTEGER NOT NULL,
    -- The browser said the authenticator keeps it (a resident key), so it
    -- signs in without a name: only such a passkey counts as a way in.
    discoverable    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at);
-- A ceremony waiting for the browser's answer: single use, five minutes,
-- bound to the browser (its session or pre-login token digest) that
-- started it, like `oidc_logins`.
CREATE TABLE passkey_ceremonies (
    digest          TEXT PRIMARY KEY NOT NULL,
    visitor_hash    TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
    sealed          TEXT NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
CREATE INDEX passkey_ceremonies_by_visitor ON passkey_ceremonies (visitor_hash);
