//! The slash commands, one file per feature. Each parses its options into domain types, checks
//! who may run it, calls a service and replies; none holds business logic.
//!
//! | who         | commands |
//! |-------------|----------|
//! | members     | `/action show|list`, `/rec show|list`, `/overdue`, `/mine`, `/history`, `/meeting list|brief`, `/indicator list|show`, `/digest preview`, `/help` |
//! | officers    | `/update`, `/action extend` (their own actions, or any if the board allows), `/notify dm|show` |
//! | secretariat | `/rec add|edit|respond|close`, `/action add|edit|assign`, `/meeting add`, `/digest post`, `/import`, `/export`, `/setup`, `/board`, `/redact` |

pub mod actions;
pub mod digest;
pub mod help;
pub mod indicators;
pub mod meetings;
pub mod notify;
pub mod recommendations;
pub mod records;
pub mod redact;
pub mod setup;

use poise::serenity_prelude as serenity;

use super::{current_board, BotError, Context, Data};
use crate::domain::{parse_date, ActionStatus, RecommendationStatus, Ref, Response, Text};

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, BotError>> {
    vec![
        actions::action(),
        actions::update(),
        actions::overdue(),
        actions::mine(),
        actions::history(),
        recommendations::rec(),
        digest::digest(),
        records::import(),
        records::export(),
        setup::setup(),
        setup::board(),
        meetings::meeting(),
        redact::redact(),
        notify::notify(),
        indicators::indicator(),
        help::help(),
    ]
}

/// Action status as a slash-command choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum StatusChoice {
    #[name = "not started"]
    NotStarted,
    #[name = "on track"]
    OnTrack,
    #[name = "at risk"]
    AtRisk,
    #[name = "off track"]
    OffTrack,
    #[name = "done"]
    Done,
    #[name = "dropped"]
    Dropped,
}

impl From<StatusChoice> for ActionStatus {
    fn from(choice: StatusChoice) -> Self {
        match choice {
            StatusChoice::NotStarted => ActionStatus::NotStarted,
            StatusChoice::OnTrack => ActionStatus::OnTrack,
            StatusChoice::AtRisk => ActionStatus::AtRisk,
            StatusChoice::OffTrack => ActionStatus::OffTrack,
            StatusChoice::Done => ActionStatus::Done,
            StatusChoice::Dropped => ActionStatus::Dropped,
        }
    }
}

/// Recommendation status as a choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RecStatusChoice {
    #[name = "open"]
    Open,
    #[name = "implemented"]
    Implemented,
    #[name = "not implemented"]
    NotImplemented,
    #[name = "superseded"]
    Superseded,
}

impl From<RecStatusChoice> for RecommendationStatus {
    fn from(choice: RecStatusChoice) -> Self {
        match choice {
            RecStatusChoice::Open => RecommendationStatus::Open,
            RecStatusChoice::Implemented => RecommendationStatus::Implemented,
            RecStatusChoice::NotImplemented => RecommendationStatus::NotImplemented,
            RecStatusChoice::Superseded => RecommendationStatus::Superseded,
        }
    }
}

/// Response to a recommendation as a choice.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ResponseChoice {
    #[name = "pending"]
    Pending,
    #[name = "accepted"]
    Accepted,
    #[name = "partially accepted"]
    PartiallyAccepted,
    #[name = "rejected"]
    Rejected,
}

impl From<ResponseChoice> for Response {
    fn from(choice: ResponseChoice) -> Self {
        match choice {
            ResponseChoice::Pending => Response::Pending,
            ResponseChoice::Accepted => Response::Accepted,
            ResponseChoice::PartiallyAccepted => Response::PartiallyAccepted,
            ResponseChoice::Rejected => Response::Rejected,
        }
    }
}

/// A ref option, with the fix in the message.
pub fn ref_option(value: &str) -> Result<Ref, BotError> {
    Ref::parse(value).map_err(|e| BotError::user(format!("The ref {e}.")))
}

/// A date option: `2026-03-31` or `31 Mar 2026`.
pub fn date_option(name: &str, value: &str) -> Result<chrono::NaiveDate, BotError> {
    parse_date(value).map_err(|e| BotError::user(format!("{name}: {e}")))
}

/// A free-text option (title, owner …): one line, bounded.
pub fn text_option(name: &str, value: &str, max: usize) -> Result<Text, BotError> {
    Text::line(value, max).map_err(|e| BotError::user(format!("The {name} {e}.")))
}

/// An optional note or evidence link.
pub fn note_option(name: &str, value: Option<&str>) -> Result<Option<Text>, BotError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Text::multiline(v, Text::NOTE_MAX)
            .map(Some)
            .map_err(|e| BotError::user(format!("The {name} {e}."))),
        None => Ok(None),
    }
}

/// Autocomplete for action refs: matches the ref or words of the title.
pub async fn autocomplete_action(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    autocomplete(ctx, partial, false).await
}

/// Autocomplete for recommendation refs.
pub async fn autocomplete_recommendation(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    autocomplete(ctx, partial, true).await
}

async fn autocomplete(
    ctx: Context<'_>,
    partial: &str,
    recommendations: bool,
) -> serenity::CreateAutocompleteResponse {
    let choices = match current_board(ctx).await {
        Ok(board) => {
            let store = &ctx.data().store;
            let found = if recommendations {
                store.search_recommendations(board.id, partial, 25).await
            } else {
                store.search_actions(board.id, partial, 25).await
            };
            found
                .unwrap_or_default()
                .into_iter()
                .map(|(reference, title)| {
                    // Choice names are at most 100 characters; the value is the bare ref.
                    let name = super::format::fit(&format!("{reference} — {title}"), 100);
                    serenity::AutocompleteChoice::new(name, reference)
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// A private reply that pings nobody.
pub fn private(text: impl Into<String>) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(super::format::fit(
            &text.into(),
            super::format::limits::CONTENT,
        ))
        .ephemeral(true)
        .allowed_mentions(super::format::no_pings())
}

/// Who made a change, as the history records it.
pub fn author_tag(ctx: Context<'_>) -> String {
    format!("discord:{}", ctx.author().id)
}
