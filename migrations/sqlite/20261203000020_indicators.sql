-- The board's monitoring figures: indicator definitions, one figure per indicator, area and
-- reporting quarter, and the append-only history of every revision of either (who, when,
-- old → new), so a figure the secretariat corrects keeps what it said before.
--
-- Boards also choose how the monitoring section reads: how far an area's figure must move the
-- wrong way to be reported as an exception (a percentage, and for counts an absolute change),
-- whether small numbers are hidden in what people see (on by default: figures about violence
-- against women in one borough can identify people), and which indicators the trend chart
-- draws (empty: all of them).
ALTER TABLE boards ADD COLUMN exception_percent INTEGER NOT NULL DEFAULT 10;
ALTER TABLE boards ADD COLUMN exception_min_count INTEGER NOT NULL DEFAULT 5;
ALTER TABLE boards ADD COLUMN hide_small_numbers INTEGER NOT NULL DEFAULT 1;
ALTER TABLE boards ADD COLUMN trend_indicators TEXT NOT NULL DEFAULT '';

CREATE TABLE indicators (
    id          INTEGER PRIMARY KEY,
    board_id    INTEGER NOT NULL REFERENCES boards(id),
    -- Lower-case letters, digits and _, starting with a letter (checked by the import).
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    unit        TEXT NOT NULL CHECK (unit IN ('count', 'percent')),
    better      TEXT NOT NULL CHECK (better IN ('higher', 'lower', 'none')),
    theme       TEXT,
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (board_id, key)
);

CREATE TABLE indicator_figures (
    id           INTEGER PRIMARY KEY,
    board_id     INTEGER NOT NULL REFERENCES boards(id),
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    area         TEXT NOT NULL,
    -- The area folded for comparison (case and spaces), so one area is one area.
    area_key     TEXT NOT NULL,
    -- The first day of one of the board's reporting quarters.
    period       TEXT NOT NULL,
    value        INTEGER NOT NULL CHECK (value >= 0),
    denominator  INTEGER CHECK (denominator IS NULL OR (denominator > 0 AND denominator >= value)),
    note         TEXT,
    updated_at   TEXT NOT NULL,
    UNIQUE (board_id, indicator_id, area_key, period)
);
CREATE INDEX indicator_figures_by_period ON indicator_figures (board_id, period);

-- Every revision: a definition created or changed, a figure recorded or corrected. Values are
-- text as people read them ("12", "12/40"); the subject names the indicator (and for a figure
-- its area and quarter) as they were at the time.
CREATE TABLE indicator_history (
    id          INTEGER PRIMARY KEY,
    board_id    INTEGER NOT NULL REFERENCES boards(id),
    subject     TEXT NOT NULL CHECK (subject IN ('indicator', 'figure')),
    key         TEXT NOT NULL,
    area        TEXT,
    period      TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    change      TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    note        TEXT
);
CREATE INDEX indicator_history_by_time ON indicator_history (board_id, recorded_at, id);

CREATE TRIGGER indicator_history_is_append_only_update BEFORE UPDATE ON indicator_history
BEGIN
    SELECT RAISE(ABORT, 'the indicator history is append-only');
END;
CREATE TRIGGER indicator_history_is_append_only_delete BEFORE DELETE ON indicator_history
BEGIN
    SELECT RAISE(ABORT, 'the indicator history is append-only');
END;

-- Dates and instants in the stored ISO format, as everywhere else (see 20261201000011).
CREATE TRIGGER indicator_figures_dates_are_iso_insert BEFORE INSERT ON indicator_figures
WHEN (NEW.period NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.period) IS NOT NEW.period)
    OR (NEW.updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.updated_at, 1, 10)) IS NOT substr(NEW.updated_at, 1, 10))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in indicator_figures is not in the stored ISO format');
END;
CREATE TRIGGER indicator_figures_dates_are_iso_update BEFORE UPDATE ON indicator_figures
WHEN (NEW.period NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.period) IS NOT NEW.period)
    OR (NEW.updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.updated_at, 1, 10)) IS NOT substr(NEW.updated_at, 1, 10))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in indicator_figures is not in the stored ISO format');
END;
CREATE TRIGGER indicator_history_dates_are_iso_insert BEFORE INSERT ON indicator_history
WHEN (NEW.period IS NOT NULL AND (NEW.period NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.period) IS NOT NEW.period))
    OR (NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.recorded_at, 1, 10)) IS NOT substr(NEW.recorded_at, 1, 10))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in indicator_history is not in the stored ISO format');
END;
