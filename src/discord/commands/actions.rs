//! Actions: look them up, list them, update them, move their due dates, add and edit them.

use poise::serenity_prelude as serenity;

use super::{
    author_tag, autocomplete_action, autocomplete_recommendation, date_option, note_option,
    private, ref_option, text_option, StatusChoice,
};
use crate::discord::access::{may_change_action, require, Access};
use crate::discord::format::{
    self, action_embed, action_status_line, history_line, list_reply, no_pings,
};
use crate::discord::{current_board, telemetry, BotError, Context};
use crate::domain::{Action, ActionStatus, OfficerId, Ref, SubjectKind, Text};
use crate::services::actions::{
    add_action, assign_officer, change_due_date, edit_action, record_action_status, reopen_action,
    sign_off_action, ActionEdits, Author, StatusChange,
};
use crate::store::ActionFilter;

/// The action a command names, or an error saying how to find the right ref.
async fn find_action(ctx: Context<'_>, board_id: i64, reference: &Ref) -> Result<Action, BotError> {
    ctx.data().store.action(board_id, reference).await?.ok_or_else(|| {
        BotError::user(format!(
            "There is no action {reference} on this board. Check the ref; /action list shows them all."
        ))
    })
}

/// The full list as CSV (the import format), attached when a list is too long for one message.
fn actions_csv(actions: &[Action]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = crate::services::export::write_actions_csv(
        actions,
        crate::domain::spreadsheet::Cells::SpreadsheetSafe,
        &mut out,
    );
    out
}

/// Actions: show, list, add, edit, assign, extend, sign off, reopen.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "show", "list", "extend", "add", "edit", "assign", "sign_off", "reopen"
    ),
    subcommand_required
)]
pub async fn action(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Show one action in full.
#[poise::command(slash_command, guild_only)]
pub async fn show(
    ctx: Context<'_>,
    #[description = "The action's ref (type to search by ref or title)"]
    #[autocomplete = "autocomplete_action"]
    action: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let reference = ref_option(&action)?;
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let found = find_action(ctx, board.id, &reference).await?;
    ctx.send(
        poise::CreateReply::default()
            .embed(action_embed(&found, today))
            .ephemeral(true)
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}

/// List actions, most urgent first, with optional filters.
#[poise::command(slash_command, guild_only)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only this owner (part of the name is enough)"] owner: Option<String>,
    #[description = "Only this borough"] borough: Option<String>,
    #[description = "Only this status"] status: Option<StatusChoice>,
    #[description = "Only overdue actions"] overdue: Option<bool>,
    #[description = "Only done actions waiting for the secretariat's sign-off"]
    awaiting_sign_off: Option<bool>,
    #[description = "Attach the whole list as a CSV file"] full: Option<bool>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let filter = ActionFilter {
        owner,
        borough,
        status: status.map(ActionStatus::from),
        overdue_on: overdue.unwrap_or(false).then_some(today),
        awaiting_sign_off: awaiting_sign_off.unwrap_or(false),
        ..Default::default()
    };
    let reply = listing(
        ctx,
        &board,
        filter,
        full.unwrap_or(false),
        "actions",
        "No actions match those filters.",
        "/action list … full:True attaches them all.",
    )
    .await?;
    ctx.send(reply).await?;
    Ok(())
}

/// Most lists show this many; a message has room for about this many lines, so reading more
/// would only slow the reply down.
const SHOWN: u32 = 60;

/// A list of actions: the most urgent [`SHOWN`] and the total, or (with `full`) all of them
/// with the whole list attached as CSV.
async fn listing(
    ctx: Context<'_>,
    board: &crate::domain::Board,
    mut filter: ActionFilter,
    full: bool,
    noun: &str,
    empty: &str,
    how_to_get_all: &str,
) -> Result<poise::CreateReply, BotError> {
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let store = &ctx.data().store;
    if !full {
        filter.limit = Some(SHOWN);
    }
    let actions = store.find_actions(board.id, &filter).await?;
    let total = if full || actions.len() < SHOWN as usize {
        actions.len()
    } else {
        store.count_actions(board.id, &filter).await?
    };
    let lines: Vec<String> = actions
        .iter()
        .map(|a| action_status_line(a, today))
        .collect();
    let attachment = full.then(|| (format!("{noun}.csv"), actions_csv(&actions)));
    Ok(list_reply(
        &format!("{total} {noun}"),
        &lines,
        total,
        empty,
        attachment,
        how_to_get_all,
    ))
}

