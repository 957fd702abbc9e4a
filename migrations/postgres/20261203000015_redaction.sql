-- Redaction: personal data typed by mistake can be removed from a record's history and from
-- the digest archive, and the removal is itself recorded.
--
-- The history and the archive stay append-only for everything else. The one way through is a
-- redaction: a row in `redactions` opened by the transaction that rewrites text (and only
-- that transaction: the row names it) and closed at its end, once the history entry saying
-- what was removed (change `redacted`) has been written. While it is open, the guards below
-- let an UPDATE through only when it puts `[redacted]` where text was; ids, authors, times,
-- kinds, statuses and dates can never change. The removed text itself is never stored.
CREATE TABLE redactions (
    id           BIGSERIAL PRIMARY KEY,
    board_id     BIGINT NOT NULL REFERENCES boards(id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('action', 'recommendation')),
    subject_id   BIGINT NOT NULL,
    redacted_at  timestamptz NOT NULL,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    -- Open while the redaction's transaction is rewriting text; closed once its entry is written.
    open         BOOLEAN NOT NULL DEFAULT TRUE,
    opened_in    BIGINT NOT NULL DEFAULT txid_current(),
    -- Filled when it closes: how many fields changed, the history entries and archived
    -- digests touched (ids, comma-separated).
    fields       BIGINT,
    entries      TEXT,
    digests      TEXT
);
CREATE INDEX redactions_by_subject ON redactions (board_id, subject_kind, subject_id);

-- Occurrences of the redaction mark in a text (0 for none or NULL).
CREATE FUNCTION redaction_marks(t TEXT) RETURNS BIGINT AS $$
    SELECT COALESCE((length(t) - length(replace(t, '[redacted]', ''))) / length('[redacted]'), 0)
$$ LANGUAGE sql IMMUTABLE;

-- Whether a text changed only by gaining redaction marks (or not at all).
CREATE FUNCTION only_redacted(new_text TEXT, old_text TEXT) RETURNS BOOLEAN AS $$
    SELECT new_text IS NOT DISTINCT FROM old_text
        OR (new_text IS NOT NULL AND old_text IS NOT NULL
            AND redaction_marks(new_text) > redaction_marks(old_text))
$$ LANGUAGE sql IMMUTABLE;

-- Whether a redaction is open in this very transaction for the subject (or, with NULLs, for
-- anything on the board).
CREATE FUNCTION redaction_open(board BIGINT, kind TEXT, subject BIGINT) RETURNS BOOLEAN AS $$
    SELECT EXISTS (SELECT 1 FROM redactions d WHERE d.open AND d.opened_in = txid_current()
        AND d.board_id = board
        AND (kind IS NULL OR (d.subject_kind = kind AND d.subject_id = subject)))
$$ LANGUAGE sql STABLE;

CREATE FUNCTION guard_redactions() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT NEW.open OR EXISTS (SELECT 1 FROM redactions WHERE open) THEN
            RAISE EXCEPTION 'a redaction opens alone, and open';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.open AND NOT NEW.open
        AND OLD.opened_in = txid_current()
        AND NEW.id = OLD.id AND NEW.board_id = OLD.board_id
        AND NEW.subject_kind = OLD.subject_kind AND NEW.subject_id = OLD.subject_id
        AND NEW.redacted_at = OLD.redacted_at AND NEW.actor = OLD.actor
        AND NEW.reason = OLD.reason AND NEW.opened_in = OLD.opened_in
        AND NEW.fields IS NOT NULL
        AND EXISTS (SELECT 1 FROM status_updates u WHERE u.board_id = NEW.board_id
            AND u.subject_kind = NEW.subject_kind AND u.subject_id = NEW.subject_id
            AND u.change_kind = 'redacted' AND u.recorded_at = NEW.redacted_at
            AND u.actor = NEW.actor) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a redaction closes once, in its own transaction, after its history entry is written';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER redactions_are_guarded
    BEFORE INSERT OR UPDATE OR DELETE ON redactions
    FOR EACH ROW EXECUTE FUNCTION guard_redactions();
CREATE TRIGGER redactions_are_never_truncated
    BEFORE TRUNCATE ON redactions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();

-- The history: the old refusal gives way to one that lets a redaction through and nothing else.
CREATE FUNCTION refuse_history_rewrite_but_redaction() RETURNS trigger AS $$
DECLARE
    fixed INT[];
    i INT;
