//! The controls on a reminder message, in two clicks and a form: pick one of the message's
//! actions (a select menu), then **Update**, **Done** or **New date** on the private panel
//! that opens, then fill in the form. Each step checks again, from what its custom id
//! carries: the board, the action, the version the reminder listed, and the post it is on.
//!
//! Who may act: the officer assigned to the action, or the secretariat; anyone else is told
//! privately, naming the rule. An action closed, reassigned or given a new date since the
//! reminder gets a private note saying what changed, not a form built on what is no longer
//! so. A form calls the same service functions as `/update` and `/action extend`; then the
//! reminder message is edited in place, its line for the action saying what changed, who
//! did it and when, and the channel hears nothing more.

use poise::serenity_prelude as serenity;

use super::private;
use crate::delivery::discord::{edit_message, from_posted};
use crate::digest::render::discord::controls::{
    parse_option_value, Act, Button, ButtonStyle, ControlId, PostPart, Row, Version,
};
use crate::digest::render::discord::{mark_updated, short_date, short_local_time};
use crate::discord::access::{access_from, Access};
use crate::discord::commands::{date_option, note_option};
use crate::discord::format::{action_embed, fit};
use crate::discord::{BotError, Data};
use crate::domain::{Action, ActionStatus, Board, Ref};
use crate::services::actions::{
    change_due_date, record_action_status, ActionChange, Author, StatusChange,
};

/// The first click: an action picked from a reminder's menu opens a private panel with its
/// three buttons.
pub async fn pick(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
) -> Result<(), BotError> {
    let Some(ControlId::Pick { board, on, .. }) = ControlId::parse(&press.data.custom_id) else {
        return Ok(());
    };
    let serenity::ComponentInteractionDataKind::StringSelect { values } = &press.data.kind else {
        return Err(BotError::user("Pick one action from the list."));
    };
    let (version, reference) = values
        .first()
        .and_then(|v| parse_option_value(v))
        .ok_or_else(|| BotError::user("Pick one action from the list."))?;
    let board = board_of(data, board, press.guild_id).await?;
    let access = access_in(ctx, press.member.as_ref(), press.user.id, &board).await;
    let action = load(data, &board, &reference).await?;
    // What changed first: an officer reassigned away from it is told so, not refused.
    still_current(&action, version)?;
    may_act(access, press.user.id, &action)?;
    let today = board.settings.time_zone.today(data.clock.now());
    let button = |act: Act, style: ButtonStyle| Button {
        id: ControlId::Button {
            act,
            board: board.id,
            on,
            version,
            reference: reference.clone(),
        },
        label: act.label().to_string(),
        style,
    };
    let row = Row::Buttons(vec![
        button(Act::Update, ButtonStyle::Primary),
        button(Act::Done, ButtonStyle::Success),
        button(Act::NewDate, ButtonStyle::Secondary),
    ]);
    let panel = private(format!(
        "**{}** — update its status, mark it done, or give it a new date.",
        action.reference
    ))
    .embed(action_embed(&action, today))
    .components(crate::delivery::discord::components(&[row]));
    press
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::Message(panel),
        )
        .await?;
    Ok(())
}

/// The second click: a button on the panel opens its form.
pub async fn button(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    id: ControlId,
) -> Result<(), BotError> {
    let ControlId::Button {
        act,
        board,
        on,
        version,
        reference,
    } = id
    else {
        return Ok(());
    };
    let board = board_of(data, board, press.guild_id).await?;
    let access = access_in(ctx, press.member.as_ref(), press.user.id, &board).await;
    let action = load(data, &board, &reference).await?;
    // What changed first: an officer reassigned away from it is told so, not refused.
    still_current(&action, version)?;
    may_act(access, press.user.id, &action)?;
    let form = ControlId::Form {
        act,
        board: board.id,
        on,
        version,
        reference,
    };
    press
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::Modal(modal(form, act, &action)),
        )
        .await?;
    Ok(())
}

