-- A digest of the client (user agent and /24 or /64 network) that signed in,
-- for session protection.
ALTER TABLE sessions ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
