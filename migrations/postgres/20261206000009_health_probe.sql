-- One throw-away row that /healthz writes, to learn whether writes succeed (a read-only,
-- damaged, locked or full database answers SELECT 1 but cannot take a write). On SQLite the
-- row carries 64 KiB of padding, so that a disk with less room than one declaration needs
-- fails the probe too.
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY,
    probed_at TIMESTAMPTZ NOT NULL,
    padding BYTEA
);
