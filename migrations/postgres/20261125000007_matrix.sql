-- The Matrix adapter's own bookkeeping (postgres). Keep the meaning identical to
-- migrations/sqlite/20261125000007_matrix.sql.

-- The bot's login (so that a restart reuses its device instead of making a new one) and the
-- sync token it has handled everything up to, per bot account.
CREATE TABLE matrix_sessions (
    user_id      TEXT NOT NULL PRIMARY KEY,
    device_id    TEXT NOT NULL,
    access_token TEXT NOT NULL,
    sync_token   TEXT
);

-- The direct room the bot made with each person, reused for every later direct message.
CREATE TABLE matrix_direct_rooms (
    bot_user_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    room_id     TEXT NOT NULL,
    PRIMARY KEY (bot_user_id, user_id)
);

-- Reactions as buttons: on this message (event id), this emoji key presses this button.
-- bot_reaction_id is the bot's own reaction with the key, so that it can be taken back.
CREATE TABLE matrix_reaction_keys (
    event_id        TEXT NOT NULL,
    reaction_key    TEXT NOT NULL,
    room_id         TEXT NOT NULL,
    button_id       BIGINT NOT NULL,
    bot_reaction_id TEXT,
    PRIMARY KEY (event_id, reaction_key)
);

-- Commands and reactions already handled, by event id: none is handled twice, also after a
-- restart or by two replicas that both see it. handled_at is Unix milliseconds.
CREATE TABLE matrix_handled_events (
    event_id   TEXT NOT NULL PRIMARY KEY,
    handled_at BIGINT NOT NULL
);
