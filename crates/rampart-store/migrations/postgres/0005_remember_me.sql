-- Remember-me series (PostgreSQL): the cookie is SELECTOR.VALIDATOR; only the
-- validator's SHA-256 is stored. A used token is kept (rotated_at set) until
-- it expires, so presenting it again reveals a stolen cookie.
CREATE TABLE remember_tokens (
    selector        TEXT PRIMARY KEY NOT NULL,
    validator_hash  TEXT NOT NULL,
    series          TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    rotated_at      BIGINT
);
CREATE INDEX remember_tokens_series ON remember_tokens (series);
CREATE INDEX remember_tokens_user ON remember_tokens (user_id);