/// One text box of a form.
fn input(
    style: serenity::InputTextStyle,
    label: &str,
    id: &str,
    required: bool,
    max: u16,
) -> serenity::CreateActionRow {
    serenity::CreateActionRow::InputText(
        serenity::CreateInputText::new(style, label, id)
            .required(required)
            .max_length(max),
    )
}

/// The form for `act` on `action`.
fn modal(form: ControlId, act: Act, action: &Action) -> serenity::CreateModal {
    use serenity::InputTextStyle::{Paragraph, Short};
    let reference = action.reference.as_str();
    let (title, rows) = match act {
        Act::Update => (
            format!("Update {reference}"),
            vec![
                serenity::CreateActionRow::InputText(
                    serenity::CreateInputText::new(Short, "Status", "status")
                        .placeholder("not started, on track, at risk or off track")
                        .value(action.status.label())
                        .required(true)
                        .max_length(20),
                ),
                input(Paragraph, "What changed (a note)", "note", false, 1000),
                input(Short, "A link to the evidence", "evidence", false, 1000),
            ],
        ),
        Act::Done => (
            format!("Mark {reference} done"),
            vec![
                input(
                    Paragraph,
                    "What shows it is done (report, decision)",
                    "note",
                    true,
                    1000,
                ),
                input(Short, "A link to the evidence", "evidence", false, 1000),
            ],
        ),
        Act::NewDate => (
            format!("New date for {reference}"),
            vec![
                serenity::CreateActionRow::InputText(
                    serenity::CreateInputText::new(Short, "New due date", "due")
                        .placeholder("2026-03-31 or 31 Mar 2026")
                        .required(true)
                        .max_length(30),
                ),
                input(Paragraph, "Why it moved", "reason", true, 1000),
            ],
        ),
    };
    // Discord allows 45 characters in a form's title.
    serenity::CreateModal::new(form.to_string(), fit(&title, 45)).components(rows)
}

/// What a form's text box `id` holds.
fn field<'a>(submit: &'a serenity::ModalInteraction, id: &str) -> Option<&'a str> {
    submit
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .find_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) if t.custom_id == id => t.value.as_deref(),
            _ => None,
        })
}

/// The form submitted: check again, make the change through the services, answer privately,
/// then edit the reminder's line.
pub async fn form(
    ctx: &serenity::Context,
    data: &Data,
    submit: &serenity::ModalInteraction,
    id: ControlId,
) -> Result<(), BotError> {
    let ControlId::Form {
        act,
        board,
        on,
        version,
        reference,
    } = id
    else {
        return Ok(());
    };
    let board = board_of(data, board, submit.guild_id).await?;
    let access = access_in(ctx, submit.member.as_ref(), submit.user.id, &board).await;
    let action = load(data, &board, &reference).await?;
    still_current(&action, version)?;
    may_act(access, submit.user.id, &action)?;
    let by = format!("discord:{}", submit.user.id);
    let author = Author {
        by: &by,
        at: data.clock.now(),
    };
    let change = match act {
        Act::Update | Act::Done => {
            let status = match act {
                Act::Done => ActionStatus::Done,
                _ => {
                    let typed = field(submit, "status").unwrap_or("");
                    ActionStatus::parse(typed)
                        .map_err(|e| BotError::user(format!("The status: {e}.")))?
                }
            };
            let note = note_option("note", field(submit, "note"))?;
            let evidence = note_option("evidence", field(submit, "evidence"))?;
            let status_change = StatusChange {
                status,
                note: note.as_ref(),
                evidence: evidence.as_ref(),
                by_secretariat: access == Access::Admin,
            };
            record_action_status(
                &data.store,
                &board,
                &action.reference,
                &status_change,
                &author,
            )
            .await?
        }
        Act::NewDate => {
            let due = date_option("new due date", field(submit, "due").unwrap_or(""))?;
            let reason = note_option("reason", field(submit, "reason"))?
                .ok_or_else(|| BotError::user("Give the reason the due date moved."))?;
            change_due_date(
                &data.store,
                &board,
                &action.reference,
                due,
                &reason,
                &author,
            )
            .await?
        }
    };
    let today = board.settings.time_zone.today(author.at);
    let answer = private(headline(&change))
        .embed(action_embed(&change.after, today))
        .components(Vec::new());
    submit
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::Message(answer),
        )
        .await?;
    let at = short_local_time(&board.settings.time_zone, author.at);
    edit_reminder(ctx, data, on, &change, submit.user.id.get(), &at).await;
    Ok(())
}

