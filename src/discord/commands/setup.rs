//! `/setup` (the secretariat configures the board) and `/board` (shows the settings).

use poise::serenity_prelude as serenity;

use super::{author_tag, private};
use crate::discord::access::{check_bot_can_post, require, Access};
use crate::discord::format::{list_reply, no_pings, setting_line};
use crate::discord::{current_board, telemetry, BotError, Context};
use crate::domain::{
    Board, BoardSlug, Schedule, TimeZone, Webhook, WebhookKind, WebhookUrl, YearStartMonth,
};
use crate::services::actions::Author;
use crate::services::settings::{self, change_board, NewSchedules};
use crate::services::ServiceError;

/// Configure the board for this server: which board, channels, roles, time zone, reminders.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "link",
        "channels",
        "roles",
        "timezone",
        "reminders",
        "officers",
        "records",
        "schedule",
        "webhook",
        "history",
        "super::indicators::setup_monitoring"
    ),
    subcommand_required
)]
pub async fn setup(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Apply `edit` to the board as it is now and record every setting it changes, as this person.
async fn save(
    ctx: Context<'_>,
    board: &Board,
    edit: impl Fn(&mut Board),
) -> Result<Board, BotError> {
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change = change_board(&ctx.data().store, board.id, &author, |b| {
        edit(b);
        Ok(())
    })
    .await?;
    // Channels, the time zone, schedules and the catch-up window all change when or where a
    // post goes; waking costs one pass over the boards, so wake on every saved change.
    ctx.data().schedule_changed.wake();
    Ok(change.after)
}

/// Whether the person may manage this server (needed before any board is linked).
async fn manages_server(ctx: Context<'_>) -> bool {
    ctx.author_member()
        .await
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.administrator() || p.manage_guild())
}

/// Link this server to a board, creating the board if it is new.
#[poise::command(slash_command, guild_only, rename = "board")]
pub async fn link(
    ctx: Context<'_>,
    #[description = "The board's short name, e.g. dsvb (lower-case letters, digits, hyphens)"]
    slug: String,
    #[description = "The board's full name, for a new board"]
    #[max_length = 100]
    name: Option<String>,
) -> Result<(), BotError> {
    let guild = ctx
        .guild_id()
        .ok_or_else(|| BotError::user("Use this in the board's server."))?;
    let store = &ctx.data().store;
    let current = store.board_for_server(guild.get()).await?;
    let allowed = match &current {
        Some(board) => require(ctx, board, Access::Admin).await.is_ok(),
        None => manages_server(ctx).await,
    };
    if !allowed {
        return Err(BotError::Denied(
            "Linking this server to a board needs the Manage Server permission (or the board's admin role).".into(),
        ));
    }
    let slug =
        BoardSlug::parse(&slug).map_err(|e| BotError::user(format!("The board name {e}.")))?;
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let board = match store.board(&slug).await? {
        Some(board) => board,
        None => {
            crate::services::boards::create_board(
                store,
                &slug,
                name.as_deref(),
                &ctx.data().new_board_settings,
                &author,
            )
            .await?
        }
    };
    if board.chat.server_id.is_some_and(|s| s != guild.get()) {
        return Err(BotError::user(format!(
            "Board {slug} is already linked to another Discord server. Each board lives in one server; pick another short name."
        )));
    }
    if let Some(previous) = current.filter(|b| b.id != board.id) {
        change_board(store, previous.id, &author, |b| {
            b.chat.server_id = None;
            Ok(())
        })
        .await?;
    }
    let server = guild.get();
    let board = change_board(store, board.id, &author, |b| {
        if b.chat.server_id.is_some_and(|s| s != server) {
            return Err(ServiceError::rejected(format!(
                "board {} was linked to another Discord server a moment ago; pick another short name",
                b.slug
            )));
        }
        b.chat.server_id = Some(server);
        Ok(())
    })
    .await?
    .after;
    crate::discord::telemetry::note_board(ctx, board.slug.as_str()).await;
    ctx.send(private(format!(
        "This server is now linked to board {} ({}). Next: `/setup channels`, `/setup roles`.",
        board.slug, board.name
    )))
    .await?;
    Ok(())
}