BEGIN
    IF TG_OP = 'UPDATE'
        AND redaction_open(OLD.board_id, OLD.subject_kind, OLD.subject_id)
        -- Who, when, what kind of change and about what: never.
        AND NEW.id = OLD.id AND NEW.board_id = OLD.board_id
        AND NEW.subject_kind = OLD.subject_kind AND NEW.subject_id = OLD.subject_id
        AND NEW.recorded_at = OLD.recorded_at AND NEW.actor = OLD.actor
        AND NEW.change_kind = OLD.change_kind
        -- Old and new values are statuses, dates, officers and field names, except in an
        -- edit of the record's details.
        AND (OLD.change_kind = 'details' OR (NEW.old_value IS NOT DISTINCT FROM OLD.old_value
            AND NEW.new_value IS NOT DISTINCT FROM OLD.new_value))
        -- Text changes only by gaining a `[redacted]` where something was.
        AND only_redacted(NEW.old_value, OLD.old_value)
        AND only_redacted(NEW.new_value, OLD.new_value)
        AND only_redacted(NEW.note, OLD.note)
        AND only_redacted(NEW.evidence, OLD.evidence)
        AND only_redacted(NEW.record, OLD.record) THEN
        IF NEW.record IS DISTINCT FROM OLD.record THEN
            -- The record an entry keeps: only its free-text columns (an action's title, owner
            -- and borough; a recommendation's title, body, theme and owner), never its ref,
            -- status, dates or officer.
            IF json_array_length(NEW.record::json) <> json_array_length(OLD.record::json) THEN
                RAISE EXCEPTION 'status history is append-only';
            END IF;
            fixed := CASE OLD.subject_kind WHEN 'action' THEN ARRAY[0, 1, 5, 6, 7, 8, 9]
                ELSE ARRAY[0, 5, 6, 7, 8, 9, 10] END;
            FOREACH i IN ARRAY fixed LOOP
                IF (NEW.record::jsonb -> i) IS DISTINCT FROM (OLD.record::jsonb -> i) THEN
                    RAISE EXCEPTION 'status history is append-only';
                END IF;
            END LOOP;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'status history is append-only';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER status_updates_are_append_only ON status_updates;
CREATE TRIGGER status_updates_are_append_only
    BEFORE UPDATE OR DELETE ON status_updates
    FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite_but_redaction();

-- The archive: an archived digest's text may gain `[redacted]` during a redaction on its
-- board; what it is, when it was posted and by whom, never.
CREATE FUNCTION refuse_archive_rewrite_but_redaction() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND redaction_open(OLD.board_id, NULL, NULL)
        AND NEW.id = OLD.id AND NEW.board_id = OLD.board_id
        AND NEW.occasion IS NOT DISTINCT FROM OLD.occasion
        AND NEW.period_label = OLD.period_label
        AND NEW.period_start = OLD.period_start AND NEW.period_end = OLD.period_end
        AND NEW.as_of = OLD.as_of AND NEW.posted_at = OLD.posted_at
        AND NEW.posted_by = OLD.posted_by
        AND NEW.requested_by IS NOT DISTINCT FROM OLD.requested_by
        AND NEW.title = OLD.title
        AND redaction_marks(NEW.json) + redaction_marks(NEW.markdown)
            + redaction_marks(NEW.html) + redaction_marks(NEW.discord)
            > redaction_marks(OLD.json) + redaction_marks(OLD.markdown)
            + redaction_marks(OLD.html) + redaction_marks(OLD.discord) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the digest archive is append-only';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER archived_digests_are_append_only ON archived_digests;
CREATE TRIGGER archived_digests_are_append_only
    BEFORE UPDATE OR DELETE ON archived_digests
    FOR EACH ROW EXECUTE FUNCTION refuse_archive_rewrite_but_redaction();

-- Which archived digests each redaction rewrote, so a replay can say so (when and why).
CREATE TABLE archived_digest_redactions (
    digest_id    BIGINT NOT NULL REFERENCES archived_digests(id),
    redaction_id BIGINT NOT NULL REFERENCES redactions(id),
    PRIMARY KEY (digest_id, redaction_id)
);

-- The messages the bot had posted in Discord that a redaction edited, or could not.
CREATE TABLE redaction_message_edits (
    redaction_id BIGINT NOT NULL REFERENCES redactions(id),
    channel_id   TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('edited', 'unchanged', 'gone', 'refused', 'failed')),
    detail       TEXT,
    checked_at   timestamptz NOT NULL,
    PRIMARY KEY (redaction_id, channel_id, message_id)
);
CREATE TRIGGER archived_digest_redactions_are_append_only
    BEFORE UPDATE OR DELETE ON archived_digest_redactions
    FOR EACH ROW EXECUTE FUNCTION refuse_archive_rewrite();
CREATE TRIGGER archived_digest_redactions_are_never_truncated
    BEFORE TRUNCATE ON archived_digest_redactions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_archive_rewrite();
CREATE TRIGGER redaction_message_edits_are_append_only
    BEFORE UPDATE OR DELETE ON redaction_message_edits
    FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER redaction_message_edits_are_never_truncated
    BEFORE TRUNCATE ON redaction_message_edits
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();

-- The Discord messages a digest posted with /digest post became (scheduled posts keep theirs
-- in posted_messages), so a redaction can find and edit them.
CREATE TABLE archived_digest_messages (
    digest_id  BIGINT NOT NULL REFERENCES archived_digests(id),
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    posted_at  timestamptz NOT NULL,
    PRIMARY KEY (channel_id, message_id)
);
CREATE INDEX archived_digest_messages_by_digest ON archived_digest_messages (digest_id);
