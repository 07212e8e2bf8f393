-- Cache invalidation across instances (PostgreSQL). Every change that ends or
-- alters someone's access (an account changed, locked or deleted, roles,
-- sessions ended or re-bound, tokens revoked, second factors) notifies the
-- channel `rampart_invalidate` with the account's id. Triggers run inside the
-- changing transaction, so the notice goes out exactly when the change
-- commits, whoever made it (an instance, the CLI, an operator's SQL).
CREATE FUNCTION rampart_invalidate_account() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('rampart_invalidate', OLD.id);
    ELSE
        PERFORM pg_notify('rampart_invalidate', NEW.id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION rampart_invalidate_owner() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('rampart_invalidate', OLD.user_id);
    ELSE
        PERFORM pg_notify('rampart_invalidate', NEW.user_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_invalidate AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_account();
CREATE TRIGGER user_roles_invalidate AFTER INSERT OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
CREATE TRIGGER sessions_invalidate_delete AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
CREATE TRIGGER sessions_invalidate_update AFTER UPDATE OF fresh_at, fingerprint, expires_at ON sessions
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
CREATE TRIGGER api_tokens_invalidate AFTER DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
CREATE TRIGGER mfa_totp_invalidate AFTER INSERT OR UPDATE OF enabled, secret OR DELETE ON mfa_totp
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
