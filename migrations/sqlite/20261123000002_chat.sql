-- Where a board lives in chat: the Discord server (guild) bound to it, the channels it posts
-- to, and the roles that make someone an officer or an admin. Ids are Discord snowflakes kept
-- as text (they exceed what some clients read as a signed 64-bit number).

ALTER TABLE boards ADD COLUMN guild_id TEXT;
ALTER TABLE boards ADD COLUMN digest_channel_id TEXT;
ALTER TABLE boards ADD COLUMN reminder_channel_id TEXT;
ALTER TABLE boards ADD COLUMN officer_role_id TEXT;
ALTER TABLE boards ADD COLUMN admin_role_id TEXT;
-- 1 lets any officer update any action; 0 (the default) only the actions assigned to them.
ALTER TABLE boards ADD COLUMN officers_update_any INTEGER NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX boards_by_guild ON boards (guild_id);