/// What the officer is told after a change.
fn headline(change: &ActionChange) -> String {
    let (before, after) = (&change.before, &change.after);
    if before.due != after.due {
        let verb = if after.due > before.due {
            "moved later (recorded as a slip, with your reason)"
        } else {
            "brought forward"
        };
        return format!(
            "{} {verb}: due {} → {}.",
            after.reference,
            short_date(before.due),
            short_date(after.due)
        );
    }
    if after.awaiting_sign_off && !before.awaiting_sign_off {
        return format!(
            "Updated {}: {} → done. It now awaits the secretariat's sign-off; until then it \
             shows as \"done — awaiting sign-off\".",
            after.reference,
            before.status.label()
        );
    }
    if before.status == after.status {
        return format!(
            "Noted progress on {}: still {}.",
            after.reference,
            after.status.label()
        );
    }
    format!(
        "Updated {}: {} → {}.",
        after.reference,
        before.status.label(),
        after.status.label()
    )
}

/// What the reminder's line says changed.
fn line_note(change: &ActionChange) -> String {
    let (before, after) = (&change.before, &change.after);
    if before.due != after.due {
        format!(
            "due {} (was {})",
            short_date(after.due),
            short_date(before.due)
        )
    } else if before.status == after.status {
        format!("progress noted, still {}", after.status_label())
    } else {
        format!("now {}", after.status_label())
    }
}

/// Edit the reminder message the change was made from: read it back from Discord, mark the
/// action's line, and save it. The change is already saved and the officer told, so a failure
/// here is logged, not shown: the message is a courtesy, the record is the history.
async fn edit_reminder(
    ctx: &serenity::Context,
    data: &Data,
    on: PostPart,
    change: &ActionChange,
    user: u64,
    at: &str,
) {
    let result = async {
        let Some(posted) = data.store.posted_message(on.post, on.part).await? else {
            return Ok::<_, BotError>(false);
        };
        let Some(message) = posted
            .message_id
            .as_deref()
            .and_then(|m| m.parse::<u64>().ok())
            .map(serenity::MessageId::new)
        else {
            return Ok(false);
        };
        // A channel post, or a DM (which went to the reminder channel if Discord refused it).
        let mut places = Vec::new();
        if let Some(c) = posted.destination.strip_prefix("discord:") {
            places.extend(c.parse::<u64>().ok().map(serenity::ChannelId::new));
        } else if let Some(officer) = posted.destination.strip_prefix("dm:") {
            if let Ok(officer) = officer.parse::<u64>() {
                places.push(
                    crate::delivery::discord::open_dm(&ctx.http, officer)
                        .await
                        .map_err(|e| BotError::Unexpected(anyhow::anyhow!(e)))?,
                );
            }
            if let Some(board) = data.store.board_by_id(posted.board_id).await? {
                places.extend(board.chat.reminder_channel.map(serenity::ChannelId::new));
            }
        }
        let mut found = None;
        for channel in places {
            if let Ok(m) = channel.message(&ctx.http, message).await {
                found = Some((channel, m));
                break;
            }
        }
        let Some((channel, found)) = found else {
            return Ok(false);
        };
        let mut plain = from_posted(&found);
        let after = &change.after;
        let version = Version::of(after.officer.map(|o| o.get()), after.due);
        if !mark_updated(
            &mut plain,
            after.reference.as_str(),
            &line_note(change),
            user,
            at,
            version,
        ) {
            return Ok(false);
        }
        edit_message(&ctx.http, channel, message, &plain)
            .await
            .map_err(|e| BotError::Unexpected(anyhow::anyhow!(e)))?;
        Ok(true)
    }
    .await;
    match result {
        Ok(true) => {}
        Ok(false) => tracing::info!(
            post = on.post,
            part = on.part,
            reference = %change.after.reference,
            "the reminder message could not be found to mark the update on"
        ),
        Err(e) => tracing::warn!(
            post = on.post,
            part = on.part,
            reference = %change.after.reference,
            error = %e,
            "the update is saved, but the reminder message could not be edited"
        ),
    }
}