/// Choose where the digest and reminders are posted.
#[poise::command(slash_command, guild_only)]
pub async fn channels(
    ctx: Context<'_>,
    #[description = "Where the quarterly digest is posted"]
    #[channel_types("Text")]
    digest: Option<serenity::GuildChannel>,
    #[description = "Where reminders are posted"]
    #[channel_types("Text")]
    reminders: Option<serenity::GuildChannel>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    if digest.is_none() && reminders.is_none() {
        return Err(BotError::user(
            "Give a digest channel, a reminders channel, or both.",
        ));
    }
    for channel in digest.iter().chain(reminders.iter()) {
        check_bot_can_post(ctx, channel.id)?;
    }
    let (digest, reminders) = (digest.map(|c| c.id.get()), reminders.map(|c| c.id.get()));
    let board = save(ctx, &board, |b| {
        b.chat.digest_channel = digest.or(b.chat.digest_channel);
        b.chat.reminder_channel = reminders.or(b.chat.reminder_channel);
    })
    .await?;
    ctx.send(private(format!("Channels saved.\n{}", describe(&board))))
        .await?;
    Ok(())
}

/// Choose the roles that make someone an officer or the secretariat.
#[poise::command(slash_command, guild_only)]
pub async fn roles(
    ctx: Context<'_>,
    #[description = "Officers update the actions assigned to them"] officer: Option<serenity::Role>,
    #[description = "The secretariat: loads records and configures the board"] admin: Option<
        serenity::Role,
    >,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    if officer.is_none() && admin.is_none() {
        return Err(BotError::user(
            "Give an officer role, an admin role, or both.",
        ));
    }
    let (officer, admin) = (officer.map(|r| r.id.get()), admin.map(|r| r.id.get()));
    let board = save(ctx, &board, |b| {
        b.chat.officer_role = officer.or(b.chat.officer_role);
        b.chat.admin_role = admin.or(b.chat.admin_role);
    })
    .await?;
    ctx.send(private(format!("Roles saved.\n{}", describe(&board))))
        .await?;
    Ok(())
}

/// Set the board's time zone and the month its reporting year starts.
#[poise::command(slash_command, guild_only)]
pub async fn timezone(
    ctx: Context<'_>,
    #[description = "IANA time zone, e.g. Europe/London"] zone: String,
    #[description = "Month (1–12) the reporting year starts; 4 = April"]
    #[min = 1]
    #[max = 12]
    year_start_month: Option<u32>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let zone = TimeZone::parse(&zone).map_err(|e| BotError::user(format!("{e}.")))?;
    let month = year_start_month
        .map(YearStartMonth::new)
        .transpose()
        .map_err(|e| BotError::user(format!("{e}.")))?;
    let board = save(ctx, &board, |b| {
        b.settings.time_zone = zone;
        b.settings.year_start_month = month.unwrap_or(b.settings.year_start_month);
    })
    .await?;
    ctx.send(private(format!("Time zone saved.\n{}", describe(&board))))
        .await?;
    Ok(())
}

/// Set how far ahead reminders look and when overdue actions escalate.
#[poise::command(slash_command, guild_only)]
pub async fn reminders(
    ctx: Context<'_>,
    #[description = "Remind of actions due within this many days (default 14)"]
    #[min = 0]
    #[max = 90]
    due_within_days: Option<u32>,
    #[description = "Escalate to admins when overdue by more than this many days (default 28)"]
    #[min = 1]
    #[max = 365]
    escalate_after_days: Option<u32>,
    #[description = "Flag an action whose due date has moved more than this many times (default 2)"]
    #[min = 1]
    #[max = 50]
    flag_after_moves: Option<u32>,
    #[description = "Nudge officers who have not updated their actions this many days after a reminder (0: off)"]
    #[min = 0]
    #[max = 30]
    nudge_after_days: Option<u32>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let board = save(ctx, &board, |b| {
        if let Some(days) = nudge_after_days {
            b.settings.nudge_after_days = (days > 0).then_some(days);
        }
        b.settings.remind_before_days = due_within_days.unwrap_or(b.settings.remind_before_days);
        b.settings.escalate_after_days =
            escalate_after_days.unwrap_or(b.settings.escalate_after_days);
        b.settings.flag_after_moves = flag_after_moves.unwrap_or(b.settings.flag_after_moves);
    })
    .await?;
    let overtaken = board
        .settings
        .nudges_overtaken(ctx.data().clock.now())
        .map(|next| {
            format!(
                "\n⚠ Reminders go out again within {} days (next after that on {}), so no nudge \
                 would ever be sent: the next reminder lists again what is outstanding. Choose \
                 fewer days, or reminders less often.",
                board.settings.nudge_after_days.unwrap_or_default(),
                next.format("%-d %b %Y")
            )
        })
        .unwrap_or_default();
    ctx.send(private(format!(
        "Reminder settings saved.{overtaken}\n{}",
        describe(&board)
    )))
    .await?;
    Ok(())
}

