//! A board's webhook destinations.

use chrono::{DateTime, Utc};

use super::{Store, StoreError};
use crate::domain::dates::timestamp_to_text;
use crate::domain::{Webhook, WebhookKind, WebhookUrl};

impl Store {
    /// A board's webhooks, by name.
    pub async fn webhooks(&self, board_id: i64) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name, kind, url FROM webhooks WHERE board_id = $1 ORDER BY name",
        )
        .bind(board_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(name, kind, url)| {
                Ok(Webhook {
                    kind: WebhookKind::parse(&kind).ok_or_else(|| {
                        StoreError::Corrupt(format!("webhook {name}: kind {kind}"))
                    })?,
                    url: WebhookUrl::parse(&url)
                        .map_err(|e| StoreError::Corrupt(format!("webhook {name}: {e}")))?,
                    name,
                })
            })
            .collect()
    }

    /// Add a webhook; false if the board already has one by that name.
    pub async fn add_webhook(
        &self,
        board_id: i64,
        webhook: &Webhook,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = sqlx::query(
            "INSERT INTO webhooks (board_id, name, kind, url, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (board_id, name) DO NOTHING",
        )
        .bind(board_id)
        .bind(&webhook.name)
        .bind(webhook.kind.as_str())
        .bind(webhook.url.expose())
        .bind(timestamp_to_text(at))
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(added.rows_affected() == 1)
    }

    /// Remove a webhook by name; false if there was none.
    pub async fn remove_webhook(&self, board_id: i64, name: &str) -> Result<bool, StoreError> {
        let removed = sqlx::query("DELETE FROM webhooks WHERE board_id = $1 AND name = $2")
            .bind(board_id)
            .bind(name)
            .execute(self.pool())
            .await
            .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(removed.rows_affected() == 1)
    }
}
