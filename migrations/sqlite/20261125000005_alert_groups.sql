-- Alert groups from Alertmanager and the alerts seen in each incident (SQLite). Keep the
-- meaning identical to migrations/postgres/20261125000005_alert_groups.sql.

-- One row per alert group (Alertmanager's groupKey): the incident it opened last. A firing
-- delivery joins that incident while it is open; the primary key makes concurrent deliveries
-- of a new group open one incident, on however many replicas. `incident_number` is only NULL
-- inside the transaction that opens the incident. `params` is the JSON object of action
-- parameters taken from the group's common labels in its latest firing delivery.
CREATE TABLE alert_groups (
    group_key       TEXT    PRIMARY KEY,
    incident_number INTEGER REFERENCES incidents (number),
    params          TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
) STRICT;

CREATE INDEX alert_groups_incident ON alert_groups (incident_number);

-- Each alert (fingerprint) an incident has heard of, and whether it was last firing or
-- resolved: a delivery notes on the timeline only the alerts whose state is new.
CREATE TABLE alert_fingerprints (
    incident_number INTEGER NOT NULL REFERENCES incidents (number),
    fingerprint     TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('firing', 'resolved')),
    PRIMARY KEY (incident_number, fingerprint)
) STRICT;
