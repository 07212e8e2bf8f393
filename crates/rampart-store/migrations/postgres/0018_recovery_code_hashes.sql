-- Recovery codes as salted Argon2id hashes (ASVS 6.5.2): a row is found by
-- `locator` (a keyed MAC of the code's first group, `v2:…`) and proved by
-- `code_hash`, now an Argon2id PHC string. Rows written before keep their
-- MAC and no locator until the server wraps them in Argon2id (`v1:…`) in
-- the background at start; meanwhile they are found by that MAC.
ALTER TABLE recovery_codes ADD COLUMN locator TEXT;
CREATE INDEX recovery_codes_by_locator ON recovery_codes (user_id, locator);
