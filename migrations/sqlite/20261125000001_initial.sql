-- Incidents, their timelines, war rooms, cards and buttons (SQLite).
-- Keep the meaning identical to migrations/postgres/20261125000001_initial.sql.
-- Times are TEXT in RFC 3339 (UTC), as sqlx writes chrono's DateTime<Utc>.

-- One row per incident: its current state, rebuilt from the timeline on every change.
-- `version` is the seq of the last timeline event and guards against lost updates.
CREATE TABLE incidents (
    number          INTEGER PRIMARY KEY CHECK (number > 0),
    title           TEXT    NOT NULL,
    severity        TEXT    NOT NULL CHECK (severity IN ('P0', 'P1', 'P2', 'P3')),
    status          TEXT    NOT NULL
                    CHECK (status IN ('investigating', 'identified', 'mitigated', 'resolved')),
    commander       TEXT,
    comms           TEXT,
    scribe          TEXT,
    declared_by     TEXT    NOT NULL,
    declared_at     TEXT    NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    resolved_at     TEXT,
    version         INTEGER NOT NULL CHECK (version > 0),
    CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
) STRICT;

-- The open incidents, newest first, without scanning the resolved ones.
CREATE INDEX incidents_open ON incidents (number DESC) WHERE status <> 'resolved';

-- The append-only timeline; `data` is the serde JSON of the EventKind, `kind` its type name.
CREATE TABLE timeline_events (
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    at              TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    data            TEXT    NOT NULL,
    PRIMARY KEY (incident_number, seq)
) STRICT;

-- A war room per incident and chat platform; a room serves one incident.
CREATE TABLE war_rooms (
    platform        TEXT    NOT NULL,
    room_id         TEXT    NOT NULL,
    room_name       TEXT    NOT NULL,
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    PRIMARY KEY (platform, room_id),
    UNIQUE (platform, incident_number)
) STRICT;

-- Where the incident's card was posted on a platform, so that it can be edited.
CREATE TABLE cards (
    platform        TEXT    NOT NULL,
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    room_id         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    PRIMARY KEY (platform, incident_number)
) STRICT;

-- Button ids for commands (the serde JSON of a Command), so a click carries a short id.
CREATE TABLE buttons (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT    NOT NULL UNIQUE
) STRICT;
