-- Fixed-window request counters (postgres): mails per address and per client
-- address, registrations per client address. In the database, so several
-- instances share them.
CREATE TABLE rate_windows (
    key           TEXT PRIMARY KEY NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL
);
