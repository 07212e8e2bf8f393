-- When the session last proved the password (sign-in or /reauth): sensitive
-- actions need this to be recent.
ALTER TABLE sessions ADD COLUMN fresh_at INTEGER NOT NULL DEFAULT 0;
