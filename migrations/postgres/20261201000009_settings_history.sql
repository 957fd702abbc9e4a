-- Every change of a board's settings (channels, roles, time zone, schedules, reminder days,
-- webhooks, the board itself), append-only like the status history: who, when, which
-- setting, old -> new. Webhook URLs are stored redacted.
CREATE TABLE settings_changes (
    id          BIGSERIAL PRIMARY KEY,
    board_id    BIGINT NOT NULL REFERENCES boards(id),
    recorded_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    setting     TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX settings_changes_by_board ON settings_changes (board_id, id);

CREATE FUNCTION refuse_settings_history_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'settings history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER settings_changes_are_append_only
    BEFORE UPDATE OR DELETE ON settings_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_settings_history_rewrite();
CREATE TRIGGER settings_changes_are_never_truncated
    BEFORE TRUNCATE ON settings_changes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_settings_history_rewrite();