/// The board a control names, if it still exists and (when clicked in a server) belongs to it.
pub(super) async fn board_of(
    data: &Data,
    board: i64,
    guild: Option<serenity::GuildId>,
) -> Result<Board, BotError> {
    let found = data.store.board_by_id(board).await?.ok_or_else(|| {
        BotError::user("This board no longer exists here, so its controls do nothing.")
    })?;
    if let Some(guild) = guild {
        if found.chat.server_id != Some(guild.get()) {
            return Err(BotError::user(
                "This control belongs to a board linked to another server.",
            ));
        }
    }
    Ok(found)
}

/// A person's access from the member the interaction came with (none in a direct message:
/// there only the assigned officer may act).
pub(super) fn access_of(member: Option<&serenity::Member>, board: &Board) -> Access {
    member.map_or(Access::Member, |m| {
        access_from(&m.roles, m.permissions, &board.chat)
    })
}

/// A person's access on a board: from the member the interaction came with, or, for a click
/// in a direct message (which comes without one), from their membership of the board's server.
pub(super) async fn access_in(
    ctx: &serenity::Context,
    member: Option<&serenity::Member>,
    user: serenity::UserId,
    board: &Board,
) -> Access {
    if member.is_some() {
        return access_of(member, board);
    }
    let Some(server) = board.chat.server_id else {
        return Access::Member;
    };
    match serenity::GuildId::new(server).member(&ctx.http, user).await {
        Ok(m) => access_from(&m.roles, None, &board.chat),
        Err(e) => {
            tracing::info!(error = %e, "could not read the member of a DM click; treating them as a member");
            Access::Member
        }
    }
}

async fn load(data: &Data, board: &Board, reference: &str) -> Result<Action, BotError> {
    let parsed = Ref::parse(reference).map_err(|e| BotError::user(format!("The ref {e}.")))?;
    data.store.action(board.id, &parsed).await?.ok_or_else(|| {
        BotError::user(format!(
            "{reference} is no longer on this board, so there is nothing to update."
        ))
    })
}

/// Only the assigned officer (holding the officer role) or the secretariat may act on an
/// action from a reminder.
pub fn may_act(access: Access, user: serenity::UserId, action: &Action) -> Result<(), BotError> {
    let assigned = action.officer.map(|o| o.get()) == Some(user.get());
    if access == Access::Admin || (assigned && access >= Access::Officer) {
        return Ok(());
    }
    let whose = match action.officer {
        Some(officer) => format!("the officer assigned to it (<@{officer}>)"),
        None => "the officer assigned to it (it has none yet)".to_string(),
    };
    let you = if assigned {
        " You are assigned to it but do not hold the board's officer role; ask the secretariat."
    } else {
        ""
    };
    Err(BotError::Denied(format!(
        "Only {whose} or the secretariat can act on {} from a reminder.{you}",
        action.reference
    )))
}

/// Refuse a control made for the action as it no longer is: closed since, reassigned, or
/// given another due date.
pub fn still_current(action: &Action, version: Version) -> Result<(), BotError> {
    let reference = &action.reference;
    if action.status.is_closed() {
        return Err(BotError::user(format!(
            "{reference} has changed since this reminder: it is now {}. There is nothing to do \
             here; /action show {reference} has the details.",
            action.status_label()
        )));
    }
    if Version::of(action.officer.map(|o| o.get()), action.due) == version {
        return Ok(());
    }
    let now = match action.officer {
        Some(officer) => format!("assigned to <@{officer}>, due {}", short_date(action.due)),
        None => format!("unassigned, due {}", short_date(action.due)),
    };
    Err(BotError::user(format!(
        "{reference} has changed since this reminder (it is now {now}), so this reminder's \
         controls no longer fit it. Use /update or /action extend, or the next reminder."
    )))
}
