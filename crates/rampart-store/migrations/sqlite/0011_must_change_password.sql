-- A user whose password turned up in a breach must choose a new one first (sqlite).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
