-- The tracker: boards, sources, recommendations, actions and their append-only history.
-- Kept column-for-column the same as the SQLite schema: dates are ISO-8601 text and instants
-- fixed-width RFC 3339 UTC text, so one set of queries serves both backends.

CREATE TABLE boards (
    id                  BIGSERIAL PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    time_zone           TEXT NOT NULL DEFAULT 'Europe/London',
    year_start_month    BIGINT NOT NULL DEFAULT 4,
    remind_before_days  BIGINT NOT NULL DEFAULT 14,
    escalate_after_days BIGINT NOT NULL DEFAULT 28,
    created_at          TEXT NOT NULL
);

CREATE TABLE sources (
    id           BIGSERIAL PRIMARY KEY,
    board_id     BIGINT NOT NULL REFERENCES boards(id),
    title        TEXT NOT NULL,
    published_on TEXT,
    UNIQUE (board_id, title)
);

CREATE TABLE recommendations (
    id         BIGSERIAL PRIMARY KEY,
    board_id   BIGINT NOT NULL REFERENCES boards(id),
    reference  TEXT NOT NULL,
    ref_key    TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT,
    source_id  BIGINT REFERENCES sources(id),
    theme      TEXT,
    owner      TEXT,
    priority   BIGINT NOT NULL DEFAULT 0,
    response   TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (board_id, ref_key)
);

CREATE TABLE actions (
    id                BIGSERIAL PRIMARY KEY,
    board_id          BIGINT NOT NULL REFERENCES boards(id),
    reference         TEXT NOT NULL,
    ref_key           TEXT NOT NULL,
    recommendation_id BIGINT REFERENCES recommendations(id),
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
    id           BIGSERIAL PRIMARY KEY,
    board_id     BIGINT NOT NULL REFERENCES boards(id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('action', 'recommendation')),
    subject_id   BIGINT NOT NULL,
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
CREATE FUNCTION refuse_history_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'status history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER status_updates_are_append_only
    BEFORE UPDATE OR DELETE ON status_updates
    FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER status_updates_are_never_truncated
    BEFORE TRUNCATE ON status_updates
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
