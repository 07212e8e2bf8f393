-- Remember-me series (SQLite): the cookie is SELECTOR.VALIDATOR; only the
-- validator's SHA-256 is stored. A used token is kept (rotated_at set) until
-- it expires, so presenting it again reveals a stolen cookie.
CREATE TABLE remember_tokens (
    selector        TEXT PRIMARY KEY NOT NULL,
    validator_hash  TEXT NOT NULL,
    series          TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    rotated_at      INTEGER
);
CREATE INDEX remember_tokens_series ON remember_tokens (series);
CREATE INDEX remember_tokens_user ON remember_tokens (user_id);
