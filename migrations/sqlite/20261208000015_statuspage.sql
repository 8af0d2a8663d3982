-- The incident each published incident has on Atlassian Statuspage (SQLite). Keep the meaning
-- identical to migrations/postgres/20261208000015_statuspage.sql.
CREATE TABLE statuspage_incidents (
    incident_number INTEGER PRIMARY KEY REFERENCES incidents (number),
    page_incident   TEXT    NOT NULL
) STRICT;
