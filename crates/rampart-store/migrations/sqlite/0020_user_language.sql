-- The language an account's mails are written in: the one its browser
-- asked for (Accept-Language, negotiated against the catalogues there are)
-- when it was created or last signed in on a page. NULL: the site's default.
ALTER TABLE users ADD COLUMN language TEXT;
