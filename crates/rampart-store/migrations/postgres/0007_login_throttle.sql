-- Failed sign-in counters for brute-force defence (PostgreSQL). Keys name what
-- is counted: a login name from one network, or one client address. Kept in
-- the database so several instances share them.
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY NOT NULL,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL
);
