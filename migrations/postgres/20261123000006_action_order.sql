-- Lists of actions are read in due-date order, ties broken by ref, and usually only their first
-- page: with the ref in the index the database reads that page and stops, instead of sorting
-- every match.
CREATE INDEX actions_by_due_and_ref ON actions (board_id, due, ref_key);
DROP INDEX actions_by_due;
