-- Chat deliveries already taken (PostgreSQL). Keep the meaning identical to
-- migrations/sqlite/20261125000006_chat_deliveries.sql.

-- Slack delivers an event again when it did not see a quick answer (X-Slack-Retry-Num), and a
-- signed request can be replayed within its five minutes: each delivery's id (an event id, or
-- a command's or interaction's trigger id) is claimed here once, so that it acts once across
-- every replica.
CREATE TABLE chat_deliveries (
    platform     TEXT NOT NULL,
    delivery_id  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('command', 'interaction', 'event')),
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, delivery_id)
);

-- Old claims are forgotten by age.
CREATE INDEX chat_deliveries_received ON chat_deliveries (received_at);
