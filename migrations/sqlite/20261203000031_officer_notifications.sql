-- How each officer of a board wants their reminders: by direct message (dm = 1) or in the
-- channel (no row, or dm = 0). fallback_told_at is when the officer was told, once, that Discord
-- refused their DM and the reminder went to the channel instead.
CREATE TABLE officer_notifications (
    board_id         INTEGER NOT NULL REFERENCES boards(id),
    officer_id       TEXT NOT NULL,
    dm               INTEGER NOT NULL DEFAULT 0,
    changed_at       TEXT NOT NULL,
    fallback_told_at TEXT,
    PRIMARY KEY (board_id, officer_id)
);