/// Every overdue action on the board, most overdue first.
#[poise::command(slash_command, guild_only)]
pub async fn overdue(
    ctx: Context<'_>,
    #[description = "Attach the whole list as a CSV file"] full: Option<bool>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let filter = ActionFilter {
        overdue_on: Some(today),
        ..Default::default()
    };
    let noun = format!("overdue actions as of {}", format::short_date(today));
    let reply = listing(
        ctx,
        &board,
        filter,
        full.unwrap_or(false),
        &noun,
        "Nothing is overdue. 🎉",
        "/overdue full:True attaches them all.",
    )
    .await?;
    ctx.send(reply).await?;
    Ok(())
}

/// The actions assigned to you.
#[poise::command(slash_command, guild_only)]
pub async fn mine(
    ctx: Context<'_>,
    #[description = "Attach the whole list as a CSV file"] full: Option<bool>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let filter = ActionFilter {
        officer: Some(OfficerId::new(ctx.author().id.get())),
        open_only: true,
        ..Default::default()
    };
    let reply = listing(
        ctx,
        &board,
        filter,
        full.unwrap_or(false),
        "open actions assigned to you",
        "You have no open actions assigned to you.",
        "/mine full:True attaches them all.",
    )
    .await?;
    ctx.send(reply).await?;
    Ok(())
}

/// Every change ever made to an action or recommendation.
#[poise::command(slash_command, guild_only)]
pub async fn history(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "An action or recommendation ref"]
    #[autocomplete = "autocomplete_action"]
    reference: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let reference = ref_option(&reference)?;
    let store = &ctx.data().store;
    let mut entries = store
        .history_of(board.id, SubjectKind::Action, &reference)
        .await?;
    if entries.is_empty() {
        entries = store
            .history_of(board.id, SubjectKind::Recommendation, &reference)
            .await?;
    }
    if entries.is_empty() {
        return Err(BotError::user(format!(
            "There is no action or recommendation {reference} on this board. Check the ref."
        )));
    }
    let tz = &board.settings.time_zone;
    let lines: Vec<String> = entries.iter().map(|e| history_line(e, tz)).collect();
    let full = (
        format!("history-{reference}.md"),
        lines.join("\n").into_bytes(),
    );
    let reply = list_reply(
        &format!(
            "History of {reference} ({} entries, times in {})",
            entries.len(),
            tz.name()
        ),
        &lines,
        lines.len(),
        "No history yet.",
        Some(full),
        "",
    );
    ctx.send(reply).await?;
    Ok(())
}

/// A note for closing an action, typed in a box with room for detail.
#[derive(Debug, poise::Modal)]
#[name = "What shows this is finished?"]
struct ClosingNote {
    #[name = "Note (evidence, decision, report)"]
    #[paragraph]
    #[max_length = 1000]
    note: String,
}

/// Update an action's status, with a note and an evidence link.
#[poise::command(slash_command, guild_only)]
pub async fn update(
    ctx: Context<'_>,
    #[description = "The action (type to search by ref or title)"]
    #[autocomplete = "autocomplete_action"]
    action: String,
    #[description = "Its new status"] status: StatusChoice,
    #[description = "What changed; needed to close an action (leave empty to type a long one)"]
    #[max_length = 1000]
    note: Option<String>,
    #[description = "A link to the evidence"]
    #[max_length = 1000]
    evidence: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let access = require(ctx, &board, Access::Officer).await?;
    let reference = ref_option(&action)?;
    let store = &ctx.data().store;
    let current = find_action(ctx, board.id, &reference).await?;
    may_change_action(access, ctx.author().id, &current, &board)?;
    let status = ActionStatus::from(status);
    let mut note = note_option("note", note.as_deref())?;
    let evidence = note_option("evidence", evidence.as_deref())?;
    if status.is_closed() && note.is_none() {
        // Closing needs a note; offer a box with room for one rather than an error.
        if let poise::Context::Application(app) = ctx {
            use poise::Modal as _;
            match telemetry::waiting_for_person(ctx, ClosingNote::execute(app)).await? {
                Some(modal) => note = note_option("note", Some(&modal.note))?,
                None => return Ok(()),
            }
        }
    }
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let status_change = StatusChange {
        status,
        note: note.as_ref(),
        evidence: evidence.as_ref(),
        by_secretariat: access == Access::Admin,
    };
    let change = record_action_status(store, &board, &reference, &status_change, &author).await?;
    let today = board.settings.time_zone.today(author.at);
    let headline = if change.after.awaiting_sign_off && !change.before.awaiting_sign_off {
        format!(
            "Updated {}: {} → done. It now awaits the secretariat's sign-off; until then it \
             shows as \"done — awaiting sign-off\".",
            change.after.reference,
            change.before.status.label(),
        )
    } else if change.before.status == change.after.status {
        format!(
            "Noted progress on {}: still {}.",
            change.after.reference,
            change.after.status.label()
        )
    } else {
        format!(
            "Updated {}: {} → {}.",
            change.after.reference,
            change.before.status.label(),
            change.after.status.label()
        )
    };
    ctx.send(private(headline).embed(action_embed(&change.after, today)))
        .await?;
    Ok(())
}

