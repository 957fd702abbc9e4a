//! `briefing-bot check`: a checklist an operator can act on — configuration, database, and
//! (with a token) that the bot can post in each board's channels.

use std::io::Write;

use anyhow::Result;
use poise::serenity_prelude as serenity;

use crate::config::Settings;
use crate::discord::access::POSTING;
use crate::discord::client::{http_client, Connection};
use crate::store::{DatabaseUrl, Store};

/// One line of the checklist.
struct Checklist<'a> {
    out: &'a mut dyn Write,
    failures: usize,
}

impl Checklist<'_> {
    fn pass(&mut self, what: &str) -> Result<()> {
        writeln!(self.out, "  ok    {what}")?;
        Ok(())
    }

    fn warn(&mut self, what: &str, fix: &str) -> Result<()> {
        writeln!(self.out, "  warn  {what}\n        fix: {fix}")?;
        Ok(())
    }

    fn fail(&mut self, what: &str, fix: &str) -> Result<()> {
        self.failures += 1;
        writeln!(self.out, "  FAIL  {what}\n        fix: {fix}")?;
        Ok(())
    }
}

/// Run every check, print the checklist, and fail if anything must be fixed before `run`.
pub async fn run(settings: &Settings, url: &DatabaseUrl, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "briefing-bot check")?;
    let mut list = Checklist { out, failures: 0 };
    list.pass("configuration loads and the board defaults are valid")?;
    let store = match Store::connect(url).await {
        Ok(store) => {
            let applied = store.applied_migrations().await?.len();
            list.pass(&format!(
                "database {url} answers; schema up to date ({applied} migrations)"
            ))?;
            Some(store)
        }
        Err(e) => {
            list.fail(
                &format!("database: {e}"),
                "fix the URL (--database-url, DATABASE_URL or database.url) or start the server",
            )?;
            None
        }
    };
    let boards = match &store {
        Some(store) => store.boards().await?,
        None => Vec::new(),
    };
    if store.is_some() {
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
    }
    match settings.discord.token() {
        None => list.warn(
            "DISCORD_TOKEN is not set, so Discord was not checked",
            "export DISCORD_TOKEN=… (Discord developer portal → your application → Bot → Reset Token)",
        )?,
        Some(token) => {
            let connection = Connection { token, api_url: settings.discord.api_url().map(str::to_string) };
            let http = http_client(&connection);
            match http.get_current_user().await {
                Ok(me) => {
                    list.pass(&format!("Discord accepted the token (bot {})", me.name))?;
                    for board in &boards {
                        for (what, channel) in [("digest", board.chat.digest_channel), ("reminder", board.chat.reminder_channel)] {
                            match channel {
                                None => list.warn(
                                    &format!("board {}: no {what} channel", board.slug),
                                    "set one with /setup channels",
                                )?,
                                Some(id) => check_channel(&mut list, &http, me.id, &board.slug.to_string(), what, id).await?,
                            }
                        }
                    }
                }
                Err(e) => list.fail(
                    &format!("Discord refused the token or could not be reached: {e}"),
                    "check DISCORD_TOKEN (reset it in the developer portal if unsure) and discord.api_url",
                )?,
            }
        }
    }
    if let Some(store) = store {
        store.close().await;
    }
    if list.failures > 0 {
        anyhow::bail!(
            "{} check(s) failed; fix them and run `briefing-bot check` again",
            list.failures
        );
    }
    writeln!(list.out, "all checks passed")?;
    Ok(())
}

async fn check_channel(
    list: &mut Checklist<'_>,
    http: &serenity::Http,
    bot: serenity::UserId,
    board: &str,
    what: &str,
    id: u64,
) -> Result<()> {
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
    let member = channel.guild_id.member(http, bot).await;
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
                        "board {board}: missing {missing} in #{} ({what})",
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
