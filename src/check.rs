//! `briefing-bot check`: a checklist an operator can act on — configuration, database, the
//! token, and that the bot can post in each board's channels. Without a token the check fails:
//! a deployment check that cannot reach Discord has not checked Discord. `briefing-bot run`
//! starts with the same checks and the same messages, logged, and refuses to start on a failure.

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use poise::serenity_prelude as serenity;
use secrecy::SecretString;

use crate::config::{ScheduleSettings, Settings};
use crate::discord::access::{permission_names, POSTING};
use crate::discord::client::{http_client, Connection};
use crate::domain::Board;
use crate::store::{DatabaseUrl, Store};

/// Where the checklist goes: printed for `check`, logged for `run` (where standard error
/// carries the log, possibly as JSON lines, so plain text would spoil it).
enum Sink<'a> {
    Print(&'a mut (dyn Write + Send)),
    Log,
}

/// The checklist being written, counting what must be fixed.
struct Checklist<'a> {
    sink: Sink<'a>,
    failures: usize,
}

impl Checklist<'_> {
    fn pass(&mut self, what: &str) -> Result<()> {
        match &mut self.sink {
            Sink::Print(out) => writeln!(out, "  ok    {what}")?,
            Sink::Log => tracing::info!(check = "ok", "{what}"),
        }
        Ok(())
    }

    fn warn(&mut self, what: &str, fix: &str) -> Result<()> {
        match &mut self.sink {
            Sink::Print(out) => writeln!(out, "  warn  {what}\n        fix: {fix}")?,
            Sink::Log => tracing::warn!(check = "warn", fix, "{what}"),
        }
        Ok(())
    }

    fn fail(&mut self, what: &str, fix: &str) -> Result<()> {
        self.failures += 1;
        match &mut self.sink {
            Sink::Print(out) => writeln!(out, "  FAIL  {what}\n        fix: {fix}")?,
            Sink::Log => tracing::error!(check = "fail", fix, "{what}"),
        }
        Ok(())
    }

    fn verdict(&self, command: &str) -> Result<()> {
        if self.failures > 0 {
            anyhow::bail!(
                "{} check(s) failed; fix them and run `briefing-bot {command}` again",
                self.failures
            );
        }
        Ok(())
    }
}

/// The bot's own identity on Discord, once the token is accepted.
pub struct DiscordLogin {
    pub token: SecretString,
    pub http: Arc<serenity::Http>,
    pub bot: serenity::UserId,
}

/// Run every check, print the checklist, and fail if anything must be fixed before `run`.
pub async fn run(
    settings: &Settings,
    url: &DatabaseUrl,
    out: &mut (dyn Write + Send),
) -> Result<()> {
    writeln!(out, "briefing-bot check")?;
    let mut list = Checklist {
        sink: Sink::Print(out),
        failures: 0,
    };
    let store = setup(&mut list, settings, url).await?;
    let boards = match &store {
        Some(store) => linked_boards(&mut list, store).await?,
        None => Vec::new(),
    };
    frequent_schedules(&mut list, &boards, &settings.schedule)?;
    if let Some(login) = discord_login(&mut list, settings).await? {
        channels(&mut list, &login, &boards).await?;
    }
    if let Some(store) = store {
        store.close().await;
    }
    list.verdict("check")?;
    if let Sink::Print(out) = &mut list.sink {
        writeln!(out, "all checks passed")?;
    }
    Ok(())
}

/// What `run` needs once its checks have passed.
pub struct ReadyToRun {
    pub store: Store,
    pub boards: Vec<Board>,
    pub login: DiscordLogin,
}

