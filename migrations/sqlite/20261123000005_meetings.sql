-- Board meetings and the boroughs presenting at each (the board hears two boroughs a meeting).
-- A short brief of the presenting boroughs' action plans is posted some days before.
CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    board_id   INTEGER NOT NULL REFERENCES boards(id),
    held_on    TEXT NOT NULL,
    title      TEXT NOT NULL,
    -- Presenting boroughs, one per line.
    boroughs   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (board_id, held_on)
);
ALTER TABLE boards ADD COLUMN meeting_brief_days INTEGER NOT NULL DEFAULT 7;
