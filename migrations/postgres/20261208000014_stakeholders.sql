-- What stakeholders see of an incident (PostgreSQL). Keep the meaning identical to
-- migrations/sqlite/20261208000014_stakeholders.sql.

-- Summary, impact window, services, privacy and update schedule, as the serde JSON of
-- domain::Details; rebuilt from the timeline like the other columns.
ALTER TABLE incidents ADD COLUMN details TEXT NOT NULL DEFAULT '{}';

-- Where each incident's announcement was posted on a platform, so that it can be edited as
-- the incident changes and its status updates threaded under it.
CREATE TABLE announcements (
    platform        TEXT    NOT NULL,
    incident_number BIGINT NOT NULL REFERENCES incidents (number),
    room_id         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    PRIMARY KEY (platform, incident_number)
);
