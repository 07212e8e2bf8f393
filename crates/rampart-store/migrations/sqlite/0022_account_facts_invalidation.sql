-- The account page's facts (linked identities, recovery codes left) are
-- cached per account in process (see rampart_core::cache::AccountCache), so
-- their changes join the invalidation feed of migration 0015, whoever makes
-- them (the server, the CLI, an operator's SQL).
CREATE TRIGGER external_identities_invalidate_insert AFTER INSERT ON external_identities
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER external_identities_invalidate_update AFTER UPDATE ON external_identities
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER external_identities_invalidate_delete AFTER DELETE ON external_identities
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER recovery_codes_invalidate_insert AFTER INSERT ON recovery_codes
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER recovery_codes_invalidate_delete AFTER DELETE ON recovery_codes
BEGIN INSERT INTO cache_invalidations (user_id) VALUES (OLD.user_id); END;
