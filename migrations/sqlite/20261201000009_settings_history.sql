-- Every change of a board's settings (channels, roles, time zone, schedules, reminder days,
-- webhooks, the board itself), append-only like the status history: who, when, which
-- setting, old -> new. Webhook URLs are stored redacted.
CREATE TABLE settings_changes (
    id          INTEGER PRIMARY KEY,
    board_id    INTEGER NOT NULL REFERENCES boards(id),
    recorded_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    setting     TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX settings_changes_by_board ON settings_changes (board_id, id);

CREATE TRIGGER settings_changes_are_append_only_update BEFORE UPDATE ON settings_changes
BEGIN
    SELECT RAISE(ABORT, 'settings history is append-only');
END;
CREATE TRIGGER settings_changes_are_append_only_delete BEFORE DELETE ON settings_changes
BEGIN
    SELECT RAISE(ABORT, 'settings history is append-only');
END;
