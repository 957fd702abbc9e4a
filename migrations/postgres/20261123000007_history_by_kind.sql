-- The digest reads a few kinds of change (due-date moves, recommendations created or closed)
-- over a quarter; without this index it walks every entry of the quarter, most of them status
-- updates.
CREATE INDEX status_updates_by_kind_and_time ON status_updates (board_id, change_kind, recorded_at);