/// Let officers update any action, or only those assigned to them.
#[poise::command(slash_command, guild_only)]
pub async fn officers(
    ctx: Context<'_>,
    #[description = "True: officers may update any action. False: only their own."]
    update_any: bool,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let board = save(ctx, &board, |b| b.chat.officers_update_any = update_any).await?;
    ctx.send(private(format!("Saved.\n{}", describe(&board))))
        .await?;
    Ok(())
}

/// Whether an officer's "done" waits for sign-off, and how long responses may take.
#[poise::command(slash_command, guild_only)]
pub async fn records(
    ctx: Context<'_>,
    #[description = "True: an officer's done waits for the secretariat's /action sign-off"]
    sign_off_required: Option<bool>,
    #[description = "Days after a source is published that a response is due (default 56)"]
    #[min = 0]
    #[max = 365]
    response_days: Option<u32>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let board = save(ctx, &board, |b| {
        b.settings.sign_off_required = sign_off_required.unwrap_or(b.settings.sign_off_required);
        b.settings.response_days = response_days.unwrap_or(b.settings.response_days);
    })
    .await?;
    ctx.send(private(format!(
        "Record settings saved.\n{}",
        describe(&board)
    )))
    .await?;
    Ok(())
}

/// How long a schedule preview waits for Save or Cancel: well inside the 15 minutes Discord
/// lets the bot edit its reply.
const CONFIRM_WAIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Set when the digest and reminders are posted (cron in the board's time zone).
///
/// Nothing is saved at once: a schedule that cannot be saved is refused with the reason and
/// what was probably meant, and one that can is shown as its next three times in board time,
/// with Save and Cancel buttons.
#[poise::command(slash_command, guild_only)]
pub async fn schedule(
    ctx: Context<'_>,
    #[description = "Digest schedule, e.g. 0 0 9 1 1,4,7,10 * (09:00 on the first of each quarter)"]
    digest: Option<String>,
    #[description = "Reminder schedule, e.g. 0 0 9 * * Mon (Mondays 09:00)"] reminders: Option<
        String,
    >,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    if digest.is_none() && reminders.is_none() {
        return Err(BotError::user(
            "Give a digest schedule, a reminder schedule, or both.",
        ));
    }
    let parse = |text: &Option<String>| {
        text.as_deref()
            .map(Schedule::parse)
            .transpose()
            .map_err(|e| BotError::user(format!("{e}.")))
    };
    let schedules = NewSchedules {
        digest: parse(&digest)?,
        reminder: parse(&reminders)?,
    };
    let now = ctx.data().clock.now();
    let zone = &board.settings.time_zone;
    for (what, schedule) in schedules.given() {
        settings::check_schedule(what, schedule, zone, now, &ctx.data().schedule)?;
    }

    let save_id = format!("{}-save", ctx.id());
    let cancel_id = format!("{}-cancel", ctx.id());
    let buttons = vec![serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(&save_id)
            .label("Save")
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(&cancel_id)
            .label("Cancel")
            .style(serenity::ButtonStyle::Secondary),
    ])];
    let reply = ctx
        .send(private(preview(&schedules, zone, now)).components(buttons))
        .await?;
    let (save, cancel) = (save_id.clone(), cancel_id);
    let pressed = telemetry::waiting_for_person(
        ctx,
        serenity::ComponentInteractionCollector::new(ctx.serenity_context())
            .author_id(ctx.author().id)
            .filter(move |press| press.data.custom_id == save || press.data.custom_id == cancel)
            .timeout(CONFIRM_WAIT)
            .next(),
    )
    .await;
    let Some(press) = pressed else {
        reply
            .edit(
                ctx,
                private("Not saved: no answer within 10 minutes. Run `/setup schedule` again.")
                    .components(Vec::new()),
            )
            .await?;
        return Ok(());
    };
    let answer = |text: String| {
        serenity::CreateInteractionResponse::UpdateMessage(
            serenity::CreateInteractionResponseMessage::new()
                .content(crate::discord::format::fit(
                    &text,
                    crate::discord::format::limits::CONTENT,
                ))
                .allowed_mentions(no_pings())
                .components(Vec::new()),
        )
    };
    if press.data.custom_id != save_id {
        press
            .create_response(
                ctx,
                answer("Not saved; the schedules are as they were.".into()),
            )
            .await?;
        return Ok(());
    }
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let saved = settings::change_schedules(
        &ctx.data().store,
        board.id,
        &author,
        &schedules,
        &ctx.data().schedule,
    )
    .await;
    let board = match saved {
        Ok(change) => change.after,
        Err(e) => {
            // The board changed meanwhile (or the database failed): the press is answered and
            // the error is reported as every command's is.
            press
                .create_response(ctx, serenity::CreateInteractionResponse::Acknowledge)
                .await?;
            return Err(e.into());
        }
    };
    ctx.data().schedule_changed.wake();
    press
        .create_response(
            ctx,
            answer(format!(
                "Schedules saved.\n{}",
                describe_with_times(&board, ctx.data().clock.now())
            )),
        )
        .await?;
    Ok(())
}

