-- Broadcasts (the source of truth for schedules) and their outbox: one row per broadcast and chat,
-- written in one transaction when sending starts. The outbox, not memory, says what is left to send.
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled', 'missed')),
    text_vi      TEXT NOT NULL,
    text_en      TEXT,
    target_all   INTEGER NOT NULL DEFAULT 0,
    areas        TEXT NOT NULL DEFAULT '[]',   -- JSON list of area ids
    urgent       INTEGER NOT NULL DEFAULT 0,
    send_at      TEXT NOT NULL,                -- UTC, ISO 8601
    campaign     TEXT,                         -- key of the campaign that made it, if any
    occurrence   TEXT,                         -- the campaign's occurrence (local date) it is for
    created_by   TEXT NOT NULL,                -- 'cli', 'campaign', or a Telegram user id
    notify_chat  INTEGER,                      -- the staff chat shown progress and summary
    progress_msg INTEGER,                      -- that chat's progress message id
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    UNIQUE (campaign, occurrence)
);
CREATE INDEX broadcasts_due ON broadcasts (status, send_at);

CREATE TABLE outbox (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    chat_id      INTEGER NOT NULL,
    lang         TEXT NOT NULL,
    area_id      TEXT,
    chat_kind    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  TEXT,
    error        TEXT,
    sent_at      TEXT,
    PRIMARY KEY (broadcast_id, chat_id)
);
CREATE INDEX outbox_pending ON outbox (status, broadcast_id);

CREATE TABLE campaigns (
    key        TEXT PRIMARY KEY,
    paused     INTEGER NOT NULL DEFAULT 0,
    spec       TEXT NOT NULL,                  -- the campaign file's content as JSON, synced at start
    synced_at  TEXT NOT NULL
);