/// `run`'s checks, logged: configuration, database, boards, and a token Discord accepts.
/// Any failure stops the start with the checklist's own message and fix. The channels are
/// checked separately ([`channels_logged`]) once the bot is up: one board's channel settings
/// must not keep every other board's bot from starting.
pub async fn before_run(settings: &Settings, url: &DatabaseUrl) -> Result<ReadyToRun> {
    let mut list = Checklist {
        sink: Sink::Log,
        failures: 0,
    };
    let store = setup(&mut list, settings, url).await?;
    let boards = match &store {
        Some(store) => linked_boards(&mut list, store).await?,
        None => Vec::new(),
    };
    frequent_schedules(&mut list, &boards, &settings.schedule)?;
    let login = discord_login(&mut list, settings).await?;
    list.verdict("check")?;
    match (store, login) {
        (Some(store), Some(login)) => Ok(ReadyToRun {
            store,
            boards,
            login,
        }),
        // Both are Some whenever no check failed.
        _ => anyhow::bail!("the checks did not pass; run `briefing-bot check` to see why"),
    }
}

/// Check every board's channels and log what is wrong, with the fix.
pub async fn channels_logged(login: &DiscordLogin, boards: &[Board]) {
    let mut list = Checklist {
        sink: Sink::Log,
        failures: 0,
    };
    if let Err(e) = channels(&mut list, login, boards).await {
        tracing::warn!(error = %e, "could not finish checking the boards' channels");
    }
    if list.failures > 0 {
        tracing::warn!(
            problems = list.failures,
            "some boards' channels need fixing (see above); the bot serves every board \
             meanwhile and tells a board's admins when a post cannot be delivered"
        );
    }
}

/// Configuration and database.
async fn setup(
    list: &mut Checklist<'_>,
    settings: &Settings,
    url: &DatabaseUrl,
) -> Result<Option<Store>> {
    // Settings::load has already refused anything malformed, naming the file and key.
    list.pass("configuration loads and the board defaults are valid")?;
    let shards = settings.discord.shard_range()?;
    list.pass(&format!("gateway: this process runs {shards}"))?;
    match Store::connect(url).await {
        Ok(store) => {
            let applied = store.applied_migrations().await?.len();
            list.pass(&format!(
                "database {url} answers; schema up to date ({applied} migrations)"
            ))?;
            Ok(Some(store))
        }
        Err(e) => {
            list.fail(
                &format!("database: {e}"),
                "fix the URL (--database-url, DATABASE_URL or database.url) or start the server",
            )?;
            Ok(None)
        }
    }
}

/// Which boards there are and whether each is linked to a Discord server.
async fn linked_boards(list: &mut Checklist<'_>, store: &Store) -> Result<Vec<Board>> {
    let boards = store.boards().await?;
    if boards.is_empty() {
        list.warn(
            "no boards yet",
            "import a CSV with --board SLUG, or run /setup board in your Discord server",
        )?;
    }
    for board in &boards {
        match board.chat.server_id {
            Some(server) => list.pass(&format!(
                "board {} is linked to Discord server {server}",
                board.slug
            ))?,
            None => list.warn(
                &format!("board {} is not linked to a Discord server", board.slug),
                "run /setup board in the board's server",
            )?,
        }
    }
    Ok(boards)
}

/// Schedules that post more than once an hour. Today they cannot be saved (unless
/// `schedule.allow_frequent` is on), but a board saved by an earlier release may have one, and
/// it keeps posting on it: a warning with the schedule probably meant, not a failure, since
/// the board's posts still go out and every other board must not wait for it.
fn frequent_schedules(
    list: &mut Checklist<'_>,
    boards: &[Board],
    rules: &ScheduleSettings,
) -> Result<()> {
    for board in boards {
        for (what, option, schedule) in [
            ("digest", "digest", &board.settings.digest_schedule),
            ("reminder", "reminders", &board.settings.reminder_schedule),
        ] {
            let Some(frequent) = schedule.frequent() else {
                continue;
            };
            let line = format!(
                "board {}: the {what} schedule fires more than once an hour: {frequent}",
                board.slug
            );
            if rules.refuses(schedule).is_some() {
                list.warn(
                    &line,
                    &format!(
                        "`/setup schedule {option}:{}` if that is what was meant; until it is \
                         changed, the bot posts on this schedule",
                        frequent.guess
                    ),
                )?;
            } else {
                list.pass(&format!("{line} (allowed: schedule.allow_frequent is on)"))?;
            }
        }
    }
    Ok(())
}

