-- GCRA rate limits (sqlite): per key, the theoretical arrival time (Unix
-- milliseconds) of the next request. Mails per address and per client
-- address, registrations per client address; in the database, so several
-- instances share them.
CREATE TABLE rate_limits (
    key      TEXT PRIMARY KEY NOT NULL,
    tat_ms   INTEGER NOT NULL,
    allowed  INTEGER NOT NULL
);
