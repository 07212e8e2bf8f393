-- The account page's facts (linked identities, recovery codes left) are
-- cached per account in process (see rampart_core::cache::AccountCache), so
-- their changes join the invalidation feed of migration 0015, whoever makes
-- them (an instance, the CLI, an operator's SQL).
CREATE TRIGGER external_identities_invalidate AFTER INSERT OR UPDATE OR DELETE ON external_identities
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
CREATE TRIGGER recovery_codes_invalidate AFTER INSERT OR DELETE ON recovery_codes
    FOR EACH ROW EXECUTE FUNCTION rampart_invalidate_owner();
