-- Cancelling a broadcast that is sending stops it: its pending outbox rows become 'cancelled' in the
-- same transaction, so none is left 'pending' forever. SQLite cannot change a CHECK constraint in
-- place, so the outbox is rebuilt (same columns, same rows, same index).
CREATE TABLE outbox_new (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    chat_id      INTEGER NOT NULL,
    lang         TEXT NOT NULL,
    area_id      TEXT,
    chat_kind    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sent', 'failed', 'blocked', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  TEXT,
    error        TEXT,
    sent_at      TEXT,
    PRIMARY KEY (broadcast_id, chat_id)
);
INSERT INTO outbox_new (broadcast_id, chat_id, lang, area_id, chat_kind, status, attempts,
                        next_try_at, error, sent_at)
SELECT broadcast_id, chat_id, lang, area_id, chat_kind, status, attempts, next_try_at, error, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (status, broadcast_id);

-- Rows left pending by a broadcast cancelled while it was sending (before this migration).
UPDATE outbox SET status = 'cancelled'
WHERE status = 'pending'
  AND broadcast_id IN (SELECT id FROM broadcasts WHERE status = 'cancelled');

-- Why a broadcast was not sent as asked (e.g. every target area was removed from areas.toml).
ALTER TABLE broadcasts ADD COLUMN reason TEXT;

-- Problems staff were told about (a campaign naming a removed area, an empty campaigns folder),
-- so each is told once, not at every reconcile or restart.
CREATE TABLE staff_notices (
    key  TEXT PRIMARY KEY,
    at   TEXT NOT NULL
);
