-- The incident each published incident has on Atlassian Statuspage (PostgreSQL). Keep the meaning
-- identical to migrations/sqlite/20261208000015_statuspage.sql.
CREATE TABLE statuspage_incidents (
    incident_number BIGINT PRIMARY KEY REFERENCES incidents (number),
    page_incident   TEXT    NOT NULL
);
