-- Acknowledge links that were used: each works once. A link is named by what it signs
-- (incident, level, expiry, person), so nothing secret is kept here.
CREATE TABLE ack_links_used (
    link     TEXT    PRIMARY KEY,
    incident INTEGER NOT NULL REFERENCES incidents (number),
    used_at  TEXT    NOT NULL
);
