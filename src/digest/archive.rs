//! A digest as it is posted: rendered once into every form it goes out in (JSON, Markdown, the
//! board paper, the Discord messages), archived, and sent from the archive — so what the
//! archive replays is byte for byte what was sent, and every destination of a scheduled digest
//! (Discord and each webhook, however often retried or rebuilt) gets the same digest.

use chrono::{DateTime, Utc};

use crate::digest::render::chart::digest_chart;
use crate::digest::render::discord::short_local_time;
use crate::digest::render::discord::{digest_messages, Message};
use crate::digest::render::html::digest_html;
use crate::digest::render::json::digest_json_text;
use crate::digest::render::markdown::digest_markdown;
use crate::digest::{load_digest, Digest};
use crate::domain::Board;
use crate::store::{
    ArchivedDigest, NewArchivedDigest, PostedBy, RedactionRecord, Store, StoreError,
};

/// The title a digest is sent to webhooks with.
pub fn digest_title(board: &Board, digest: &Digest) -> String {
    format!(
        "{} — quarterly VAW briefing {}",
        board.name, digest.period.label
    )
}

/// Render `digest` every way it is sent and archive it as posted at `at` (the paper's
/// "published" day is that day in the board's time zone). Returns the digest as stored: for a
/// scheduled occasion archived already, the earlier one, which is what must be sent.
pub async fn archive_posted(
    store: &Store,
    board: &Board,
    digest: &Digest,
    posted_by: &PostedBy,
    at: DateTime<Utc>,
) -> Result<ArchivedDigest, StoreError> {
    let chart = digest_chart(digest)
        .map_err(|e| tracing::warn!(board = %board.slug, error = %e, "posting the digest without its chart"))
        .ok();
    let published = board.settings.time_zone.today(at);
    let html = digest_html(digest, chart.as_deref(), published);
    let discord = serde_json::to_string(&digest_messages(digest, chart))
        .map_err(|e| StoreError::Corrupt(format!("the digest's Discord messages: {e}")))?;
    let title = digest_title(board, digest);
    store
        .archive_digest(&NewArchivedDigest {
            board_id: board.id,
            posted_by,
            period_label: &digest.period.label,
            period_start: digest.period.start,
            period_end: digest.period.end,
            as_of: digest.as_of,
            posted_at: at,
            title: &title,
            json: &digest_json_text(digest),
            markdown: &digest_markdown(digest),
            html: &html,
            discord: &discord,
        })
        .await
}

/// The scheduled digest of `occasion`, due at `due_at`: the one archived for it if it was built
/// before (by an earlier attempt, another destination or another process), else built from the
/// record as of the due day and archived now.
pub async fn scheduled_digest(
    store: &Store,
    board: &Board,
    occasion: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ArchivedDigest, StoreError> {
    if let Some(archived) = store
        .archived_digest_for_occasion(board.id, occasion)
        .await?
    {
        return Ok(archived);
    }
    let as_of = board.settings.time_zone.today(due_at);
    let digest = load_digest(store, board, as_of).await?;
    let posted_by = PostedBy::Schedule {
        occasion: occasion.to_string(),
    };
    archive_posted(store, board, &digest, &posted_by, now).await
}

/// The Discord messages of an archived digest, as they were sent.
pub fn discord_messages(archived: &ArchivedDigest) -> Result<Vec<Message>, StoreError> {
    serde_json::from_str(&archived.discord).map_err(|e| {
        StoreError::Corrupt(format!(
            "archived digest {}: its Discord messages cannot be read ({e})",
            archived.entry.id
        ))
    })
}

/// What a replay of an archived digest says when redactions rewrote it: when, by whom and
/// why text was removed (never what). `None` when it is exactly as sent.
pub fn redaction_notice(redactions: &[RedactionRecord], board: &Board) -> Option<String> {
    if redactions.is_empty() {
        return None;
    }
    let each: Vec<String> = redactions
        .iter()
        .map(|r| {
            format!(
                "on {} by {} ({})",
                short_local_time(&board.settings.time_zone, r.redacted_at),
                r.actor,
                r.reason
            )
        })
        .collect();
    Some(format!(
        "Redacted: text in this archived digest was replaced by [redacted] after it was sent, {}.",
        each.join("; ")
    ))
}

/// The Markdown of an archived digest as a replay shows it: with the redaction notice first
/// when it was redacted.
pub fn markdown_with_notice(markdown: &str, notice: Option<&str>) -> String {
    match notice {
        Some(notice) => format!(
            "> {}\n\n{markdown}",
            crate::digest::render::markdown::escape(notice)
        ),
        None => markdown.to_string(),
    }
}

/// The board paper of an archived digest as a replay shows it: with the redaction notice at
/// the top of the page when it was redacted.
pub fn html_with_notice(html: &str, notice: Option<&str>) -> String {
    let Some(notice) = notice else {
        return html.to_string();
    };
    let note = format!(
        "<p class=\"redaction-notice\" role=\"note\" style=\"border:2px solid #6A1B9A;\
         padding:0.5em\">{}</p>",
        crate::digest::render::html::escape(notice)
    );
    match html
        .find("<body")
        .and_then(|at| html[at..].find('>').map(|end| at + end + 1))
    {
        Some(at) => format!("{}{note}{}", &html[..at], &html[at..]),
        None => format!("{note}{html}"),
    }
}
