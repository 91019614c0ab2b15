-- Each event says by how much it changed the number of chats receiving warnings (subscribed and
-- not blocked): +1, -1 or 0. Counting it by kind took a chat away twice when a resident blocked
-- the bot after unsubscribing, or when a group removed the bot after a 403 had marked it blocked.
ALTER TABLE events ADD COLUMN active INTEGER NOT NULL DEFAULT 0;

-- Events logged before this migration: the old rule, by kind (the best that can be known now).
UPDATE events SET active = CASE kind
    WHEN 'subscribe' THEN 1 WHEN 'unblocked' THEN 1
    WHEN 'unsubscribe' THEN -1 WHEN 'blocked' THEN -1
    ELSE 0 END;

ALTER TABLE event_days ADD COLUMN active INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER events_count_day;
DROP VIEW event_day_keys;

CREATE VIEW event_day_keys AS
SELECT
    id,
    local_day(at) AS day,
    kind,
    coalesce(area_id, '') AS area_id,
    coalesce(chat_kind, '') AS chat_kind,
    CASE
        WHEN kind = 'guide_view' AND instr(coalesce(detail, ''), ':') > 0
            THEN substr(detail, 1, instr(detail, ':') - 1)
        WHEN kind = 'guide_view' THEN coalesce(nullif(detail, ''), 'general')
        WHEN kind = 'question' AND guide_id IS NOT NULL THEN 'answered'
        ELSE ''
    END AS topic,
    active
FROM events;

CREATE TRIGGER events_count_day AFTER INSERT ON events
BEGIN
    INSERT INTO event_days (kind, day, area_id, chat_kind, topic, n, active)
    SELECT kind, day, area_id, chat_kind, topic, 1, active FROM event_day_keys WHERE id = NEW.id
    ON CONFLICT (kind, day, area_id, chat_kind, topic)
    DO UPDATE SET n = n + 1, active = active + excluded.active;
END;

-- Refill the roll-up with the new column at the next open.
DELETE FROM settings WHERE key = 'rollup_zone';
