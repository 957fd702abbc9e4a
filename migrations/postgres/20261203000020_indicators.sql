-- The board's monitoring figures: indicator definitions, one figure per indicator, area and
-- reporting quarter, and the append-only history of every revision of either (who, when,
-- old → new), so a figure the secretariat corrects keeps what it said before.
--
-- Boards also choose how the monitoring section reads: how far an area's figure must move the
-- wrong way to be reported as an exception (a percentage, and for counts an absolute change),
-- whether small numbers are hidden in what people see (on by default: figures about violence
-- against women in one borough can identify people), and which indicators the trend chart
-- draws (empty: all of them).
ALTER TABLE boards ADD COLUMN exception_percent BIGINT NOT NULL DEFAULT 10;
ALTER TABLE boards ADD COLUMN exception_min_count BIGINT NOT NULL DEFAULT 5;
ALTER TABLE boards ADD COLUMN hide_small_numbers BIGINT NOT NULL DEFAULT 1;
ALTER TABLE boards ADD COLUMN trend_indicators TEXT NOT NULL DEFAULT '';

CREATE TABLE indicators (
    id          BIGSERIAL PRIMARY KEY,
    board_id    BIGINT NOT NULL REFERENCES boards(id),
    -- Lower-case letters, digits and _, starting with a letter (checked by the import).
    key         TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    unit        TEXT NOT NULL CHECK (unit IN ('count', 'percent')),
    better      TEXT NOT NULL CHECK (better IN ('higher', 'lower', 'none')),
    theme       TEXT,
    description TEXT,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (board_id, key)
);

CREATE TABLE indicator_figures (
    id           BIGSERIAL PRIMARY KEY,
    board_id     BIGINT NOT NULL REFERENCES boards(id),
    indicator_id BIGINT NOT NULL REFERENCES indicators(id),
    area         TEXT NOT NULL,
    -- The area folded for comparison (case and spaces), so one area is one area.
    area_key     TEXT COLLATE "C" NOT NULL,
    -- The first day of one of the board's reporting quarters.
    period       date NOT NULL,
    value        BIGINT NOT NULL CHECK (value >= 0),
    denominator  BIGINT CHECK (denominator IS NULL OR (denominator > 0 AND denominator >= value)),
    note         TEXT,
    updated_at   timestamptz NOT NULL,
    UNIQUE (board_id, indicator_id, area_key, period)
);
CREATE INDEX indicator_figures_by_period ON indicator_figures (board_id, period);

-- Every revision: a definition created or changed, a figure recorded or corrected. Values are
-- text as people read them ("12", "12/40"); the subject names the indicator (and for a figure
-- its area and quarter) as they were at the time.
CREATE TABLE indicator_history (
    id          BIGSERIAL PRIMARY KEY,
    board_id    BIGINT NOT NULL REFERENCES boards(id),
    subject     TEXT NOT NULL CHECK (subject IN ('indicator', 'figure')),
    key         TEXT NOT NULL,
    area        TEXT,
    period      date,
    recorded_at timestamptz NOT NULL,
    recorded_by TEXT NOT NULL,
    change      TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    note        TEXT
);
CREATE INDEX indicator_history_by_time ON indicator_history (board_id, recorded_at, id);

CREATE FUNCTION refuse_indicator_history_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the indicator history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER indicator_history_is_append_only
    BEFORE UPDATE OR DELETE ON indicator_history
    FOR EACH ROW EXECUTE FUNCTION refuse_indicator_history_rewrite();
CREATE TRIGGER indicator_history_is_never_truncated
    BEFORE TRUNCATE ON indicator_history
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_indicator_history_rewrite();
