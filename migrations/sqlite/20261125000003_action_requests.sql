-- Requests to run runbook steps' commands (SQLite). Keep the meaning identical to
-- migrations/postgres/20261125000003_action_requests.sql.

-- `state` only moves forward, by conditional updates, so a request runs at most once
-- however often Run or Approve is pressed, on however many replicas.
CREATE TABLE action_requests (
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
                    CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'running', 'finished')),
    decided_by      TEXT
) STRICT;

-- One open request per step: a second Run press while one is open finds the first.
CREATE UNIQUE INDEX action_requests_open_step ON action_requests (incident_number, step)
    WHERE state IN ('pending', 'approved', 'running');
