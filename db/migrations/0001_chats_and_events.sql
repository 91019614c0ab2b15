-- Chats the bot serves (private chats of residents, group chats of schools, markets, agencies)
-- and the anonymous outreach log. Events never hold a chat id, so /forget leaves counts intact.
CREATE TABLE chats (
    chat_id     INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
    lang        TEXT NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en')),
    lang_chosen INTEGER NOT NULL DEFAULT 0,
    area_id     TEXT,
    subscribed  INTEGER NOT NULL DEFAULT 0,
    blocked     INTEGER NOT NULL DEFAULT 0,
    title       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX chats_area ON chats (area_id, subscribed, blocked);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,          -- UTC, ISO 8601
    kind      TEXT NOT NULL,          -- subscribe, unsubscribe, blocked, unblocked, language, forget, ...
    area_id   TEXT,
    lang      TEXT,
    chat_kind TEXT,                   -- private | group
    guide_id  TEXT,
    detail    TEXT
);
CREATE INDEX events_at ON events (at, kind);
CREATE INDEX events_area_at ON events (area_id, at);
