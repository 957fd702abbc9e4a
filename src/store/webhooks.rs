//! A board's webhook destinations.

use chrono::{DateTime, Utc};

use super::values::Instant;
use super::{Store, StoreError, Transaction};
use crate::domain::{Webhook, WebhookKind, WebhookUrl};

/// A stored webhook row: (name, kind, url).
fn webhook_from_row((name, kind, url): (String, String, String)) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        kind: WebhookKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("webhook {name}: kind {kind}")))?,
        url: WebhookUrl::parse(&url)
            .map_err(|e| StoreError::Corrupt(format!("webhook {name}: {e}")))?,
        name,
    })
}

impl Store {
    /// A board's webhooks, by name.
    pub async fn webhooks(&self, board_id: i64) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<(String, String, String)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT name, kind, url FROM webhooks WHERE board_id = $1 ORDER BY name",
        )
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(webhook_from_row).collect()
    }
}

impl Transaction {
    /// Add a webhook; false if the board already has one by that name.
    pub(crate) async fn add_webhook(
        &mut self,
        board_id: i64,
        webhook: &Webhook,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = on_tx!(self.driver(), |c| sqlx::query(
            "INSERT INTO webhooks (board_id, name, kind, url, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (board_id, name) DO NOTHING",
        )
        .bind(board_id)
        .bind(&webhook.name)
        .bind(webhook.kind.as_str())
        .bind(webhook.url.expose())
        .bind(Instant(at))
        .execute(c)
        .await.map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(added == 1)
    }

    /// Remove a webhook by name, returning it; None if there was none.
    pub(crate) async fn remove_webhook(
        &mut self,
        board_id: i64,
        name: &str,
    ) -> Result<Option<Webhook>, StoreError> {
        let removed: Option<(String, String, String)> = on_tx!(self.driver(), |c| sqlx::query_as(
            "DELETE FROM webhooks WHERE board_id = $1 AND name = $2 RETURNING name, kind, url",
        )
        .bind(board_id)
        .bind(name)
        .fetch_optional(c)
        .await)
        .map_err(|e| self.classify(e))?;
        removed.map(webhook_from_row).transpose()
    }
}
