-- The incidents counted by status and severity for /metrics from the index alone, without
-- reading the rows (sqlite). Keep the meaning identical to
-- migrations/postgres/20261208000018_insights.sql.
CREATE INDEX incidents_state ON incidents (status, severity);

-- The incidents declared in a window, for `warroom report`.
CREATE INDEX incidents_declared_at ON incidents (declared_at);
