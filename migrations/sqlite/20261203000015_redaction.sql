-- Redaction: personal data typed by mistake can be removed from a record's history and from
-- the digest archive, and the removal is itself recorded.
--
-- The history and the archive stay append-only for everything else. The one way through is a
-- redaction: a row in `redactions` opened at the start of the transaction that rewrites text
-- and closed at its end, once the history entry saying what was removed (change `redacted`)
-- has been written. While it is open, the guards below let an UPDATE through only when it
-- puts `[redacted]` where text was; ids, authors, times, kinds, statuses and dates can never
-- change. The removed text itself is never stored anywhere.
CREATE TABLE redactions (
    id           INTEGER PRIMARY KEY,
    board_id     INTEGER NOT NULL REFERENCES boards(id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('action', 'recommendation')),
    subject_id   INTEGER NOT NULL,
    redacted_at  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    -- 1 while the redaction's transaction is rewriting text; 0 once its entry is written.
    open         INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
    -- Filled when it closes: how many fields changed, the history entries and archived
    -- digests touched (ids, comma-separated).
    fields       INTEGER,
    entries      TEXT,
    digests      TEXT
);
CREATE INDEX redactions_by_subject ON redactions (board_id, subject_kind, subject_id);

-- A redaction opens alone and closes once, and only after its history entry exists.
CREATE TRIGGER redactions_open_one_at_a_time BEFORE INSERT ON redactions
WHEN NEW.open <> 1 OR EXISTS (SELECT 1 FROM redactions WHERE open = 1)
BEGIN
    SELECT RAISE(ABORT, 'a redaction opens alone, and open');
END;
CREATE TRIGGER redactions_close_once BEFORE UPDATE ON redactions
WHEN OLD.open <> 1 OR NEW.open <> 0
    OR NEW.id IS NOT OLD.id OR NEW.board_id IS NOT OLD.board_id
    OR NEW.subject_kind IS NOT OLD.subject_kind OR NEW.subject_id IS NOT OLD.subject_id
    OR NEW.redacted_at IS NOT OLD.redacted_at OR NEW.actor IS NOT OLD.actor
    OR NEW.reason IS NOT OLD.reason OR NEW.fields IS NULL
    OR NOT EXISTS (SELECT 1 FROM status_updates u WHERE u.board_id = NEW.board_id
        AND u.subject_kind = NEW.subject_kind AND u.subject_id = NEW.subject_id
        AND u.change_kind = 'redacted' AND u.recorded_at = NEW.redacted_at
        AND u.actor = NEW.actor)
BEGIN
    SELECT RAISE(ABORT, 'a redaction closes once, after its history entry is written');
END;
CREATE TRIGGER redactions_are_never_deleted BEFORE DELETE ON redactions
BEGIN
    SELECT RAISE(ABORT, 'redactions are part of the history and are never deleted');
END;
CREATE TRIGGER redactions_dates_are_iso_insert BEFORE INSERT ON redactions
WHEN NEW.redacted_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'
    OR date(substr(NEW.redacted_at, 1, 10)) IS NOT substr(NEW.redacted_at, 1, 10)
BEGIN
    SELECT RAISE(ABORT, 'a date or time in redactions is not in the stored ISO format');
END;

