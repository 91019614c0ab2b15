-- Issue 14: weather advisories. A draft is made from the forecast; staff approve it (an urgent
-- broadcast) or discard it. advisory_days remembers what was drafted per hazard and day, so the
-- same event is not drafted again unless it gets worse by a category.
CREATE TABLE advisories (
    id            INTEGER PRIMARY KEY,
    hazard        TEXT NOT NULL CHECK (hazard IN ('rain', 'wind', 'heat', 'cold')),
    level         INTEGER NOT NULL CHECK (level >= 1),
    name_vi       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    first_day     TEXT NOT NULL,               -- local dates, ISO 8601
    last_day      TEXT NOT NULL,
    peak_day      TEXT NOT NULL,
    value         REAL NOT NULL,               -- mm in 24 h, km/h or °C at the peak
    beaufort      INTEGER,
    gust_beaufort INTEGER,
    guides        TEXT NOT NULL DEFAULT '[]',  -- JSON list of guide ids
    text_vi       TEXT NOT NULL,
    text_en       TEXT NOT NULL,
    areas         TEXT,                        -- JSON list of area ids; NULL = every area
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'approved', 'discarded', 'superseded')),
    created_at    TEXT NOT NULL,               -- UTC, ISO 8601
    reminded_at   TEXT,
    decided_by    INTEGER,                     -- Telegram user id
    decided_at    TEXT,
    broadcast_id  INTEGER REFERENCES broadcasts (id),
    supersedes    INTEGER REFERENCES advisories (id)
);
CREATE INDEX advisories_status ON advisories (status, created_at);

CREATE TABLE advisory_days (
    hazard      TEXT NOT NULL,
    day         TEXT NOT NULL,                 -- local date, ISO 8601
    level       INTEGER NOT NULL,              -- the highest level drafted for it
    advisory_id INTEGER NOT NULL REFERENCES advisories (id),
    PRIMARY KEY (hazard, day)
);

-- The staff copies of a draft, to update when someone decides it.
CREATE TABLE advisory_messages (
    advisory_id INTEGER NOT NULL REFERENCES advisories (id),
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (advisory_id, chat_id)
);

-- Last good forecast (JSON), failure streak, outage start: a restart forgets none of them.
CREATE TABLE weather_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
