-- Dates and instants become real date and timestamptz columns: the database itself then
-- refuses a malformed one, compares them as times, and other tools read them as such.
-- The stored text (YYYY-MM-DD, RFC 3339 UTC) converts exactly.
ALTER TABLE boards
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE sources
    ALTER COLUMN published_on TYPE date USING published_on::date;
ALTER TABLE recommendations
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE actions
    ALTER COLUMN due TYPE date USING due::date,
    ALTER COLUMN completed_on TYPE date USING completed_on::date,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE status_updates
    ALTER COLUMN recorded_at TYPE timestamptz USING recorded_at::timestamptz;
ALTER TABLE scheduled_posts
    ALTER COLUMN due_at TYPE timestamptz USING due_at::timestamptz,
    ALTER COLUMN lease_until TYPE timestamptz USING lease_until::timestamptz,
    ALTER COLUMN finished_at TYPE timestamptz USING finished_at::timestamptz;
ALTER TABLE delivery_attempts
    ALTER COLUMN attempted_at TYPE timestamptz USING attempted_at::timestamptz;
ALTER TABLE webhooks
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE meetings
    ALTER COLUMN held_on TYPE date USING held_on::date,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE gateway_leases
    ALTER COLUMN expires_at TYPE timestamptz USING expires_at::timestamptz;
ALTER TABLE settings_changes
    ALTER COLUMN recorded_at TYPE timestamptz USING recorded_at::timestamptz;
