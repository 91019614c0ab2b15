-- Issue 15: flood reports. A resident's report of where the water is and how deep, and the staff
-- messages that show it (so pressing "checked" or "resolved" can update every copy).
-- reporter_chat is the only link to a person: it is cleared when the report is resolved and by
-- /forget. Counts come from the `flood_report` event logged with each row, never from this table's
-- chat ids.
CREATE TABLE flood_reports (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT NOT NULL,                 -- UTC, ISO 8601
    lat           REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon           REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    area_id       TEXT,                          -- NULL when outside the ward
    outside       INTEGER NOT NULL DEFAULT 0 CHECK (outside IN (0, 1)),
    depth         TEXT NOT NULL CHECK (depth IN ('ankle', 'knee', 'waist', 'above')),
    photo_file_id TEXT,
    note          TEXT CHECK (note IS NULL OR length(note) <= 300),
    lang          TEXT NOT NULL DEFAULT 'vi',
    status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'checked', 'resolved')),
    reporter_chat INTEGER,
    checked_by    INTEGER,
    checked_at    TEXT,
    resolved_by   INTEGER,
    resolved_at   TEXT
);
CREATE INDEX flood_reports_created ON flood_reports (created_at);
-- The hourly limit and /forget look reports up by chat.
CREATE INDEX flood_reports_reporter ON flood_reports (reporter_chat, created_at)
    WHERE reporter_chat IS NOT NULL;

CREATE TABLE flood_report_messages (
    report_id  INTEGER NOT NULL REFERENCES flood_reports (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (report_id, chat_id)
);
