-- Incidents, their timelines, war rooms, cards and buttons (PostgreSQL).
-- Keep the meaning identical to migrations/sqlite/20261125000001_initial.sql.
-- Integers are BIGINT throughout so that both backends decode them as i64.

-- One row per incident: its current state, rebuilt from the timeline on every change.
-- `version` is the seq of the last timeline event and guards against lost updates.
CREATE TABLE incidents (
    number          BIGINT      PRIMARY KEY CHECK (number > 0),
    title           TEXT        NOT NULL,
    severity        TEXT        NOT NULL CHECK (severity IN ('P0', 'P1', 'P2', 'P3')),
    status          TEXT        NOT NULL
                    CHECK (status IN ('investigating', 'identified', 'mitigated', 'resolved')),
    commander       TEXT,
    comms           TEXT,
    scribe          TEXT,
    declared_by     TEXT        NOT NULL,
    declared_at     TIMESTAMPTZ NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    version         BIGINT      NOT NULL CHECK (version > 0),
    CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
);

-- The open incidents, newest first, without scanning the resolved ones.
CREATE INDEX incidents_open ON incidents (number DESC) WHERE status <> 'resolved';

-- The append-only timeline; `data` is the serde JSON of the EventKind, `kind` its type name.
CREATE TABLE timeline_events (
    incident_number BIGINT      NOT NULL REFERENCES incidents (number),
    seq             BIGINT      NOT NULL CHECK (seq > 0),
    at              TIMESTAMPTZ NOT NULL,
    actor           TEXT        NOT NULL,
    kind            TEXT        NOT NULL,
    data            TEXT        NOT NULL,
    PRIMARY KEY (incident_number, seq)
);

-- A war room per incident and chat platform; a room serves one incident.
CREATE TABLE war_rooms (
    platform        TEXT   NOT NULL,
    room_id         TEXT   NOT NULL,
    room_name       TEXT   NOT NULL,
    incident_number BIGINT NOT NULL REFERENCES incidents (number),
    PRIMARY KEY (platform, room_id),
    UNIQUE (platform, incident_number)
);

-- Where the incident's card was posted on a platform, so that it can be edited.
CREATE TABLE cards (
    platform        TEXT   NOT NULL,
    incident_number BIGINT NOT NULL REFERENCES incidents (number),
    room_id         TEXT   NOT NULL,
    message_id      TEXT   NOT NULL,
    PRIMARY KEY (platform, incident_number)
);

-- Button ids for commands (the serde JSON of a Command), so a click carries a short id.
CREATE TABLE buttons (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command TEXT   NOT NULL UNIQUE
);
