-- The slip rule: an action whose due date has moved more than this many times is flagged in
-- the digest and the reminder ("moved 3 times (first due 1 Sep 2010)"). Existing boards get
-- the default.
ALTER TABLE boards ADD COLUMN flag_after_moves INTEGER NOT NULL DEFAULT 2;
