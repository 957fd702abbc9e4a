//! Configuring a board — creating it, its channels, roles, time zone, schedules, reminder days
//! and webhooks — with an append-only audit entry for every setting that changes: who, when,
//! which setting, old → new. Each change reads the board inside its own transaction, so two
//! secretaries changing different settings at once both keep their change.

use super::actions::Author;
use super::ServiceError;
use crate::domain::settings_history::{changed_settings, BOARD_CREATED, WEBHOOK};
use crate::domain::Webhook;
use crate::domain::{Board, BoardSettings, BoardSlug, SettingChange};
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
