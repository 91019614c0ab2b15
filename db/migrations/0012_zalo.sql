-- Issue 16: Zalo, a second channel beside Telegram. Every existing row is a Telegram row (the
-- defaults); a Zalo chat has an internal chat_id of ZALO_CHAT_BASE (2**62) + n, so every service
-- keyed by chat_id serves both channels unchanged, and its own Zalo user id as TEXT in `address`
-- (a number longer than 2^53: never stored or read as one).
ALTER TABLE chats ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram'
    CHECK (channel IN ('telegram', 'zalo'));
ALTER TABLE chats ADD COLUMN address TEXT NULL;
-- The resident's last message, tap or follow on Zalo (UTC ISO): the 48 h and 7 day windows.
ALTER TABLE chats ADD COLUMN last_interaction_at TEXT NULL;
-- A phone number (84...) the resident shared for warnings after 7 days; deleted by forget, never
-- in an export or a log.
ALTER TABLE chats ADD COLUMN phone TEXT NULL;
-- 1 once the resident was asked to share a phone number (asked once, never twice).
ALTER TABLE chats ADD COLUMN phone_asked INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX chats_address ON chats (channel, address) WHERE address IS NOT NULL;

-- The outbox says which channel sends each row, and a row can end 'unreachable' (a Zalo follower
-- silent for more than 7 days, with no phone to send a template to): counted, never retried.
-- SQLite cannot change a CHECK in place, so the outbox is rebuilt as in 0008.
CREATE TABLE outbox_new (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    chat_id      INTEGER NOT NULL,
    lang         TEXT NOT NULL,
    area_id      TEXT,
    chat_kind    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sent', 'failed', 'blocked', 'cancelled',
                                   'unreachable')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  TEXT,
    error        TEXT,
    sent_at      TEXT,
    channel      TEXT NOT NULL DEFAULT 'telegram',
    PRIMARY KEY (broadcast_id, chat_id)
);
INSERT INTO outbox_new (broadcast_id, chat_id, lang, area_id, chat_kind, status, attempts,
                        next_try_at, error, sent_at)
SELECT broadcast_id, chat_id, lang, area_id, chat_kind, status, attempts, next_try_at, error, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (status, broadcast_id);
-- Each channel's worker reads only its own rows.
CREATE INDEX outbox_channel ON outbox (channel, status, broadcast_id);

ALTER TABLE events ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
-- The report's reach per channel reads Zalo's events from an index of their own (the daily
-- roll-up counts both channels together; Telegram's figures are the total less Zalo's).
CREATE INDEX events_zalo ON events (day, kind, area_id, active) WHERE channel = 'zalo';

-- The Zalo OA's tokens: the access token lasts 25 hours, the refresh token is single use and
-- rotates, so the pair lives here (written before the new access token is used).
CREATE TABLE zalo_tokens (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    access_token  TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expires_at    TEXT NOT NULL,                 -- UTC, ISO 8601
    updated_at    TEXT NOT NULL
);

-- Webhook events already handled (Zalo may deliver one twice); pruned after 7 days.
CREATE TABLE zalo_seen (
    msg_id TEXT PRIMARY KEY,
    at     TEXT NOT NULL
);
CREATE INDEX zalo_seen_at ON zalo_seen (at);
