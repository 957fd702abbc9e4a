//! Who may do what on a board, and what the bot itself may do in a channel.
//!
//! Admins (the secretariat) hold the board's admin role or the Manage Server permission;
//! officers hold the board's officer role; everyone else in the server is a member.

use poise::serenity_prelude as serenity;
use serenity::{ChannelId, Permissions, RoleId};

use super::{BotError, Context};
use crate::domain::{Action, Board, ChatSettings};

/// How much a person may do on a board, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Member,
    Officer,
    Admin,
}

/// Work out a person's access from their roles and server permissions.
pub fn access_from(
    roles: &[RoleId],
    permissions: Option<Permissions>,
    chat: &ChatSettings,
) -> Access {
    let has = |role: Option<u64>| role.is_some_and(|id| roles.iter().any(|r| r.get() == id));
    let manages_server = permissions.is_some_and(|p| p.administrator() || p.manage_guild());
    if manages_server || has(chat.admin_role) {
        Access::Admin
    } else if has(chat.officer_role) {
        Access::Officer
    } else {
        Access::Member
    }
}

/// The access of the person who ran the command.
pub async fn access_of(ctx: Context<'_>, board: &Board) -> Access {
    match ctx.author_member().await {
        Some(member) => access_from(&member.roles, member.permissions, &board.chat),
        None => Access::Member,
    }
}

fn role_name(role: Option<u64>, fallback: &str) -> String {
    match role {
        // Rendered as the role's name; replies never allow role pings.
        Some(id) => format!("the <@&{id}> role"),
        None => fallback.to_string(),
    }
}

/// Refuse unless the person has at least `needed`, saying which role would let them.
pub async fn require(ctx: Context<'_>, board: &Board, needed: Access) -> Result<Access, BotError> {
    let access = access_of(ctx, board).await;
    if access >= needed {
        return Ok(access);
    }
    let message = match needed {
        Access::Admin => format!(
            "This command is for the board's secretariat: you need {} or the Manage Server \
             permission.",
            role_name(
                board.chat.admin_role,
                "the board's admin role (not set up yet)"
            )
        ),
        Access::Officer => format!(
            "This command is for officers: you need {}.",
            role_name(
                board.chat.officer_role,
                "the board's officer role (an admin sets it with /setup roles)"
            )
        ),
        Access::Member => unreachable!("everyone is at least a member"),
    };
    Err(BotError::Denied(message))
}

/// Refuse an officer's change to an action that is not theirs, unless the board lets officers
/// update any action. Admins may change anything.
pub fn may_change_action(
    access: Access,
    user: serenity::UserId,
    action: &Action,
    board: &Board,
) -> Result<(), BotError> {
    if access == Access::Admin {
        return Ok(());
    }
    let assigned = action.officer.map(|o| o.get()) == Some(user.get());
    if access == Access::Officer && (assigned || board.chat.officers_update_any) {
        return Ok(());
    }
    Err(BotError::Denied(match (access, action.officer) {
        (Access::Officer, Some(officer)) => format!(
            "{} is assigned to <@{officer}>; officers can update only their own actions. Ask \
             the secretariat to reassign it, or to let officers update any action.",
            action.reference
        ),
        (Access::Officer, None) => format!(
            "{} has no assigned officer; officers can update only their own actions. Ask the \
             secretariat to assign it to you.",
            action.reference
        ),
        _ => format!(
            "Updating actions is for officers: you need {}.",
            role_name(board.chat.officer_role, "the board's officer role")
        ),
    }))
}

/// What the bot needs in a channel it posts briefings to. Read Message History lets a process
/// that takes over a crashed post look for a message already sent before sending it again.
pub const POSTING: Permissions = Permissions::VIEW_CHANNEL
    .union(Permissions::SEND_MESSAGES)
    .union(Permissions::EMBED_LINKS)
    .union(Permissions::ATTACH_FILES)
    .union(Permissions::READ_MESSAGE_HISTORY);

/// The posting permissions in `missing`, named as Discord's channel settings name them.
pub fn permission_names(missing: Permissions) -> String {
    let mut names = Vec::new();
    for (flag, name) in [
        (Permissions::VIEW_CHANNEL, "View Channel"),
        (Permissions::SEND_MESSAGES, "Send Messages"),
        (Permissions::EMBED_LINKS, "Embed Links"),
        (Permissions::ATTACH_FILES, "Attach Files"),
        (Permissions::READ_MESSAGE_HISTORY, "Read Message History"),
    ] {
        if missing.contains(flag) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// Check that the bot can post briefings in `channel`, using the server as the gateway last
/// described it. Says exactly which permissions are missing.
pub fn check_bot_can_post(ctx: Context<'_>, channel: ChannelId) -> Result<(), BotError> {
    let Some(guild_id) = ctx.guild_id() else {
        return Ok(());
    };
    let bot = ctx.framework().bot_id();
    let Some(guild) = ctx.cache().guild(guild_id) else {
        tracing::warn!(guild = %guild_id, "server not in cache; cannot check the bot's channel permissions");
        return Ok(());
    };
    let Some(target) = guild.channels.get(&channel) else {
        return Err(BotError::user(format!(
            "<#{channel}> is not a channel of this server I can see. Pick a text channel here, \
             and make sure I have View Channel in it."
        )));
    };
    let Some(member) = guild.members.get(&bot) else {
        tracing::warn!(guild = %guild_id, "bot member not in cache; cannot check channel permissions");
        return Ok(());
    };
    let have = guild.user_permissions_in(target, member);
    let missing = POSTING - have;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(BotError::user(format!(
            "I can't post briefings in <#{channel}>: I am missing {}. Give my role those \
             permissions in the channel settings, or pick another channel.",
            permission_names(missing)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_manage_server_decide_access() {
        let chat = ChatSettings {
            officer_role: Some(10),
            admin_role: Some(20),
            ..Default::default()
        };
        assert_eq!(access_from(&[], None, &chat), Access::Member);
        assert_eq!(
            access_from(&[RoleId::new(10)], None, &chat),
            Access::Officer
        );
        assert_eq!(
            access_from(&[RoleId::new(10), RoleId::new(20)], None, &chat),
            Access::Admin
        );
        assert_eq!(
            access_from(&[], Some(Permissions::MANAGE_GUILD), &chat),
            Access::Admin
        );
        assert_eq!(
            access_from(&[RoleId::new(99)], Some(Permissions::SEND_MESSAGES), &chat),
            Access::Member
        );
        // No roles configured: only server managers are admins.
        assert_eq!(
            access_from(&[RoleId::new(10)], None, &ChatSettings::default()),
            Access::Member
        );
    }
}
