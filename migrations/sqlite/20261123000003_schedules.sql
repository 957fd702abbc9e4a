-- Scheduled posts: each board's cron schedules, and a claim per (board, job, destination,
-- scheduled instant) so every scheduled post happens exactly once, with a log of each attempt.

-- Cron expressions with seconds (sec min hour day-of-month month day-of-week), read in the
-- board's time zone. Defaults: 09:00 on the first day of each quarter month (Jan, Apr, Jul,
-- Oct, which suits any year start that is a quarter month), and Mondays 09:00.
ALTER TABLE boards ADD COLUMN digest_schedule TEXT NOT NULL DEFAULT '0 0 9 1 1,4,7,10 *';
ALTER TABLE boards ADD COLUMN reminder_schedule TEXT NOT NULL DEFAULT '0 0 9 * * Mon';
-- After downtime, the latest missed post is caught up if it is at most this many days old.
ALTER TABLE boards ADD COLUMN catch_up_days INTEGER NOT NULL DEFAULT 7;

CREATE TABLE scheduled_posts (
    id           INTEGER PRIMARY KEY,
    board_id     INTEGER NOT NULL REFERENCES boards(id),
    job          TEXT NOT NULL,
    destination  TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    -- claimed → sent | nothing_to_post | failed
    state        TEXT NOT NULL,
    claimed_by   TEXT NOT NULL,
    lease_until  TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    finished_at  TEXT,
    message_id   TEXT,
    last_error   TEXT,
    -- A failure the board's admins have been told about.
    reported     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (board_id, job, destination, due_at)
);

CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY,
    post_id      INTEGER NOT NULL REFERENCES scheduled_posts(id),
    attempted_at TEXT NOT NULL,
    worker       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    http_status  INTEGER,
    detail       TEXT
);
CREATE INDEX delivery_attempts_by_post ON delivery_attempts (post_id, id);
