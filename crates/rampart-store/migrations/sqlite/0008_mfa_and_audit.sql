-- Second factors (sqlite). The TOTP secret is stored only encrypted by the key
-- ring ("KEYID:…"); last_step refuses replayed codes. Recovery codes are
-- stored as keyed MACs, deleted when used. A challenge is the half-way state
-- between a correct password and the second factor.
CREATE TABLE mfa_totp (
    user_id     TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    last_step   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE mfa_challenges (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL,
    next        TEXT NOT NULL,
    remember    INTEGER NOT NULL
);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);
-- The audit trail. user_id is not a foreign key: events outlive the account
-- they concern.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    user_id     TEXT,
    username    TEXT,
    ip          TEXT,
    user_agent  TEXT,
    outcome     TEXT NOT NULL,
    details     TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