/// Move an action's due date, giving the reason (it shows as slipped in the next digest).
#[poise::command(slash_command, guild_only)]
pub async fn extend(
    ctx: Context<'_>,
    #[description = "The action"]
    #[autocomplete = "autocomplete_action"]
    action: String,
    #[description = "New due date: 2026-03-31 or 31 Mar 2026"] new_due: String,
    #[description = "Why it moved"]
    #[max_length = 1000]
    reason: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let access = require(ctx, &board, Access::Officer).await?;
    let reference = ref_option(&action)?;
    let new_due = date_option("new_due", &new_due)?;
    let reason = note_option("reason", Some(&reason))?
        .ok_or_else(|| BotError::user("Give the reason the due date moved."))?;
    let store = &ctx.data().store;
    let current = find_action(ctx, board.id, &reference).await?;
    may_change_action(access, ctx.author().id, &current, &board)?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = change_due_date(store, &board, &reference, new_due, &reason, &author).await?;
    let verb = if change.after.due > change.before.due {
        "moved later (slipped)"
    } else {
        "brought forward"
    };
    ctx.send(private(format!(
        "{} {verb}: due {} → {}.",
        change.after.reference,
        format::short_date(change.before.due),
        format::short_date(change.after.due)
    )))
    .await?;
    Ok(())
}

/// Add an action (secretariat).
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn add(
    ctx: Context<'_>,
    #[rename = "ref"]
    #[description = "A new ref, e.g. BEX-07"]
    reference: String,
    #[description = "What will be done"]
    #[max_length = 200]
    title: String,
    #[description = "The unit or borough team that owns it"]
    #[max_length = 100]
    owner: String,
    #[description = "Due date: 2026-03-31 or 31 Mar 2026"] due: String,
    #[description = "The recommendation it serves"]
    #[autocomplete = "autocomplete_recommendation"]
    recommendation: Option<String>,
    #[description = "The borough, for a borough action plan item"]
    #[max_length = 100]
    borough: Option<String>,
    #[description = "The officer who will update it"] officer: Option<serenity::User>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let action = Action {
        reference: ref_option(&reference)?,
        recommendation: recommendation.as_deref().map(ref_option).transpose()?,
        title: text_option("title", &title, Text::TITLE_MAX)?
            .as_str()
            .to_string(),
        owner: text_option("owner", &owner, Text::NAME_MAX)?
            .as_str()
            .to_string(),
        borough: borough
            .as_deref()
            .map(|b| text_option("borough", b, Text::NAME_MAX).map(|t| t.as_str().to_string()))
            .transpose()?,
        officer: officer.map(|u| OfficerId::new(u.id.get())),
        due: date_option("due", &due)?,
        status: ActionStatus::NotStarted,
        completed_on: None,
        awaiting_sign_off: false,
    };
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let added = add_action(&ctx.data().store, &board, &action, &author).await?;
    let today = board.settings.time_zone.today(author.at);
    ctx.send(private(format!("Added {}.", added.reference)).embed(action_embed(&added, today)))
        .await?;
    Ok(())
}

