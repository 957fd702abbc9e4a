-- Dates and instants stay fixed-format ISO text on SQLite (text order is time order), and the
-- schema now refuses any other text, as a CHECK constraint would: a date is YYYY-MM-DD and an
-- instant RFC 3339 UTC with microseconds (2010-02-01T09:00:00.000000Z), on a real calendar day.
-- Triggers rather than CHECK, because SQLite cannot add a constraint to an existing table without rebuilding it.
CREATE TRIGGER boards_dates_are_iso_insert BEFORE INSERT ON boards
WHEN (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in boards is not in the stored ISO format');
END;
CREATE TRIGGER boards_dates_are_iso_update BEFORE UPDATE ON boards
WHEN (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in boards is not in the stored ISO format');
END;
CREATE TRIGGER sources_dates_are_iso_insert BEFORE INSERT ON sources
WHEN (NEW.published_on IS NOT NULL AND (NEW.published_on NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.published_on) IS NOT NEW.published_on))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in sources is not in the stored ISO format');
END;
CREATE TRIGGER sources_dates_are_iso_update BEFORE UPDATE ON sources
WHEN (NEW.published_on IS NOT NULL AND (NEW.published_on NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.published_on) IS NOT NEW.published_on))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in sources is not in the stored ISO format');
END;
CREATE TRIGGER recommendations_dates_are_iso_insert BEFORE INSERT ON recommendations
WHEN (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
    OR (NEW.updated_at IS NOT NULL AND (NEW.updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.updated_at, 1, 10)) IS NOT substr(NEW.updated_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in recommendations is not in the stored ISO format');
END;
CREATE TRIGGER recommendations_dates_are_iso_update BEFORE UPDATE ON recommendations
WHEN (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
    OR (NEW.updated_at IS NOT NULL AND (NEW.updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.updated_at, 1, 10)) IS NOT substr(NEW.updated_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in recommendations is not in the stored ISO format');
END;
CREATE TRIGGER actions_dates_are_iso_insert BEFORE INSERT ON actions
WHEN (NEW.due IS NOT NULL AND (NEW.due NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.due) IS NOT NEW.due))
    OR (NEW.completed_on IS NOT NULL AND (NEW.completed_on NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.completed_on) IS NOT NEW.completed_on))
    OR (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
    OR (NEW.updated_at IS NOT NULL AND (NEW.updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.updated_at, 1, 10)) IS NOT substr(NEW.updated_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in actions is not in the stored ISO format');
END;
CREATE TRIGGER actions_dates_are_iso_update BEFORE UPDATE ON actions
WHEN (NEW.due IS NOT NULL AND (NEW.due NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.due) IS NOT NEW.due))
    OR (NEW.completed_on IS NOT NULL AND (NEW.completed_on NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.completed_on) IS NOT NEW.completed_on))
    OR (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
    OR (NEW.updated_at IS NOT NULL AND (NEW.updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.updated_at, 1, 10)) IS NOT substr(NEW.updated_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in actions is not in the stored ISO format');
END;
CREATE TRIGGER status_updates_dates_are_iso_insert BEFORE INSERT ON status_updates
WHEN (NEW.recorded_at IS NOT NULL AND (NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.recorded_at, 1, 10)) IS NOT substr(NEW.recorded_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in status_updates is not in the stored ISO format');
END;
CREATE TRIGGER status_updates_dates_are_iso_update BEFORE UPDATE ON status_updates
WHEN (NEW.recorded_at IS NOT NULL AND (NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.recorded_at, 1, 10)) IS NOT substr(NEW.recorded_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in status_updates is not in the stored ISO format');
END;
CREATE TRIGGER scheduled_posts_dates_are_iso_insert BEFORE INSERT ON scheduled_posts
WHEN (NEW.due_at IS NOT NULL AND (NEW.due_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.due_at, 1, 10)) IS NOT substr(NEW.due_at, 1, 10)))
    OR (NEW.lease_until IS NOT NULL AND (NEW.lease_until NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.lease_until, 1, 10)) IS NOT substr(NEW.lease_until, 1, 10)))
    OR (NEW.finished_at IS NOT NULL AND (NEW.finished_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.finished_at, 1, 10)) IS NOT substr(NEW.finished_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in scheduled_posts is not in the stored ISO format');
END;
CREATE TRIGGER scheduled_posts_dates_are_iso_update BEFORE UPDATE ON scheduled_posts
WHEN (NEW.due_at IS NOT NULL AND (NEW.due_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.due_at, 1, 10)) IS NOT substr(NEW.due_at, 1, 10)))
    OR (NEW.lease_until IS NOT NULL AND (NEW.lease_until NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.lease_until, 1, 10)) IS NOT substr(NEW.lease_until, 1, 10)))
    OR (NEW.finished_at IS NOT NULL AND (NEW.finished_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.finished_at, 1, 10)) IS NOT substr(NEW.finished_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in scheduled_posts is not in the stored ISO format');
END;
CREATE TRIGGER delivery_attempts_dates_are_iso_insert BEFORE INSERT ON delivery_attempts
WHEN (NEW.attempted_at IS NOT NULL AND (NEW.attempted_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.attempted_at, 1, 10)) IS NOT substr(NEW.attempted_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in delivery_attempts is not in the stored ISO format');
END;
CREATE TRIGGER delivery_attempts_dates_are_iso_update BEFORE UPDATE ON delivery_attempts
WHEN (NEW.attempted_at IS NOT NULL AND (NEW.attempted_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.attempted_at, 1, 10)) IS NOT substr(NEW.attempted_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in delivery_attempts is not in the stored ISO format');
END;
CREATE TRIGGER webhooks_dates_are_iso_insert BEFORE INSERT ON webhooks
WHEN (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in webhooks is not in the stored ISO format');
END;
CREATE TRIGGER webhooks_dates_are_iso_update BEFORE UPDATE ON webhooks
WHEN (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in webhooks is not in the stored ISO format');
END;
CREATE TRIGGER meetings_dates_are_iso_insert BEFORE INSERT ON meetings
WHEN (NEW.held_on IS NOT NULL AND (NEW.held_on NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.held_on) IS NOT NEW.held_on))
    OR (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in meetings is not in the stored ISO format');
END;
CREATE TRIGGER meetings_dates_are_iso_update BEFORE UPDATE ON meetings
WHEN (NEW.held_on IS NOT NULL AND (NEW.held_on NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR date(NEW.held_on) IS NOT NEW.held_on))
    OR (NEW.created_at IS NOT NULL AND (NEW.created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.created_at, 1, 10)) IS NOT substr(NEW.created_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in meetings is not in the stored ISO format');
END;
CREATE TRIGGER gateway_leases_dates_are_iso_insert BEFORE INSERT ON gateway_leases
WHEN (NEW.expires_at IS NOT NULL AND (NEW.expires_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.expires_at, 1, 10)) IS NOT substr(NEW.expires_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in gateway_leases is not in the stored ISO format');
END;
CREATE TRIGGER gateway_leases_dates_are_iso_update BEFORE UPDATE ON gateway_leases
WHEN (NEW.expires_at IS NOT NULL AND (NEW.expires_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.expires_at, 1, 10)) IS NOT substr(NEW.expires_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in gateway_leases is not in the stored ISO format');
END;
CREATE TRIGGER settings_changes_dates_are_iso_insert BEFORE INSERT ON settings_changes
WHEN (NEW.recorded_at IS NOT NULL AND (NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.recorded_at, 1, 10)) IS NOT substr(NEW.recorded_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in settings_changes is not in the stored ISO format');
END;
CREATE TRIGGER settings_changes_dates_are_iso_update BEFORE UPDATE ON settings_changes
WHEN (NEW.recorded_at IS NOT NULL AND (NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' OR date(substr(NEW.recorded_at, 1, 10)) IS NOT substr(NEW.recorded_at, 1, 10)))
BEGIN
    SELECT RAISE(ABORT, 'a date or time in settings_changes is not in the stored ISO format');
END;
