//! Configuring a board — creating it, its channels, roles, time zone, schedules, reminder days
//! and webhooks — with an append-only audit entry for every setting that changes: who, when,
//! which setting, old → new. Each change reads the board inside its own transaction, so two
//! secretaries changing different settings at once both keep their change. Posting schedules
//! are checked before they are saved: none that posts more than once an hour (unless the
//! deployment allows it) and none that never fires again.

use chrono::{DateTime, Utc};

use super::actions::Author;
use super::ServiceError;
use crate::config::ScheduleSettings;
use crate::domain::settings_history::{changed_settings, BOARD_CREATED, WEBHOOK};
use crate::domain::Webhook;
use crate::domain::{
    format_long_date, Board, BoardSettings, BoardSlug, Schedule, SettingChange, TimeZone,
};
use crate::store::{retry_conflicts, Store, Transaction};

/// A board before and after a change, and the entries recorded for it (none when the change
/// set every setting to what it already was).
#[derive(Debug, Clone)]
pub struct BoardChange {
    pub before: Board,
    pub after: Board,
    pub recorded: Vec<SettingChange>,
}

fn entry(
    author: &Author<'_>,
    setting: &str,
    old: Option<String>,
    new: Option<String>,
) -> SettingChange {
    SettingChange {
        at: author.at,
        by: author.by.to_string(),
        setting: setting.to_string(),
        old_value: old,
        new_value: new,
    }
}

/// Change a board: `edit` is applied to the board as it is now (read in the transaction) and
/// may refuse. Every setting that differs afterwards is recorded.
pub async fn change_board(
    store: &Store,
    board_id: i64,
    author: &Author<'_>,
    edit: impl Fn(&mut Board) -> Result<(), ServiceError>,
) -> Result<BoardChange, ServiceError> {
    let edit = &edit;
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let before = tx
            .board_by_id(board_id)
            .await?
            .ok_or_else(|| ServiceError::rejected("the board was removed while you changed it"))?;
        let mut after = before.clone();
        edit(&mut after)?;
        let recorded: Vec<SettingChange> = changed_settings(&before, &after)
            .into_iter()
            .map(|(setting, old, new)| entry(author, setting, old, new))
            .collect();
        if !recorded.is_empty() {
            tx.update_board(&after).await?;
            tx.append_setting_changes(board_id, &recorded).await?;
        }
        tx.commit().await?;
        Ok(BoardChange {
            before,
            after,
            recorded,
        })
    })
    .await
}

/// New posting schedules for a board; `None` keeps the one it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSchedules {
    pub digest: Option<Schedule>,
    pub reminder: Option<Schedule>,
}

impl NewSchedules {
    /// Each schedule given, with the post it is for ("digest", "reminder").
    pub fn given(&self) -> impl Iterator<Item = (&'static str, &Schedule)> {
        [("digest", &self.digest), ("reminder", &self.reminder)]
            .into_iter()
            .filter_map(|(what, schedule)| schedule.as_ref().map(|s| (what, s)))
    }
}

/// Whether `schedule` may be the board's `what` ("digest", "reminder") schedule, for a board
/// in `zone` at `now`. Refused, with what it would do and what was probably meant: one that
/// would post more than once an hour (each post can ping every officer), unless
/// `schedule.allow_frequent` is on; and one that never fires again, which would silently end
/// the board's posts.
pub fn check_schedule(
    what: &str,
    schedule: &Schedule,
    zone: &TimeZone,
    now: DateTime<Utc>,
    rules: &ScheduleSettings,
) -> Result<(), ServiceError> {
    if let Some(frequent) = rules.refuses(schedule) {
        return Err(ServiceError::rejected(format!(
            "the {what} schedule {frequent} A {what} may be posted at most once an hour."
        )));
    }
    if schedule.next_after(zone, now).is_none() {
        return Err(ServiceError::rejected(format!(
            "the {what} schedule `{}` never fires after {}: no date to come matches its day, \
             month, weekday (and year) fields; check them, e.g. `0 0 9 * * Mon` for Mondays \
             09:00",
            schedule.written(),
            format_long_date(zone.today(now)),
        )));
    }
    Ok(())
}

/// Set the board's digest and reminder schedules, each checked by [`check_schedule`] in the
/// board's time zone as it is when the change is saved.
pub async fn change_schedules(
    store: &Store,
    board_id: i64,
    author: &Author<'_>,
    schedules: &NewSchedules,
    rules: &ScheduleSettings,
) -> Result<BoardChange, ServiceError> {
    change_board(store, board_id, author, |board| {
        for (what, schedule) in schedules.given() {
            check_schedule(what, schedule, &board.settings.time_zone, author.at, rules)?;
        }
        if let Some(digest) = &schedules.digest {
            board.settings.digest_schedule = digest.clone();
        }
        if let Some(reminder) = &schedules.reminder {
            board.settings.reminder_schedule = reminder.clone();
        }
        Ok(())
    })
    .await
}

/// Create a board inside `tx` and record its creation, so a board exists only with its first
/// history entry.
pub(crate) async fn create_board_in(
    tx: &mut Transaction,
    slug: &BoardSlug,
    name: &str,
    settings: &BoardSettings,
    author: &Author<'_>,
) -> Result<Board, ServiceError> {
    let board = tx.create_board(slug, name, settings, author.at).await?;
    let created = entry(
        author,
        BOARD_CREATED,
        None,
        Some(format!("{} ({name})", slug.as_str())),
    );
    tx.append_setting_changes(board.id, &[created]).await?;
    Ok(board)
}

/// Create a board, refusing a slug that is taken.
pub async fn create_board(
    store: &Store,
    slug: &BoardSlug,
    name: &str,
    settings: &BoardSettings,
    author: &Author<'_>,
) -> Result<Board, ServiceError> {
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        if tx.board(slug).await?.is_some() {
            return Err(ServiceError::rejected(format!(
                "a board called {slug} already exists; pick another slug"
            )));
        }
        let board = create_board_in(&mut tx, slug, name, settings, author).await?;
        tx.commit().await?;
        Ok(board)
    })
    .await
}

/// How a webhook reads in the history: its kind and redacted URL, never the secret URL.
fn describe_webhook(webhook: &Webhook) -> String {
    format!("{} {}", webhook.kind.as_str(), webhook.url.redacted())
}

/// Add a webhook the digest is mirrored to; refuses a name the board already uses.
pub async fn add_webhook(
    store: &Store,
    board: &Board,
    webhook: &Webhook,
    author: &Author<'_>,
) -> Result<(), ServiceError> {
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        if !tx.add_webhook(board.id, webhook, author.at).await? {
            return Err(ServiceError::rejected(format!(
                "there is already a webhook called {}; remove it first or pick another name",
                webhook.name
            )));
        }
        let added = entry(
            author,
            &format!("{WEBHOOK} {}", webhook.name),
            None,
            Some(describe_webhook(webhook)),
        );
        tx.append_setting_changes(board.id, &[added]).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Remove a webhook by name; refuses a name the board does not have.
pub async fn remove_webhook(
    store: &Store,
    board: &Board,
    name: &str,
    author: &Author<'_>,
) -> Result<(), ServiceError> {
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let Some(removed) = tx.remove_webhook(board.id, name).await? else {
            return Err(ServiceError::rejected(format!(
                "there is no webhook called {name}; /setup webhook list shows them"
            )));
        };
        let removed = entry(
            author,
            &format!("{WEBHOOK} {name}"),
            Some(describe_webhook(&removed)),
            None,
        );
        tx.append_setting_changes(board.id, &[removed]).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}
