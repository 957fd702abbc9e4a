//! Finding the board a command is about, and creating boards.

use super::actions::Author;
use super::ServiceError;
use crate::domain::{Board, BoardSettings, BoardSlug};
use crate::store::Store;

fn slugs(boards: &[Board]) -> String {
    boards
        .iter()
        .map(|b| b.slug.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The board a command names, or the only board when it names none.
pub async fn resolve_board(store: &Store, slug: Option<&BoardSlug>) -> Result<Board, ServiceError> {
    match slug {
        Some(slug) => match store.board(slug).await? {
            Some(board) => Ok(board),
            None => {
                let boards = store.boards().await?;
                Err(ServiceError::rejected(if boards.is_empty() {
                    format!(
                        "there is no board {slug}: the database has no boards yet. Create it with \
                         `briefing-bot boards create {slug}` or by importing into it"
                    )
                } else {
                    format!(
                        "there is no board {slug}; the boards are: {}. Check the spelling, or \
                         create it with `briefing-bot boards create {slug}`",
                        slugs(&boards)
                    )
                }))
            }
        },
        None => {
            let mut boards = store.boards().await?;
            match boards.len() {
                1 => Ok(boards.remove(0)),
                0 => Err(ServiceError::rejected(
                    "the database has no boards yet; import into one with --board SLUG (it is \
                     created on first import), or run `briefing-bot demo` for the sample board",
                )),
                _ => Err(ServiceError::rejected(format!(
                    "the database holds several boards ({}); say which with --board SLUG",
                    slugs(&boards)
                ))),
            }
        }
    }
}

/// Create a board, refusing a slug that is taken; its creation is the first entry of its
/// settings history.
pub async fn create_board(
    store: &Store,
    slug: &BoardSlug,
    name: Option<&str>,
    settings: &BoardSettings,
    author: &Author<'_>,
) -> Result<Board, ServiceError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| default_name(slug));
    super::settings::create_board(store, slug, &name, settings, author).await
}

pub(crate) fn default_name(slug: &BoardSlug) -> String {
    slug.as_str().to_uppercase()
}
