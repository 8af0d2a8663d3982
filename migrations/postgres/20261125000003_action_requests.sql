-- Requests to run runbook steps' commands (PostgreSQL). Keep the meaning identical to
-- migrations/sqlite/20261125000003_action_requests.sql.

-- `state` only moves forward, by conditional updates, so a request runs at most once
-- however often Run or Approve is pressed, on however many replicas.
CREATE TABLE action_requests (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_number BIGINT NOT NULL REFERENCES incidents (number),
    step            BIGINT  NOT NULL CHECK (step > 0),
    title           TEXT    NOT NULL,
    command         TEXT    NOT NULL,
    params          TEXT    NOT NULL,
    risk            TEXT    NOT NULL CHECK (risk IN ('read', 'write', 'dangerous')),
    timeout_secs    BIGINT  NOT NULL CHECK (timeout_secs > 0),
    requested_by    TEXT    NOT NULL,
    requested_at    TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    state           TEXT    NOT NULL
                    CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'running', 'finished')),
    decided_by      TEXT
);

-- One open request per step: a second Run press while one is open finds the first.
CREATE UNIQUE INDEX action_requests_open_step ON action_requests (incident_number, step)
    WHERE state IN ('pending', 'approved', 'running');
