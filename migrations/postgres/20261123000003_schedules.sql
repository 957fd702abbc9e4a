-- Scheduled posts: each board's cron schedules, and a claim per (board, job, destination,
-- scheduled instant) so every scheduled post happens exactly once, with a log of each attempt.
-- Same columns as the SQLite schema.

ALTER TABLE boards ADD COLUMN digest_schedule TEXT NOT NULL DEFAULT '0 0 9 1 1,4,7,10 *';
ALTER TABLE boards ADD COLUMN reminder_schedule TEXT NOT NULL DEFAULT '0 0 9 * * Mon';
ALTER TABLE boards ADD COLUMN catch_up_days BIGINT NOT NULL DEFAULT 7;

CREATE TABLE scheduled_posts (
    id           BIGSERIAL PRIMARY KEY,
    board_id     BIGINT NOT NULL REFERENCES boards(id),
    job          TEXT NOT NULL,
    destination  TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    state        TEXT NOT NULL,
    claimed_by   TEXT NOT NULL,
    lease_until  TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    finished_at  TEXT,
    message_id   TEXT,
    last_error   TEXT,
    reported     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (board_id, job, destination, due_at)
);

CREATE TABLE delivery_attempts (
    id           BIGSERIAL PRIMARY KEY,
    post_id      BIGINT NOT NULL REFERENCES scheduled_posts(id),
    attempted_at TEXT NOT NULL,
    worker       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    http_status  BIGINT,
    detail       TEXT
);
CREATE INDEX delivery_attempts_by_post ON delivery_attempts (post_id, id);
