-- How each session's holder proved themselves (`pwd,otp`, `fed`,
-- `remember_me`, …): step-up rules and `Remote-Auth-Methods` read it.
-- Sessions from before it prove nothing (empty), so a step-up asks again.
ALTER TABLE sessions ADD COLUMN auth_methods TEXT NOT NULL DEFAULT '';

-- A re-authentication rotates the token and may add methods: other
-- instances drop what they cached under the old token.
DROP TRIGGER sessions_invalidate_update ON sessions;
CREATE TRIGGER sessions_invalidate_update
    AFTER UPDATE OF fresh_at, fingerprint, expires_at, token_hash, auth_methods ON sessions
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
