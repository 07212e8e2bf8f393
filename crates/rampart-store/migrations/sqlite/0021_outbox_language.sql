-- The language a queued mail is written in, fixed when it is queued (its
-- account's language then): changing the account's language afterwards,
-- say by someone who signed in with a stolen password, does not change the
-- alerts already on their way. NULL for rows queued before this column: the
-- account's language at delivery.
ALTER TABLE outbox ADD COLUMN language TEXT;
