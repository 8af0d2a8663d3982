-- Timers for action requests waiting for an approver (SQLite): 'approval', whose level
-- column holds the request's id, fires a reminder at half the expiry and the expiry itself.
-- Keep the meaning identical to migrations/postgres/20261207000013_approval_timers.sql.

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
-- columns, rows (ids kept) and indexes.
CREATE TABLE timers_next (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    kind            TEXT    NOT NULL CHECK (kind IN ('page', 'remind', 'approval')),
    level           INTEGER NOT NULL CHECK (level >= 0),
    due_at          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'claimed', 'fired', 'cancelled')),
    claimed_by      TEXT,
    claimed_until   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    fired_at        TEXT
) STRICT;

INSERT INTO timers_next (id, incident_number, kind, level, due_at, state, claimed_by,
    claimed_until, attempts, fired_at)
SELECT id, incident_number, kind, level, due_at, state, claimed_by, claimed_until, attempts,
    fired_at
FROM timers;

DROP TABLE timers;
ALTER TABLE timers_next RENAME TO timers;

-- The scheduler asks for the next due timer that is not done.
CREATE INDEX timers_due ON timers (due_at) WHERE state IN ('pending', 'claimed');
CREATE INDEX timers_incident ON timers (incident_number) WHERE state = 'pending';
