-- Nudges: a follow-up this many days after a reminder, only to the officers who have not
-- updated the actions it listed for them since, saying what is still outstanding. 0 is off,
-- the default: existing boards get no nudges until they ask for them.
ALTER TABLE boards ADD COLUMN nudge_after_days BIGINT NOT NULL DEFAULT 0;
