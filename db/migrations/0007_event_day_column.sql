-- Each event stores its local day (the ward's zone, SANSANG_TIMEZONE), computed in Python when it
-- is logged (bot/store/events.py add). The roll-up trigger only adds: it needs no function of the
-- app, so a row inserted by the sqlite3 shell is counted too (on its UTC date when it has no day).
-- No process recounts on its own any more: changing the zone is `sansang db recount`.
ALTER TABLE events ADD COLUMN day TEXT;

DROP TRIGGER events_count_day;
DROP VIEW event_day_keys;

-- What each event adds to: one definition for the trigger and for `sansang db recount`.
CREATE VIEW event_day_keys AS
SELECT
    id,
    coalesce(day, substr(at, 1, 10)) AS day,
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

-- The events logged so far have no day yet: Database.migrate() fills it, and recounts the roll-up,
-- once, in the migrating process's SANSANG_TIMEZONE (SQL cannot convert to a named zone). The
-- missing key is what asks for it.
DELETE FROM settings WHERE key = 'rollup_zone';
