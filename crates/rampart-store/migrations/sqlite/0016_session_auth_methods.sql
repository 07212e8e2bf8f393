-- How each session's holder proved themselves (`pwd,otp`, `fed`,
-- `remember_me`, …): step-up rules and `Remote-Auth-Methods` read it.
-- Sessions from before it prove nothing (empty), so a step-up asks again.
ALTER TABLE sessions ADD COLUMN auth_methods TEXT NOT NULL DEFAULT '';
