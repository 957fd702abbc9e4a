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
    id            BIGSERIAL PRIMARY KEY,
    board_id      BIGINT NOT NULL REFERENCES boards(id),
    occasion      TEXT COLLATE "C",
    period_label  TEXT NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    as_of         date NOT NULL,
    posted_at     timestamptz NOT NULL,
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
    digest_id     BIGINT NOT NULL REFERENCES archived_digests(id),
    destination   TEXT NOT NULL,
    delivered_at  timestamptz NOT NULL,
    PRIMARY KEY (digest_id, destination)
);

-- The archive is append-only: the database itself refuses to rewrite it, whatever the code does.
CREATE FUNCTION refuse_archive_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the digest archive is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER archived_digests_are_append_only
    BEFORE UPDATE OR DELETE ON archived_digests
    FOR EACH ROW EXECUTE FUNCTION refuse_archive_rewrite();
CREATE TRIGGER archived_digests_are_never_truncated
    BEFORE TRUNCATE ON archived_digests
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_archive_rewrite();
CREATE TRIGGER archived_digest_destinations_are_append_only
    BEFORE UPDATE OR DELETE ON archived_digest_destinations
    FOR EACH ROW EXECUTE FUNCTION refuse_archive_rewrite();
CREATE TRIGGER archived_digest_destinations_are_never_truncated
    BEFORE TRUNCATE ON archived_digest_destinations
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_archive_rewrite();
