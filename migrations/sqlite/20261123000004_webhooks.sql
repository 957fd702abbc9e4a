-- Slack and Microsoft Teams incoming webhooks a board mirrors its digest to. The URL is a
-- secret (anyone holding it can post to the channel): it is stored, never logged or shown.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    board_id   INTEGER NOT NULL REFERENCES boards(id),
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('slack', 'teams')),
    url        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (board_id, name)
);
