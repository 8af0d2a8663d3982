-- The daily digest of open incidents, one row per day it was posted (SQLite): the replica
-- whose row goes in posts it, with its outbox entries in the same transaction. Keep the
-- meaning identical to migrations/postgres/20261208000016_digests.sql.
CREATE TABLE digests (
    day       TEXT NOT NULL PRIMARY KEY,
    posted_at TEXT NOT NULL
) STRICT;
