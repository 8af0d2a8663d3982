-- The outbox (PostgreSQL). Keep the meaning identical to
-- migrations/sqlite/20261206000008_outbox.sql.

-- Everything Warroom tells a chat because something changed (a war room to create, a card,
-- a page) is written here in the same transaction as the change, and carried out afterwards
-- by the chat's delivery worker. A row's lane (the chat and the incident) is delivered in id
-- order: only the oldest undelivered row of a lane may be claimed, with a lease, so that one
-- replica at a time works on a lane and a crashed claimer's row is taken over when its lease
-- runs out. `platform_ref` keeps what the chat made (a room or message id).
CREATE TABLE outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform      TEXT    NOT NULL,
    lane          TEXT    NOT NULL,
    incident      BIGINT REFERENCES incidents (number),
    kind          TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    created_at    TIMESTAMPTZ NOT NULL,
    next_at       TIMESTAMPTZ NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until TIMESTAMPTZ,
    last_error    TEXT,
    done_at       TIMESTAMPTZ,
    platform_ref  TEXT
);

-- The head of each lane, and the backlog per chat.
CREATE INDEX outbox_pending ON outbox (platform, lane, id) WHERE state = 'pending';

-- The chat each incident lives in (where its war room is, or is being made): what an
-- incident's effects are delivered through when nothing names another chat.
CREATE TABLE incident_chats (
    incident_number BIGINT PRIMARY KEY REFERENCES incidents (number),
    platform        TEXT    NOT NULL
);

INSERT INTO incident_chats (incident_number, platform)
    SELECT incident_number, MIN(platform) FROM war_rooms GROUP BY incident_number;
