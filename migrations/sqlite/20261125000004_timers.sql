-- Durable timers: escalation pages and status-update reminders (SQLite). Keep the meaning
-- identical to migrations/postgres/20261125000004_timers.sql.

-- A timer is claimed with a lease before it fires (state 'claimed', claimed_until); a claim
-- whose lease ran out (its owner died) can be claimed again, so a timer fires late rather
-- than never, and once: only the owner of a live claim may mark it fired.
CREATE TABLE timers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    kind            TEXT    NOT NULL CHECK (kind IN ('page', 'remind')),
    level           INTEGER NOT NULL CHECK (level >= 0),
    due_at          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'claimed', 'fired', 'cancelled')),
    claimed_by      TEXT,
    claimed_until   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    fired_at        TEXT
) STRICT;

-- The scheduler asks for the next due timer that is not done.
CREATE INDEX timers_due ON timers (due_at) WHERE state IN ('pending', 'claimed');
CREATE INDEX timers_incident ON timers (incident_number) WHERE state = 'pending';
