-- The incidents resolved since a time, for the status page's history, without scanning the
-- older ones (PostgreSQL). Keep the meaning identical to
-- migrations/sqlite/20261208000017_resolved_index.sql.
CREATE INDEX incidents_resolved_at ON incidents (resolved_at) WHERE status = 'resolved';
