-- A request dropped because its incident was resolved is 'cancelled' (PostgreSQL). Keep the
-- meaning identical to migrations/sqlite/20261207000011_action_cancelled.sql.

ALTER TABLE action_requests DROP CONSTRAINT action_requests_state_check;
ALTER TABLE action_requests ADD CONSTRAINT action_requests_state_check
    CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'running', 'finished',
                     'cancelled'));
