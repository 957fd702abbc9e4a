-- The tracker: boards, sources, recommendations, actions and their append-only history.
-- Dates are ISO-8601 text (YYYY-MM-DD) and instants RFC 3339 UTC text with fixed width, so
-- text order is time order and the same queries run on SQLite and PostgreSQL.

CREATE TABLE boards (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    time_zone           TEXT NOT NULL DEFAULT 'Europe/London',
    year_start_month    INTEGER NOT NULL DEFAULT 4,
    remind_before_days  INTEGER NOT NULL DEFAULT 14,
    escalate_after_days INTEGER NOT NULL DEFAULT 28,
    created_at          TEXT NOT NULL
);

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    board_id     INTEGER NOT NULL REFERENCES boards(id),
    title        TEXT NOT NULL,
    published_on TEXT,
    UNIQUE (board_id, title)
);

CREATE TABLE recommendations (
    id         INTEGER PRIMARY KEY,
    board_id   INTEGER NOT NULL REFERENCES boards(id),
    reference  TEXT NOT NULL,
    -- Upper-cased reference: refs are unique and looked up regardless of case.
    ref_key    TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT,
    source_id  INTEGER REFERENCES sources(id),
    theme      TEXT,
    owner      TEXT,
    priority   INTEGER NOT NULL DEFAULT 0,
    response   TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (board_id, ref_key)
);

CREATE TABLE actions (
    id                INTEGER PRIMARY KEY,
    board_id          INTEGER NOT NULL REFERENCES boards(id),
    reference         TEXT NOT NULL,
    ref_key           TEXT NOT NULL,
    recommendation_id INTEGER REFERENCES recommendations(id),
    title             TEXT NOT NULL,
    owner             TEXT NOT NULL,
    borough           TEXT,
    officer_id        TEXT,
    due               TEXT NOT NULL,
    status            TEXT NOT NULL,
    completed_on      TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (board_id, ref_key)
);
CREATE INDEX actions_by_due ON actions (board_id, due);

CREATE TABLE status_updates (
    id           INTEGER PRIMARY KEY,
    board_id     INTEGER NOT NULL REFERENCES boards(id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('action', 'recommendation')),
    subject_id   INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    change_kind  TEXT NOT NULL,
    old_value    TEXT,
    new_value    TEXT,
    note         TEXT,
    evidence     TEXT
);
CREATE INDEX status_updates_by_subject ON status_updates (board_id, subject_kind, subject_id, id);
CREATE INDEX status_updates_by_time ON status_updates (board_id, recorded_at);

-- History is append-only: the database itself refuses to rewrite it, whatever the code does.
CREATE TRIGGER status_updates_are_append_only_update BEFORE UPDATE ON status_updates
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;
CREATE TRIGGER status_updates_are_append_only_delete BEFORE DELETE ON status_updates
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;
