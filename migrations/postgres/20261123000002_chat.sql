-- Where a board lives in chat: the Discord server (guild) bound to it, the channels it posts
-- to, and the roles that make someone an officer or an admin. Ids are Discord snowflakes kept
-- as text, as in the SQLite schema.

ALTER TABLE boards ADD COLUMN guild_id TEXT;
ALTER TABLE boards ADD COLUMN digest_channel_id TEXT;
ALTER TABLE boards ADD COLUMN reminder_channel_id TEXT;
ALTER TABLE boards ADD COLUMN officer_role_id TEXT;
ALTER TABLE boards ADD COLUMN admin_role_id TEXT;
ALTER TABLE boards ADD COLUMN officers_update_any BIGINT NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX boards_by_guild ON boards (guild_id);
