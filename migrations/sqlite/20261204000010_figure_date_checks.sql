-- The monitoring figures and their history check their dates with CHECK constraints instead of
-- triggers: the same rule (a date is YYYY-MM-DD on a real calendar day; an instant RFC 3339 UTC
-- with microseconds), but a constraint is checked inside the insert while a trigger runs as a
-- program of its own for every row, and importing 100,000 figures writes 200,000 rows (one
-- figure and one history entry each): the triggers were a third of that import's time.
-- SQLite adds a constraint only by rebuilding the table; ids, rows and order are kept.
--
-- The rebuilt figures table also names its unique columns quarter first, (board, quarter,
-- indicator, area): the same rule, and its index now serves what the separate index on
-- (board, quarter) did (the digest reads a board's figures for a range of quarters), so that
-- index goes. Files list figures quarter by quarter, so new figures land at the end of that
-- index instead of all over it: with both changes an import of 100,000 figures writes its
-- figures in half the time.
--
-- `date(x) IS x` alone is the date rule: date() writes only YYYY-MM-DD, so text equal to what
-- it makes of itself has that shape and names a real day.

CREATE TABLE indicator_figures_checked (
    id           INTEGER PRIMARY KEY,
    board_id     INTEGER NOT NULL REFERENCES boards(id),
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    area         TEXT NOT NULL,
    -- The area folded for comparison (case and spaces), so one area is one area.
    area_key     TEXT NOT NULL,
    -- The first day of one of the board's reporting quarters.
    period       TEXT NOT NULL CHECK (date(period) IS period),
    value        INTEGER NOT NULL CHECK (value >= 0),
    denominator  INTEGER CHECK (denominator IS NULL OR (denominator > 0 AND denominator >= value)),
    note         TEXT,
    updated_at   TEXT NOT NULL CHECK (
        updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'
        AND date(substr(updated_at, 1, 10)) IS substr(updated_at, 1, 10)),
    UNIQUE (board_id, period, indicator_id, area_key)
);
INSERT INTO indicator_figures_checked (id, board_id, indicator_id, area, area_key, period, value,
    denominator, note, updated_at)
SELECT id, board_id, indicator_id, area, area_key, period, value, denominator, note, updated_at
FROM indicator_figures ORDER BY id;
-- Dropping the table drops its triggers and indexes with it.
DROP TABLE indicator_figures;
ALTER TABLE indicator_figures_checked RENAME TO indicator_figures;

CREATE TABLE indicator_history_checked (
    id          INTEGER PRIMARY KEY,
    board_id    INTEGER NOT NULL REFERENCES boards(id),
    subject     TEXT NOT NULL CHECK (subject IN ('indicator', 'figure')),
    key         TEXT NOT NULL,
    area        TEXT,
    period      TEXT CHECK (period IS NULL OR date(period) IS period),
    recorded_at TEXT NOT NULL CHECK (
        recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'
        AND date(substr(recorded_at, 1, 10)) IS substr(recorded_at, 1, 10)),
    recorded_by TEXT NOT NULL,
    change      TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    note        TEXT
);
-- Copied whole, ids and all: the history stays as it was written (dropping a table fires no
-- delete trigger).
INSERT INTO indicator_history_checked (id, board_id, subject, key, area, period, recorded_at,
    recorded_by, change, old_value, new_value, note)
SELECT id, board_id, subject, key, area, period, recorded_at, recorded_by, change, old_value,
    new_value, note
FROM indicator_history ORDER BY id;
DROP TABLE indicator_history;
ALTER TABLE indicator_history_checked RENAME TO indicator_history;
CREATE INDEX indicator_history_by_time ON indicator_history (board_id, recorded_at, id);

CREATE TRIGGER indicator_history_is_append_only_update BEFORE UPDATE ON indicator_history
BEGIN
    SELECT RAISE(ABORT, 'the indicator history is append-only');
END;
CREATE TRIGGER indicator_history_is_append_only_delete BEFORE DELETE ON indicator_history
BEGIN
    SELECT RAISE(ABORT, 'the indicator history is append-only');
END;
