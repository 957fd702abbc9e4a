//! Setting up boards for tests through the same service the bot and CLI use, so every test
//! board has its settings history like a real one.

use chrono::{DateTime, Utc};

use briefing_bot::domain::Webhook;
use briefing_bot::domain::{Board, BoardSettings, BoardSlug, ChatSettings};
use briefing_bot::services::actions::Author;
use briefing_bot::services::settings::{add_webhook, change_board};
use briefing_bot::services::ServiceError;
use briefing_bot::store::Store;

fn author(at: DateTime<Utc>) -> Author<'static> {
    Author { by: "test", at }
}

/// Create a board as the secretariat would.
pub async fn create_board(
    store: &Store,
    slug: &BoardSlug,
    name: &str,
    settings: &BoardSettings,
    at: DateTime<Utc>,
) -> Result<Board, ServiceError> {
    briefing_bot::services::settings::create_board(store, slug, name, settings, &author(at)).await
}

/// Replace where a board lives in chat.
pub async fn set_chat(store: &Store, board_id: i64, chat: &ChatSettings) {
    change_board(store, board_id, &author(Utc::now()), |b| {
        b.chat = chat.clone();
        Ok(())
    })
    .await
    .expect("chat settings saved");
}

/// Replace a board's settings.
pub async fn set_settings(store: &Store, board_id: i64, settings: &BoardSettings) {
    change_board(store, board_id, &author(Utc::now()), |b| {
        b.settings = settings.clone();
        Ok(())
    })
    .await
    .expect("settings saved");
}

/// Add a webhook to a board.
pub async fn webhook(store: &Store, board: &Board, hook: &Webhook) {
    add_webhook(store, board, hook, &author(Utc::now()))
        .await
        .expect("webhook added");
}
