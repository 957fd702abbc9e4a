-- Sign-off, response deadlines, and history that can rebuild the record as it stood on a date.
--
-- Boards choose whether an officer's "done" waits for the secretariat's sign-off (on by
-- default, also for boards made by earlier releases) and how many days a response to a
-- recommendation is due after its source was published (56: HMICFRS and the Domestic Abuse
-- Commissioner).
ALTER TABLE boards ADD COLUMN sign_off_required BIGINT NOT NULL DEFAULT 1;
ALTER TABLE boards ADD COLUMN response_days BIGINT NOT NULL DEFAULT 56;
-- 1 while an officer's "done" waits for sign-off. Actions closed before this release were
-- closed by the rules of their day and count as signed off.
ALTER TABLE actions ADD COLUMN awaiting_sign_off BIGINT NOT NULL DEFAULT 0;
-- Set only when the board gave a date; otherwise the due date is derived from the source's
-- publication date and the board's response_days.
ALTER TABLE recommendations ADD COLUMN response_due date;
-- Every history entry now carries the whole record as it stood just after the change (a JSON
-- array of its columns, written by the database in the same statement), so a point-in-time
-- digest reads the record as of any instant without replaying field by field. Entries made by
-- earlier releases have none; see store/as_it_stood.rs for how those are read.
ALTER TABLE status_updates ADD COLUMN record TEXT;
-- A point-in-time digest reads each record's latest entry before an instant: this index holds
-- what that needs (and, on SQLite, the entry's id, which every index carries), so it is read
-- without visiting the table.
CREATE INDEX status_updates_latest_by_subject
    ON status_updates (board_id, subject_kind, subject_id, recorded_at, id);
