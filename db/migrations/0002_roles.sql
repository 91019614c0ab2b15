-- Ward staff and lead-office roles, and an audit of every change of role.
CREATE TABLE roles (
    user_id    INTEGER PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('staff', 'lead')),
    source     TEXT NOT NULL,         -- env | cli | telegram
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL
);

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,           -- 'cli', 'env', or the acting Telegram user id
    action   TEXT NOT NULL,           -- role.add, role.remove, ...
    target   TEXT,
    detail   TEXT
);
CREATE INDEX audit_at ON audit (at);
