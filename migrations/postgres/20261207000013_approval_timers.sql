-- Timers for action requests waiting for an approver (PostgreSQL): 'approval', whose level
-- column holds the request's id, fires a reminder at half the expiry and the expiry itself.
-- Keep the meaning identical to migrations/sqlite/20261207000013_approval_timers.sql.

ALTER TABLE timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE timers ADD CONSTRAINT timers_kind_check
    CHECK (kind IN ('page', 'remind', 'approval'));
