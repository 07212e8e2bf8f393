-- Signing an account (or everyone) out everywhere: besides its sessions and
-- remember-me series, its known-device cookies end, because their signature
-- covers this counter, which the sign-out raises.
ALTER TABLE users ADD COLUMN sign_out_epoch BIGINT NOT NULL DEFAULT 0;
