-- Mail outbox and one-time tokens for mailed links (PostgreSQL).
-- one_time_tokens holds only SHA-256 digests. An outbox row carries the
-- rendered link until the mail is sent, then it is deleted.
CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    purpose     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
    recipient        TEXT NOT NULL,
    template         TEXT NOT NULL,
    context          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);
