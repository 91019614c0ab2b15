-- Issue 12: schools, markets and offices. A group says what kind of group it is, so a broadcast
-- can go to markets only and reports count reach by kind. Every existing chat, subscription and
-- event stays as it is: the new columns are NULL (kind not set yet) or 0 (not asked yet).
ALTER TABLE chats ADD COLUMN group_kind TEXT NULL
    CHECK (group_kind IN ('school', 'market', 'office', 'residential', 'other'));
-- 1 once a group subscribed before this change has been asked its kind (asked once, never twice).
ALTER TABLE chats ADD COLUMN kind_asked INTEGER NOT NULL DEFAULT 0;
-- Member count from Telegram, cached a day (members_at: UTC ISO time it was read).
ALTER TABLE chats ADD COLUMN members INTEGER NULL;
ALTER TABLE chats ADD COLUMN members_at TEXT NULL;

-- JSON list of the recipient kinds a broadcast goes to; NULL = every kind.
ALTER TABLE broadcasts ADD COLUMN kinds TEXT NULL;