/// Edit an action's title, owner, borough or recommendation (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn edit(
    ctx: Context<'_>,
    #[description = "The action"]
    #[autocomplete = "autocomplete_action"]
    action: String,
    #[description = "New title"]
    #[max_length = 200]
    title: Option<String>,
    #[description = "New owner"]
    #[max_length = 100]
    owner: Option<String>,
    #[description = "New borough (\"none\" to clear)"]
    #[max_length = 100]
    borough: Option<String>,
    #[description = "New recommendation ref (\"none\" to unlink)"]
    #[autocomplete = "autocomplete_recommendation"]
    recommendation: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&action)?;
    let clearable = |v: &str| v.trim().eq_ignore_ascii_case("none");
    let edits = ActionEdits {
        title: title
            .as_deref()
            .map(|t| text_option("title", t, Text::TITLE_MAX))
            .transpose()?,
        owner: owner
            .as_deref()
            .map(|o| text_option("owner", o, Text::NAME_MAX))
            .transpose()?,
        borough: match borough.as_deref() {
            Some(b) if clearable(b) => Some(None),
            Some(b) => Some(Some(text_option("borough", b, Text::NAME_MAX)?)),
            None => None,
        },
        recommendation: match recommendation.as_deref() {
            Some(r) if clearable(r) => Some(None),
            Some(r) => Some(Some(ref_option(r)?)),
            None => None,
        },
    };
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = edit_action(&ctx.data().store, &board, &reference, &edits, &author).await?;
    let today = board.settings.time_zone.today(author.at);
    ctx.send(
        private(format!("Edited {}.", change.after.reference))
            .embed(action_embed(&change.after, today)),
    )
    .await?;
    Ok(())
}

/// Assign an action to an officer, or unassign it (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn assign(
    ctx: Context<'_>,
    #[description = "The action"]
    #[autocomplete = "autocomplete_action"]
    action: String,
    #[description = "The officer (leave empty to unassign)"] officer: Option<serenity::User>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&action)?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let officer = officer.map(|u| OfficerId::new(u.id.get()));
    let change = assign_officer(&ctx.data().store, &board, &reference, officer, &author).await?;
    let text = match change.after.officer {
        Some(id) => format!("{} is now assigned to <@{id}>.", change.after.reference),
        None => format!("{} is now unassigned.", change.after.reference),
    };
    ctx.send(private(text)).await?;
    Ok(())
}

/// Sign off a done action: the secretariat has seen what shows it is done (secretariat).
#[poise::command(slash_command, guild_only, rename = "sign-off")]
pub async fn sign_off(
    ctx: Context<'_>,
    #[description = "The done action (type to search by ref or title)"]
    #[autocomplete = "autocomplete_action"]
    action: String,
    #[description = "What the secretariat checked (the evidence, the decision)"]
    #[max_length = 1000]
    note: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&action)?;
    let note = note_option("note", Some(&note))?
        .ok_or_else(|| BotError::user("The note is empty; say what you checked."))?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = sign_off_action(&ctx.data().store, &board, &reference, &note, &author).await?;
    let today = board.settings.time_zone.today(author.at);
    ctx.send(
        private(format!("Signed off {}: done.", change.after.reference))
            .embed(action_embed(&change.after, today)),
    )
    .await?;
    Ok(())
}

/// Reopen a done action, saying why: it returns to an open status (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn reopen(
    ctx: Context<'_>,
    #[description = "The done action (type to search by ref or title)"]
    #[autocomplete = "autocomplete_action"]
    action: String,
    #[description = "Why it is not done after all"]
    #[max_length = 1000]
    reason: String,
    #[description = "The status it returns to (default: on track)"] status: Option<StatusChoice>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&action)?;
    let reason = note_option("reason", Some(&reason))?
        .ok_or_else(|| BotError::user("The reason is empty; say why it is being reopened."))?;
    let status = status
        .map(ActionStatus::from)
        .unwrap_or(ActionStatus::OnTrack);
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = reopen_action(
        &ctx.data().store,
        &board,
        &reference,
        status,
        &reason,
        &author,
    )
    .await?;
    let today = board.settings.time_zone.today(author.at);
    ctx.send(
        private(format!(
            "Reopened {}: done → {}. Its completion date is cleared.",
            change.after.reference,
            change.after.status.label()
        ))
        .embed(action_embed(&change.after, today)),
    )
    .await?;
    Ok(())
}
