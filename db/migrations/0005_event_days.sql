-- A daily roll-up of the outreach log, so a year's report of a busy ward reads under a hundred
-- thousand counters instead of a million events. A trigger keeps it on every insert into `events`.
--
-- `day` is the local date in the ward's zone (SANSANG_TIMEZONE). The bot registers the SQL function
-- local_day(at) on its connection; Database.migrate() refills the table whenever the zone it was
-- built in (settings.rollup_zone) differs from the configured one, including the first time.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- What each event adds to: one definition for the trigger and for the refill.
-- topic: the hazard of a guide view ("storm:menu" → "storm"), "answered" for an answered
-- question, empty for everything else.
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
    END AS topic
FROM events;

CREATE TABLE event_days (
    kind      TEXT NOT NULL,
    day       TEXT NOT NULL,
    area_id   TEXT NOT NULL,
    chat_kind TEXT NOT NULL,
    topic     TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (kind, day, area_id, chat_kind, topic)
) WITHOUT ROWID;

CREATE TRIGGER events_count_day AFTER INSERT ON events
BEGIN
    INSERT INTO event_days (kind, day, area_id, chat_kind, topic, n)
    SELECT kind, day, area_id, chat_kind, topic, 1 FROM event_day_keys WHERE id = NEW.id
    ON CONFLICT (kind, day, area_id, chat_kind, topic) DO UPDATE SET n = n + 1;
END;

-- The two lists the report still reads from `events` itself, each from an index of its own rows.
CREATE INDEX events_unanswered ON events (at, detail) WHERE kind = 'question' AND guide_id IS NULL;
CREATE INDEX events_broadcast ON events (at) WHERE kind = 'broadcast';

-- The roll-up replaces the covering indexes of 0004, which every insert paid for.
DROP INDEX events_kind_area;
DROP INDEX events_kind_detail;
