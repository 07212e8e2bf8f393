-- Cache invalidation for the running server (SQLite). SQLite has no
-- notifications, so every change that ends or alters someone's access (an
-- account changed, locked or deleted, roles, sessions ended or re-bound,
-- tokens revoked, second factors) appends the account's id here, in the
-- changing transaction, whoever made it (the server or the CLI). The server
-- polls for rows newer than the last it saw and prunes old ones.
CREATE TABLE cache_invalidations (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  TEXT NOT NULL,
    at       INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);

CREATE TRIGGER users_invalidate_update AFTER UPDATE ON users
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.id); END;
CREATE TRIGGER users_invalidate_delete AFTER DELETE ON users
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.id); END;
CREATE TRIGGER user_roles_invalidate_insert AFTER INSERT ON user_roles
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER user_roles_invalidate_delete AFTER DELETE ON user_roles
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER sessions_invalidate_delete AFTER DELETE ON sessions
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER sessions_invalidate_update AFTER UPDATE OF fresh_at, fingerprint, expires_at ON sessions
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER api_tokens_invalidate_delete AFTER DELETE ON api_tokens
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER mfa_totp_invalidate_insert AFTER INSERT ON mfa_totp
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER mfa_totp_invalidate_update AFTER UPDATE OF enabled, secret ON mfa_totp
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER mfa_totp_invalidate_delete AFTER DELETE ON mfa_totp
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.user_id); END;
