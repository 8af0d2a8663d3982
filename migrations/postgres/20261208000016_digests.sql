-- The daily digest of open incidents, one row per day it was posted (PostgreSQL): the replica
-- whose row goes in posts it, with its outbox entries in the same transaction. Keep the
-- meaning identical to migrations/sqlite/20261208000016_digests.sql.
CREATE TABLE digests (
    day       TEXT NOT NULL PRIMARY KEY,
    posted_at TIMESTAMPTZ NOT NULL
);
