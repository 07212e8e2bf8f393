-- The remember-me series that restored a session (theft of the series ends
-- the sessions it started).
ALTER TABLE sessions ADD COLUMN remember_series TEXT;