/// The schedules about to be saved and when each would post next, in board time.
fn preview(
    schedules: &NewSchedules,
    zone: &TimeZone,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let lines: Vec<String> = schedules
        .given()
        .map(|(what, schedule)| {
            format!(
                "• {} schedule `{}` — next: {}",
                capitalised(what),
                schedule.written(),
                next_times(schedule, zone, now)
            )
        })
        .collect();
    format!(
        "Save these schedules? Times are in {zone}.\n{}",
        lines.join("\n")
    )
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The next three times a schedule posts, in the board's local time (to the second only when
/// the schedule posts at seconds other than :00).
fn next_times(schedule: &Schedule, zone: &TimeZone, now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike as _;
    let times = schedule.upcoming(zone, now, 3);
    let format = if times.iter().any(|t| t.second() != 0) {
        "%a %-d %b %Y %H:%M:%S"
    } else {
        "%a %-d %b %Y %H:%M"
    };
    if times.is_empty() {
        return "never".into();
    }
    times
        .iter()
        .map(|t| t.with_timezone(&zone.0).format(format).to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Slack and Microsoft Teams webhooks the digest is mirrored to.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("webhook_add", "webhook_remove", "webhook_list"),
    subcommand_required
)]
pub async fn webhook(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Which service a webhook belongs to.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum WebhookChoice {
    #[name = "Slack"]
    Slack,
    #[name = "Microsoft Teams"]
    Teams,
}

/// Mirror the digest to a Slack or Teams incoming webhook.
#[poise::command(slash_command, guild_only, rename = "add")]
pub async fn webhook_add(
    ctx: Context<'_>,
    #[description = "A short name for it, e.g. members-slack"]
    #[max_length = 40]
    name: String,
    #[description = "Slack or Microsoft Teams"] kind: WebhookChoice,
    #[description = "The incoming-webhook URL (kept secret; never shown again)"] url: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let name = name.trim().to_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(BotError::user(
            "Name the webhook with letters, digits and hyphens, e.g. members-slack.",
        ));
    }
    let url = WebhookUrl::parse(&url).map_err(|e| BotError::user(format!("The URL: {e}.")))?;
    let kind = match kind {
        WebhookChoice::Slack => WebhookKind::Slack,
        WebhookChoice::Teams => WebhookKind::Teams,
    };
    let shown = url.redacted();
    let hook = Webhook {
        name: name.clone(),
        kind,
        url,
    };
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    settings::add_webhook(&ctx.data().store, &board, &hook, &author).await?;
    ctx.data().schedule_changed.wake();
    ctx.send(private(format!(
        "Added {} webhook {name} ({shown}). The digest will be mirrored there.",
        kind.as_str()
    )))
    .await?;
    Ok(())
}

/// Stop mirroring to a webhook.
#[poise::command(slash_command, guild_only, rename = "remove")]
pub async fn webhook_remove(
    ctx: Context<'_>,
    #[description = "The webhook's name"] name: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let name = name.trim().to_lowercase();
    let by = author_tag(ctx);
    let author = Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    settings::remove_webhook(&ctx.data().store, &board, &name, &author).await?;
    ctx.data().schedule_changed.wake();
    ctx.send(private(format!("Removed webhook {name}.")))
        .await?;
    Ok(())
}