/// The token, and whether Discord accepts it. Without a token both `check` and `run` fail:
/// nothing can be posted, and `check` could not look at the channels (it still checks the
/// rest, so one run lists everything to fix).
async fn discord_login(
    list: &mut Checklist<'_>,
    settings: &Settings,
) -> Result<Option<DiscordLogin>> {
    let Some(token) = settings.discord.token() else {
        list.fail(
            "DISCORD_TOKEN is not set",
            "export DISCORD_TOKEN=… (Discord developer portal → your application → Bot → \
             Reset Token); without it the bot cannot connect and the boards' channels cannot \
             be checked",
        )?;
        return Ok(None);
    };
    let connection = Connection::new(token, settings.discord.api_url().map(str::to_string));
    let http = Arc::new(http_client(&connection));
    match http.get_current_user().await {
        Ok(me) => {
            list.pass(&format!("Discord accepted the token (bot {})", me.name))?;
            Ok(Some(DiscordLogin {
                token: connection.token,
                http,
                bot: me.id,
            }))
        }
        Err(e) => {
            list.fail(
                &format!("Discord refused the token or could not be reached: {e}"),
                "check DISCORD_TOKEN (reset it in the developer portal if unsure) and \
                 discord.api_url",
            )?;
            Ok(None)
        }
    }
}

/// Each board's digest and reminder channels: there, a server channel, and the bot may post.
async fn channels(list: &mut Checklist<'_>, login: &DiscordLogin, boards: &[Board]) -> Result<()> {
    for board in boards {
        let slug = board.slug.to_string();
        for (what, channel) in [
            ("digest", board.chat.digest_channel),
            ("reminder", board.chat.reminder_channel),
        ] {
            match channel {
                None if board.chat.server_id.is_some() => list.warn(
                    &format!("board {slug}: no {what} channel"),
                    "set one with /setup channels",
                )?,
                // Not linked yet: the link warning already says what to do first.
                None => {}
                Some(id) => check_channel(list, login, &slug, what, id).await?,
            }
        }
    }
    Ok(())
}

async fn check_channel(
    list: &mut Checklist<'_>,
    login: &DiscordLogin,
    board: &str,
    what: &str,
    id: u64,
) -> Result<()> {
    let http = &*login.http;
    let channel = match serenity::ChannelId::new(id).to_channel(http).await {
        Ok(serenity::Channel::Guild(channel)) => channel,
        Ok(_) => {
            return list.fail(
                &format!("board {board}: {what} channel {id} is not a server channel"),
                "pick a text channel with /setup channels",
            )
        }
        Err(e) => {
            return list.fail(
                &format!("board {board}: cannot see {what} channel {id}: {e}"),
                "give the bot View Channel there, or pick another with /setup channels",
            )
        }
    };
    let guild = channel.guild_id.to_partial_guild(http).await;
    let member = channel.guild_id.member(http, login.bot).await;
    match (guild, member) {
        (Ok(guild), Ok(member)) => {
            let missing = POSTING - guild.user_permissions_in(&channel, &member);
            if missing.is_empty() {
                list.pass(&format!(
                    "board {board}: can post in #{} ({what})",
                    channel.name
                ))
            } else {
                list.fail(
                    &format!(
                        "board {board}: missing {} in #{} ({what})",
                        permission_names(missing),
                        channel.name
                    ),
                    "grant the bot's role those permissions in the channel settings",
                )
            }
        }
        _ => list.fail(
            &format!(
                "board {board}: could not read the server's roles for #{}",
                channel.name
            ),
            "check the bot is still in the server",
        ),
    }
}
