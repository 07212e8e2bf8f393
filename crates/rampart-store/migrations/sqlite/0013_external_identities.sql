-- External identities (OIDC/OAuth2 providers, the LDAP directory) linked to
-- accounts, and sign-ins waiting for a provider's answer (sqlite).
-- source is "ldap" or "oidc:<provider id>"; subject is the provider's stable
-- id for the person (the ID token's sub, the entry's entryUUID or DN).
CREATE TABLE external_identities (
    source        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT,
    linked_at     INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    PRIMARY KEY (source, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);
-- One row per redirect to a provider: found by the digest of its state,
-- bound to the browser that started it, single use, short-lived. The nonce
-- and PKCE verifier are sealed by the key ring.
CREATE TABLE oidc_logins (
    state_hash    TEXT PRIMARY KEY NOT NULL,
    visitor_hash  TEXT NOT NULL,
    provider      TEXT NOT NULL,
    sealed        TEXT NOT NULL,
    next          TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);
-- A second-factor challenge remembers which source proved the first.
ALTER TABLE mfa_challenges ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
