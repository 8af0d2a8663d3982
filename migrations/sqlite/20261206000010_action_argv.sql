-- The argv an approver approves (SQLite). Keep the meaning identical to
-- migrations/postgres/20261206000010_action_argv.sql.

-- JSON: the argv elements, each a list of {"text": …} and {"secret": name} parts. Every value
-- is decided when the request is made; secrets are named, never stored, and read when it
-- runs. NULL for requests made before this column existed: those do not run.
ALTER TABLE action_requests ADD COLUMN argv TEXT;
