-- Runbooks attached to incidents (PostgreSQL). Keep the meaning identical to
-- migrations/sqlite/20261125000002_runbooks.sql.

-- The attached runbooks and the state of their steps, as the serde JSON of
-- Vec<AttachedRunbook>; rebuilt from the timeline's runbook events like the other columns.
ALTER TABLE incidents ADD COLUMN runbooks TEXT NOT NULL DEFAULT '[]';

-- Where each attached runbook's message was posted on a platform, so that it can be edited.
CREATE TABLE runbook_messages (
    platform        TEXT   NOT NULL,
    incident_number BIGINT NOT NULL REFERENCES incidents (number),
    runbook_id      TEXT   NOT NULL,
    room_id         TEXT   NOT NULL,
    message_id      TEXT   NOT NULL,
    PRIMARY KEY (platform, incident_number, runbook_id)
);
