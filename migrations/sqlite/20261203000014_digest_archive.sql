-- The digest archive: every digest posted (on schedule or with /digest post) kept exactly as
-- it was sent: its JSON, its Markdown (what webhooks got), its HTML board paper and its Discord
-- messages (serialised, files included), with the period, the as-of day, when it was posted
-- and how. Replaying one prints these stored bytes; nothing is rendered again.
--
-- A scheduled digest is archived once per occasion (the scheduled post's occasion, e.g.
-- period:2010-07-01): a rebuild after a crash, a retry or a second destination finds the row
-- already there and sends what it holds, so every destination gets the same digest. A digest
-- posted with /digest post has no occasion; each one is its own entry.
CREATE TABLE archived_digests (
    id            INTEGER PRIMARY KEY,
    board_id      INTEGER NOT NULL REFERENCES boards(id),
    occasion      TEXT,
    period_label  TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    posted_at     TEXT NOT NULL,
    posted_by     TEXT NOT NULL CHECK (posted_by IN ('schedule', 'command')),
    requested_by  TEXT,
    title         TEXT NOT NULL,
    json          TEXT NOT NULL,
    markdown      TEXT NOT NULL,
    html          TEXT NOT NULL,
    discord       TEXT NOT NULL,
    CHECK ((posted_by = 'schedule') = (occasion IS NOT NULL))
);
CREATE UNIQUE INDEX archived_digests_by_occasion ON archived_digests (board_id, occasion);
CREATE INDEX archived_digests_by_time ON archived_digests (board_id, posted_at, id);

-- Where each archived digest was delivered and when: a scheduled digest reaches Discord and
-- each webhook at its own moment (and may be retried). The first delivery to a destination
-- is the one recorded.
CREATE TABLE archived_digest_destinations (
    digest_id     INTEGER NOT NULL REFERENCES archived_digests(id),
    destination   TEXT NOT NULL,
    delivered_at  TEXT NOT NULL,
    PRIMARY KEY (digest_id, destination)
);

-- The archive is append-only: the database itself refuses to rewrite it, whatever the code does.
CREATE TRIGGER archived_digests_are_append_only_update BEFORE UPDATE ON archived_digests
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;
CREATE TRIGGER archived_digests_are_append_only_delete BEFORE DELETE ON archived_digests
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;
CREATE TRIGGER archived_digest_destinations_are_append_only_update BEFORE UPDATE ON archived_digest_destinations
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;
CREATE TRIGGER archived_digest_destinations_are_append_only_delete BEFORE DELETE ON archived_digest_destinations
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;

-- Dates and instants in the stored ISO format, as everywhere else (see 20261201000011).
CREATE TRIGGER archived_digests_dates_are_iso_insert BEFORE INSERT ON archived_digests
WHEN (NEW.period_start IS NOT NULL AND (NEW.period_start NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.period_start) IS NOT NEW.period_start))
    OR (NEW.period_end IS NOT NULL AND (NEW.period_end NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.period_end) IS NOT NEW.period_end))
    OR (NEW.as_of IS NOT NULL AND (NEW.as_of NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.as_of) IS NOT NEW.as_of))
    OR (NEW.posted_at IS NOT NULL AND (NEW.posted_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.posted_at, 1, 10)) IS NOT substr(NEW.posted_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in archived_digests is not in the stored ISO format');
END;
CREATE TRIGGER archived_digest_destinations_dates_are_iso_insert BEFORE INSERT ON archived_digest_destinations
WHEN (NEW.delivered_at IS NOT NULL AND (NEW.delivered_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.delivered_at, 1, 10)) IS NOT substr(NEW.delivered_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in archived_digest_destinations is not in the stored ISO format');
END;