/// List the webhooks (URLs shortened; they are secrets).
#[poise::command(slash_command, guild_only, rename = "list")]
pub async fn webhook_list(ctx: Context<'_>) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let hooks = ctx.data().store.webhooks(board.id).await?;
    let text = if hooks.is_empty() {
        "No webhooks. Add one with /setup webhook add.".to_string()
    } else {
        hooks
            .iter()
            .map(|h| format!("• {} — {} ({})", h.name, h.kind.as_str(), h.url.redacted()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    ctx.send(private(text)).await?;
    Ok(())
}

/// Every change of the board's settings: who, when, which setting, old → new (newest first).
#[poise::command(slash_command, guild_only)]
pub async fn history(ctx: Context<'_>) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let changes = ctx.data().store.settings_history(board.id).await?;
    let zone = board.settings.time_zone;
    let lines: Vec<String> = changes
        .iter()
        .rev()
        .map(|c| setting_line(c, zone))
        .collect();
    let mut csv = Vec::new();
    crate::services::export::write_settings_history_csv(
        &changes,
        crate::domain::spreadsheet::Cells::SpreadsheetSafe,
        &mut csv,
    )?;
    let reply = list_reply(
        &format!(
            "Settings history of {} ({} changes)",
            board.slug,
            changes.len()
        ),
        &lines,
        lines.len(),
        "No settings changes recorded yet.",
        Some((format!("settings-history-{}.csv", board.slug), csv)),
        "",
    );
    ctx.send(reply).await?;
    Ok(())
}

/// Show the board's settings.
#[poise::command(slash_command, guild_only)]
pub async fn board(ctx: Context<'_>) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    ctx.send(
        poise::CreateReply::default()
            .content(describe_with_times(&board, ctx.data().clock.now()))
            .ephemeral(true)
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}

/// The settings plus the next few posting times, in the board's local time.
pub fn describe_with_times(board: &Board, now: chrono::DateTime<chrono::Utc>) -> String {
    let tz = &board.settings.time_zone;
    format!(
        "{}\n• Digest schedule `{}` — next: {}\n• Reminder schedule `{}` — next: {}\n\
         (times in {tz})",
        describe(board),
        board.settings.digest_schedule,
        next_times(&board.settings.digest_schedule, tz, now),
        board.settings.reminder_schedule,
        next_times(&board.settings.reminder_schedule, tz, now),
    )
}

/// The settings as a short list (channel and role mentions render as names, never ping).
pub fn describe(board: &Board) -> String {
    let channel = |id: Option<u64>| {
        id.map(|c| format!("<#{c}>"))
            .unwrap_or_else(|| "not set".into())
    };
    let role = |id: Option<u64>| {
        id.map(|r| format!("<@&{r}>"))
            .unwrap_or_else(|| "not set".into())
    };
    format!(
        "**Board {}** ({})\n\
         • Time zone: {}; reporting year starts in month {}\n\
         • Digest channel: {}\n\
         • Reminder channel: {}\n\
         • Officer role: {}; admin role: {} (Manage Server also counts as admin)\n\
         • Officers may update: {}\n\
         • Reminders: actions due within {} days; escalate when overdue by more than {} days; \
         flag an action whose due date moved more than {} times; nudges: {}\n\
         • Sign-off: {}; responses due {} days after the source is published\n\
         {}",
        board.slug,
        crate::discord::format::escape(&board.name),
        board.settings.time_zone,
        board.settings.year_start_month.get(),
        channel(board.chat.digest_channel),
        channel(board.chat.reminder_channel),
        role(board.chat.officer_role),
        role(board.chat.admin_role),
        if board.chat.officers_update_any {
            "any action"
        } else {
            "their own actions"
        },
        board.settings.remind_before_days,
        board.settings.escalate_after_days,
        board.settings.flag_after_moves,
        match board.settings.nudge_after_days {
            None => "off".to_string(),
            Some(1) => "1 day after a reminder, to officers who have not updated".to_string(),
            Some(d) => format!("{d} days after a reminder, to officers who have not updated"),
        },
        if board.settings.sign_off_required {
            "an officer's done waits for the secretariat's sign-off"
        } else {
            "not required (done is done)"
        },
        board.settings.response_days,
        describe_monitoring(&board.settings.monitoring),
    )
}

/// How the monitoring section reads the board's figures, as `/board` and
/// `/setup monitoring` show it.
pub fn describe_monitoring(m: &crate::domain::MonitoringSettings) -> String {
    format!(
        "• Monitoring exceptions: the wrong way by more than {}% against a year ago (counts: by \
         at least {})\n• Small numbers: {}\n• Trend chart: {}",
        m.exception_percent,
        m.exception_min_count,
        if m.hide_small_numbers {
            "hidden (counts of 1–4, percentages of fewer than 5 cases)"
        } else {
            "shown as they are"
        },
        if m.trend_indicators.is_empty() {
            "every indicator".to_string()
        } else {
            m.trend_indicators.join(", ")
        }
    )
}