-- The history: the old refusal gives way to one that lets a redaction through and nothing else.
DROP TRIGGER status_updates_are_append_only_update;
CREATE TRIGGER status_updates_are_append_only_update BEFORE UPDATE ON status_updates
WHEN NOT EXISTS (SELECT 1 FROM redactions d WHERE d.open = 1 AND d.board_id = OLD.board_id
        AND d.subject_kind = OLD.subject_kind AND d.subject_id = OLD.subject_id)
    -- Who, when, what kind of change and about what: never.
    OR NEW.id IS NOT OLD.id OR NEW.board_id IS NOT OLD.board_id
    OR NEW.subject_kind IS NOT OLD.subject_kind OR NEW.subject_id IS NOT OLD.subject_id
    OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.actor IS NOT OLD.actor
    OR NEW.change_kind IS NOT OLD.change_kind
    -- Old and new values are statuses, dates, officers and field names, except in an edit of
    -- the record's details.
    OR (OLD.change_kind <> 'details'
        AND (NEW.old_value IS NOT OLD.old_value OR NEW.new_value IS NOT OLD.new_value))
    -- Text changes only by gaining a `[redacted]` where something was.
    OR (NEW.old_value IS NOT OLD.old_value AND (NEW.old_value IS NULL
        OR length(NEW.old_value) - length(replace(NEW.old_value, '[redacted]', ''))
            <= length(OLD.old_value) - length(replace(OLD.old_value, '[redacted]', ''))))
    OR (NEW.new_value IS NOT OLD.new_value AND (NEW.new_value IS NULL
        OR length(NEW.new_value) - length(replace(NEW.new_value, '[redacted]', ''))
            <= length(OLD.new_value) - length(replace(OLD.new_value, '[redacted]', ''))))
    OR (NEW.note IS NOT OLD.note AND (NEW.note IS NULL
        OR length(NEW.note) - length(replace(NEW.note, '[redacted]', ''))
            <= length(OLD.note) - length(replace(OLD.note, '[redacted]', ''))))
    OR (NEW.evidence IS NOT OLD.evidence AND (NEW.evidence IS NULL
        OR length(NEW.evidence) - length(replace(NEW.evidence, '[redacted]', ''))
            <= length(OLD.evidence) - length(replace(OLD.evidence, '[redacted]', ''))))
    -- The record an entry keeps: only its free-text columns (an action's title, owner and
    -- borough; a recommendation's title, body, theme and owner), never its ref, status, dates
    -- or officer.
    OR (NEW.record IS NOT OLD.record AND (NEW.record IS NULL OR OLD.record IS NULL
        OR json_array_length(NEW.record) IS NOT json_array_length(OLD.record)
        OR length(NEW.record) - length(replace(NEW.record, '[redacted]', ''))
            <= length(OLD.record) - length(replace(OLD.record, '[redacted]', ''))
        OR (OLD.subject_kind = 'action' AND (
            json_extract(NEW.record, '$[0]') IS NOT json_extract(OLD.record, '$[0]')
            OR json_extract(NEW.record, '$[1]') IS NOT json_extract(OLD.record, '$[1]')
            OR json_extract(NEW.record, '$[5]') IS NOT json_extract(OLD.record, '$[5]')
            OR json_extract(NEW.record, '$[6]') IS NOT json_extract(OLD.record, '$[6]')
            OR json_extract(NEW.record, '$[7]') IS NOT json_extract(OLD.record, '$[7]')
            OR json_extract(NEW.record, '$[8]') IS NOT json_extract(OLD.record, '$[8]')
            OR json_extract(NEW.record, '$[9]') IS NOT json_extract(OLD.record, '$[9]')))
        OR (OLD.subject_kind = 'recommendation' AND (
            json_extract(NEW.record, '$[0]') IS NOT json_extract(OLD.record, '$[0]')
            OR json_extract(NEW.record, '$[5]') IS NOT json_extract(OLD.record, '$[5]')
            OR json_extract(NEW.record, '$[6]') IS NOT json_extract(OLD.record, '$[6]')
            OR json_extract(NEW.record, '$[7]') IS NOT json_extract(OLD.record, '$[7]')
            OR json_extract(NEW.record, '$[8]') IS NOT json_extract(OLD.record, '$[8]')
            OR json_extract(NEW.record, '$[9]') IS NOT json_extract(OLD.record, '$[9]')
            OR json_extract(NEW.record, '$[10]') IS NOT json_extract(OLD.record, '$[10]')))))
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;

-- The archive: an archived digest's text may gain `[redacted]` during a redaction on its
-- board; what it is, when it was posted and by whom, never.
DROP TRIGGER archived_digests_are_append_only_update;
CREATE TRIGGER archived_digests_are_append_only_update BEFORE UPDATE ON archived_digests
WHEN NOT EXISTS (SELECT 1 FROM redactions d WHERE d.open = 1 AND d.board_id = OLD.board_id)
    OR NEW.id IS NOT OLD.id OR NEW.board_id IS NOT OLD.board_id
    OR NEW.occasion IS NOT OLD.occasion OR NEW.period_label IS NOT OLD.period_label
    OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end
    OR NEW.as_of IS NOT OLD.as_of OR NEW.posted_at IS NOT OLD.posted_at
    OR NEW.posted_by IS NOT OLD.posted_by OR NEW.requested_by IS NOT OLD.requested_by
    OR NEW.title IS NOT OLD.title
    OR length(NEW.json) + length(NEW.markdown) + length(NEW.html) + length(NEW.discord)
        - length(replace(NEW.json, '[redacted]', '')) - length(replace(NEW.markdown, '[redacted]', ''))
        - length(replace(NEW.html, '[redacted]', '')) - length(replace(NEW.discord, '[redacted]', ''))
        <= length(OLD.json) + length(OLD.markdown) + length(OLD.html) + length(OLD.discord)
        - length(replace(OLD.json, '[redacted]', '')) - length(replace(OLD.markdown, '[redacted]', ''))
        - length(replace(OLD.html, '[redacted]', '')) - length(replace(OLD.discord, '[redacted]', ''))
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;

-- Which archived digests each redaction rewrote, so a replay can say so (when and why).
CREATE TABLE archived_digest_redactions (
    digest_id    INTEGER NOT NULL REFERENCES archived_digests(id),
    redaction_id INTEGER NOT NULL REFERENCES redactions(id),
    PRIMARY KEY (digest_id, redaction_id)
);

-- The messages the bot had posted in Discord that a redaction edited, or could not.
CREATE TABLE redaction_message_edits (
    redaction_id INTEGER NOT NULL REFERENCES redactions(id),
    channel_id   TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('edited', 'unchanged', 'gone', 'refused', 'failed')),
    detail       TEXT,
    checked_at   TEXT NOT NULL,
    PRIMARY KEY (redaction_id, channel_id, message_id)
);
CREATE TRIGGER archived_digest_redactions_are_append_only_update BEFORE UPDATE ON archived_digest_redactions
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;
CREATE TRIGGER archived_digest_redactions_are_append_only_delete BEFORE DELETE ON archived_digest_redactions
BEGIN
    SELECT RAISE(ABORT, 'the digest archive is append-only');
END;
CREATE TRIGGER redaction_message_edits_are_append_only_update BEFORE UPDATE ON redaction_message_edits
BEGIN
    SELECT RAISE(ABORT, 'redactions are part of the history and are never rewritten');
END;
CREATE TRIGGER redaction_message_edits_are_append_only_delete BEFORE DELETE ON redaction_message_edits
BEGIN
    SELECT RAISE(ABORT, 'redactions are part of the history and are never rewritten');
END;

-- The Discord messages a digest posted with /digest post became (scheduled posts keep theirs
-- in posted_messages), so a redaction can find and edit them.
CREATE TABLE archived_digest_messages (
    digest_id  INTEGER NOT NULL REFERENCES archived_digests(id),
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    posted_at  TEXT NOT NULL,
    PRIMARY KEY (channel_id, message_id)
);
CREATE INDEX archived_digest_messages_by_digest ON archived_digest_messages (digest_id);
