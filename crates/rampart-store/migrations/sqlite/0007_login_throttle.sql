-- Failed sign-in counters for brute-force defence (SQLite). Keys name what
-- is counted: a login name from one network, or one client address. Kept in
-- the database so several instances share them.
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL
);
