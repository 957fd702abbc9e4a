//! Recommendations: look them up and list them; the secretariat adds, edits, records the
//! response and closes them (closing needs a note saying what evidence shows it).

use super::{
    author_tag, autocomplete_recommendation, date_option, note_option, private, ref_option,
    text_option, RecStatusChoice, ResponseChoice,
};
use crate::discord::access::{require, Access};
use crate::discord::format::{escape, fit, list_reply, no_pings, recommendation_embed};
use crate::discord::{current_board, BotError, Context};
use crate::domain::{Priority, Recommendation, RecommendationStatus, Ref, Response, Source, Text};
use crate::services::actions::{
    add_recommendation, edit_recommendation, reopen_recommendation, set_recommendation_response,
    set_recommendation_status, Author, RecommendationEdits,
};

async fn load(
    ctx: Context<'_>,
    board_id: i64,
    reference: &Ref,
) -> Result<Recommendation, BotError> {
    ctx.data()
        .store
        .recommendation(board_id, reference)
        .await?
        .ok_or_else(|| BotError::user(format!("There is no recommendation {reference} on this board. Check the ref; /rec list shows them all.")))
}

/// Recommendations: show, list, add, edit, respond, close.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("show", "list", "add", "edit", "respond", "close", "reopen"),
    subcommand_required
)]
pub async fn rec(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Show a recommendation with its actions.
#[poise::command(slash_command, guild_only)]
pub async fn show(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "The recommendation (type to search by ref or title)"]
    #[autocomplete = "autocomplete_recommendation"]
    reference: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let reference = ref_option(&reference)?;
    let rec = load(ctx, board.id, &reference).await?;
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let actions: Vec<_> = ctx
        .data()
        .store
        .actions(board.id)
        .await?
        .into_iter()
        .filter(|a| {
            a.recommendation
                .as_ref()
                .is_some_and(|r| r.as_str().eq_ignore_ascii_case(rec.reference.as_str()))
        })
        .collect();
    ctx.send(
        poise::CreateReply::default()
            .embed(recommendation_embed(&rec, &actions, today))
            .ephemeral(true)
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}

/// List recommendations, optionally only those with one status.
#[poise::command(slash_command, guild_only)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only this status"] status: Option<RecStatusChoice>,
    #[description = "Only priority recommendations"] priority: Option<bool>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let wanted = status.map(RecommendationStatus::from);
    let recs: Vec<Recommendation> = ctx
        .data()
        .store
        .recommendations(board.id)
        .await?
        .into_iter()
        .filter(|r| wanted.is_none_or(|s| r.status == s))
        .filter(|r| !priority.unwrap_or(false) || r.priority.0)
        .collect();
    let lines: Vec<String> = recs
        .iter()
        .map(|r| {
            format!(
                "`{}` {}{} — {} · {}",
                r.reference,
                if r.priority.0 { "★ " } else { "" },
                escape(&fit(&r.title, 90)),
                r.status.label(),
                r.response.label()
            )
        })
        .collect();
    let mut csv = Vec::new();
    let _ = crate::services::export::write_recommendations_csv(
        &recs,
        crate::domain::spreadsheet::Cells::SpreadsheetSafe,
        &mut csv,
    );
    let reply = list_reply(
        &format!("{} recommendations", recs.len()),
        &lines,
        lines.len(),
        "No recommendations match.",
        Some(("recommendations.csv".into(), csv)),
        "",
    );
    ctx.send(reply).await?;
    Ok(())
}

/// Add a recommendation (secretariat).
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn add(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "A new ref, e.g. DSVB-2011-01"]
    reference: String,
    #[description = "Short title"]
    #[max_length = 200]
    title: String,
    #[description = "The full text"]
    #[max_length = 4000]
    text: Option<String>,
    #[description = "The document that made it"]
    #[max_length = 200]
    source: Option<String>,
    #[description = "Theme (e.g. domestic abuse, data recording)"]
    #[max_length = 100]
    theme: Option<String>,
    #[description = "The accountable body (e.g. MPS)"]
    #[max_length = 100]
    owner: Option<String>,
    #[description = "A board priority?"] priority: Option<bool>,
    #[description = "When the response is due (default: the board's response days after the source)"]
    response_due: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let optional =
        |name: &str, value: Option<&str>, max: usize| -> Result<Option<String>, BotError> {
            value
                .map(|v| text_option(name, v, max).map(|t| t.as_str().to_string()))
                .transpose()
        };
    let rec = Recommendation {
        reference: ref_option(&reference)?,
        title: text_option("title", &title, Text::TITLE_MAX)?
            .as_str()
            .to_string(),
        text: text
            .as_deref()
            .map(|t| Text::multiline(t, Text::BODY_MAX).map(|t| t.as_str().to_string()))
            .transpose()
            .map_err(|e| BotError::user(format!("The text {e}.")))?,
        source: optional("source", source.as_deref(), Text::TITLE_MAX)?.map(|title| Source {
            title,
            published_on: None,
        }),
        theme: optional("theme", theme.as_deref(), Text::NAME_MAX)?,
        owner: optional("owner", owner.as_deref(), Text::NAME_MAX)?,
        priority: Priority(priority.unwrap_or(false)),
        response: Response::Pending,
        status: RecommendationStatus::Open,
        response_due: response_due
            .as_deref()
            .map(|d| date_option("response_due", d))
            .transpose()?,
    };
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let added = add_recommendation(&ctx.data().store, &board, &rec, &author).await?;
    let today = board.settings.time_zone.today(author.at);
    ctx.send(
        private(format!("Added {}.", added.reference)).embed(recommendation_embed(
            &added,
            &[],
            today,
        )),
    )
    .await?;
    Ok(())
}

