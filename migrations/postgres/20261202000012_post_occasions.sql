-- A scheduled post is identified by what it is, not by the instant its cron fired: the digest
-- for a reporting period, the reminder for a board-local date, the brief for a meeting. Moving
-- the time zone, the schedule or the channel then never posts an occasion a second time.
--
-- `route` is where the post goes without the channel: `discord` for the board's channel for
-- that job, `webhook:<name>` for a webhook. `destination` keeps the exact target the claim
-- was made for (the channel id), so a takeover finishes in the same channel.
--
-- Posts claimed before this release are keyed by their instant (`at:<due_at>`); the old
-- unique key on the instant stays, so the first pass after an upgrade does not post again
-- what the earlier release posted at the same instant.
ALTER TABLE scheduled_posts ADD COLUMN route TEXT COLLATE "C";
ALTER TABLE scheduled_posts ADD COLUMN occasion TEXT COLLATE "C";
UPDATE scheduled_posts SET
    route = CASE WHEN destination LIKE 'discord:%' THEN 'discord' ELSE destination END,
    occasion = 'at:' || to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
CREATE UNIQUE INDEX scheduled_posts_by_occasion
    ON scheduled_posts (board_id, job, route, occasion);

-- Each message of a post, recorded when its sending starts and again when Discord confirms
-- it, so a retry or a takeover continues from the first unconfirmed message instead of
-- repeating the ones already shown.
CREATE TABLE posted_messages (
    post_id      BIGINT NOT NULL REFERENCES scheduled_posts(id),
    part         INTEGER NOT NULL,
    started_at   timestamptz NOT NULL,
    message_id   TEXT,
    confirmed_at timestamptz,
    PRIMARY KEY (post_id, part)
);
