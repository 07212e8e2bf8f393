-- A user whose password turned up in a breach must choose a new one first (postgres).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