/// Edit a recommendation's title, text, theme, owner or priority (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn edit(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "The recommendation"]
    #[autocomplete = "autocomplete_recommendation"]
    reference: String,
    #[description = "New title"]
    #[max_length = 200]
    title: Option<String>,
    #[description = "New full text"]
    #[max_length = 4000]
    text: Option<String>,
    #[description = "New theme"]
    #[max_length = 100]
    theme: Option<String>,
    #[description = "New accountable body"]
    #[max_length = 100]
    owner: Option<String>,
    #[description = "A board priority?"] priority: Option<bool>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&reference)?;
    let edits = RecommendationEdits {
        title: title
            .as_deref()
            .map(|t| text_option("title", t, Text::TITLE_MAX))
            .transpose()?,
        text: text
            .as_deref()
            .map(|t| Text::multiline(t, Text::BODY_MAX))
            .transpose()
            .map_err(|e| BotError::user(format!("The text {e}.")))?,
        theme: theme
            .as_deref()
            .map(|t| text_option("theme", t, Text::NAME_MAX))
            .transpose()?,
        owner: owner
            .as_deref()
            .map(|o| text_option("owner", o, Text::NAME_MAX))
            .transpose()?,
        priority,
    };
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change =
        edit_recommendation(&ctx.data().store, &board, &reference, &edits, &author).await?;
    ctx.send(private(format!("Edited {}.", change.after.reference)))
        .await?;
    Ok(())
}

/// Record the accountable body's response (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn respond(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "The recommendation"]
    #[autocomplete = "autocomplete_recommendation"]
    reference: String,
    #[description = "The response"] response: ResponseChoice,
    #[description = "A note (e.g. where the response was published)"]
    #[max_length = 1000]
    note: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&reference)?;
    let note = note_option("note", note.as_deref())?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = set_recommendation_response(
        &ctx.data().store,
        &board,
        &reference,
        response.into(),
        note.as_ref(),
        &author,
    )
    .await?;
    ctx.send(private(format!(
        "{}: response {} → {}.",
        change.after.reference,
        change.before.response.label(),
        change.after.response.label()
    )))
    .await?;
    Ok(())
}

/// Close (or reopen) a recommendation; closing needs a note saying what evidence shows it.
#[poise::command(slash_command, guild_only)]
pub async fn close(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "The recommendation"]
    #[autocomplete = "autocomplete_recommendation"]
    reference: String,
    #[description = "Its new status"] status: RecStatusChoice,
    #[description = "What evidence shows it"]
    #[max_length = 1000]
    note: String,
    #[description = "A link to the evidence"]
    #[max_length = 1000]
    evidence: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&reference)?;
    let note = note_option("note", Some(&note))?;
    let evidence = note_option("evidence", evidence.as_deref())?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = set_recommendation_status(
        &ctx.data().store,
        &board,
        &reference,
        status.into(),
        note.as_ref(),
        evidence.as_ref(),
        &author,
    )
    .await?;
    ctx.send(private(format!(
        "{}: {} → {}.",
        change.after.reference,
        change.before.status.label(),
        change.after.status.label()
    )))
    .await?;
    Ok(())
}

/// Reopen a closed recommendation, saying why (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn reopen(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "The closed recommendation"]
    #[autocomplete = "autocomplete_recommendation"]
    reference: String,
    #[description = "Why it is open again"]
    #[max_length = 1000]
    reason: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&reference)?;
    let reason = note_option("reason", Some(&reason))?
        .ok_or_else(|| BotError::user("The reason is empty; say why it is being reopened."))?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change =
        reopen_recommendation(&ctx.data().store, &board, &reference, &reason, &author).await?;
    ctx.send(private(format!(
        "Reopened {}: {} → open.",
        change.after.reference,
        change.before.status.label()
    )))
    .await?;
    Ok(())
}
