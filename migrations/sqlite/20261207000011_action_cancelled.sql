-- A request dropped because its incident was resolved is 'cancelled' (SQLite). Keep the
-- meaning identical to migrations/postgres/20261207000011_action_cancelled.sql.

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
-- columns, rows (ids kept) and index.
CREATE TABLE action_requests_next (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    step            INTEGER NOT NULL CHECK (step > 0),
    title           TEXT    NOT NULL,
    command         TEXT    NOT NULL,
    params          TEXT    NOT NULL,
    risk            TEXT    NOT NULL CHECK (risk IN ('read', 'write', 'dangerous')),
    timeout_secs    INTEGER NOT NULL CHECK (timeout_secs > 0),
    requested_by    TEXT    NOT NULL,
    requested_at    TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    state           TEXT    NOT NULL
                    CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'running',
                                     'finished', 'cancelled')),
    decided_by      TEXT,
    argv            TEXT
) STRICT;

INSERT INTO action_requests_next (id, incident_number, step, title, command, params, risk,
    timeout_secs, requested_by, requested_at, expires_at, state, decided_by, argv)
SELECT id, incident_number, step, title, command, params, risk, timeout_secs, requested_by,
    requested_at, expires_at, state, decided_by, argv
FROM action_requests;

DROP TABLE action_requests;
ALTER TABLE action_requests_next RENAME TO action_requests;

-- One open request per step: a second Run press while one is open finds the first.
CREATE UNIQUE INDEX action_requests_open_step ON action_requests (incident_number, step)
    WHERE state IN ('pending', 'approved', 'running');
