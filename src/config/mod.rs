//! Layered settings: the built-in defaults (`config/default.toml`), then an optional file, then
//! `BRIEFING__SECTION__KEY` environment variables; `DATABASE_URL` / `--database-url` and
//! `DISCORD_TOKEN` win for the two secrets. Secrets are wrapped so they never print.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{BoardSettings, Frequent, Schedule, TimeZone, YearStartMonth};
use crate::monitoring::logging::LogFormat;
use crate::store::DatabaseUrl;

pub mod known_keys;

/// The defaults every deployment starts from, compiled in so the binary runs from any folder.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");

/// A configuration problem, naming the file or variable and the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration problem: {0}")]
pub struct ConfigError(String);

/// Everything the bot reads from configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub discord: DiscordSettings,
    pub board_defaults: BoardDefaults,
    pub log: LogSettings,
    pub ops: OpsSettings,
    pub schedule: ScheduleSettings,
    pub backups: BackupSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    url: Option<SecretString>,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.as_ref().map(|u| {
            use secrecy::ExposeSecret;
            DatabaseUrl::new(u.expose_secret()).redacted()
        });
        f.debug_struct("DatabaseSettings")
            .field("url", &url)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordSettings {
    token: Option<SecretString>,
    api_url: Option<String>,
    /// How many gateway shards the whole deployment uses.
    total_shards: u32,
    /// Which of them this process runs: "FIRST-LAST", one number, or empty for all.
    shards: String,
    /// How long the gateway lease lasts unrenewed, in seconds.
    lease_seconds: u64,
}

impl fmt::Debug for DiscordSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscordSettings")
            .field("token", &self.token.as_ref().map(|_| "[set]"))
            .field("api_url", &self.api_url)
            .field("total_shards", &self.total_shards)
            .field("shards", &self.shards)
            .field("lease_seconds", &self.lease_seconds)
            .finish()
    }
}

/// The gateway shards one process runs: `first` to `last` (both included) of `total`.
///
/// Discord sends each server's events to exactly one shard (server id >> 22, modulo the total),
/// so processes sharing a database must run different shards: two processes on the same shard
/// would both receive, and both act on, every slash command of its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    /// One process serving everything: shard 0 of 1.
    pub const ALL_OF_ONE: ShardRange = ShardRange {
        first: 0,
        last: 0,
        total: 1,
    };

    /// Read `range` ("2-3", "2", or empty for all) of `total` shards.
    pub fn parse(range: &str, total: u32) -> Result<Self, String> {
        if total == 0 {
            return Err("total_shards must be at least 1".into());
        }
        let range = range.trim();
        let number = |text: &str| {
            text.trim().parse::<u32>().map_err(|_| {
                format!(
                    "shards is {range:?}; write the first and last shard of this process as                      FIRST-LAST (e.g. 0-1), one shard number, or leave it empty for all"
                )
            })
        };
        let (first, last) = if range.is_empty() {
            (0, total - 1)
        } else if let Some((first, last)) = range.split_once('-') {
            (number(first)?, number(last)?)
        } else {
            let only = number(range)?;
            (only, only)
        };
        if first > last {
            return Err(format!(
                "shards is {range:?}, which ends before it starts; write FIRST-LAST with FIRST <= LAST"
            ));
        }
        if last >= total {
            return Err(format!(
                "shards is {range:?}, but with total_shards = {total} the shards are numbered 0 to {}; \
                 raise total_shards or pick shards within it",
                total - 1
            ));
        }
        Ok(Self { first, last, total })
    }

    /// How many shards this process runs.
    pub fn count(&self) -> u32 {
        self.last - self.first + 1
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "shard {} of {}", self.first, self.total)
        } else {
            write!(f, "shards {}-{} of {}", self.first, self.last, self.total)
        }
    }
}

impl DiscordSettings {
    /// The bot token: `DISCORD_TOKEN`, else `discord.token`.
    pub fn token(&self) -> Option<SecretString> {
        std::env::var("DISCORD_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| SecretString::from(t.trim().to_string()))
            .or_else(|| self.token.clone())
    }

    /// The API base URL to use instead of Discord's, if one is configured.
    pub fn api_url(&self) -> Option<&str> {
        self.api_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }

    /// The gateway shards this process runs.
    pub fn shard_range(&self) -> Result<ShardRange, ConfigError> {
        ShardRange::parse(&self.shards, self.total_shards)
            .map_err(|e| ConfigError(format!("discord.{e}")))
    }

    /// How long the gateway lease lasts unrenewed, checked.
    pub fn lease_term(&self) -> Result<std::time::Duration, ConfigError> {
        lease_term(self.lease_seconds)
    }
}

/// The shortest lease term. At 3 s the holder renews every half second and has stopped
/// answering commands 1.5 s before a standby may take over; serenity takes up to half a second
/// to act on a shutdown, so a shorter term would leave too little margin.
pub const MIN_LEASE_SECONDS: u64 = 3;
/// The longest: a standby waits this long after a crash, and a day is already no standby.
pub const MAX_LEASE_SECONDS: u64 = 86_400;

/// `discord.lease_seconds`, checked.
fn lease_term(seconds: u64) -> Result<std::time::Duration, ConfigError> {
    if !(MIN_LEASE_SECONDS..=MAX_LEASE_SECONDS).contains(&seconds) {
        return Err(ConfigError(format!(
            "discord.lease_seconds is {seconds}; use {MIN_LEASE_SECONDS} to {MAX_LEASE_SECONDS} \
             seconds (default 60). The process renews its gateway lease every sixth of it and \
             stops answering commands after half of it without a renewal; a standby takes over \
             a crashed process's shards after the whole of it"
        )));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardDefaults {
    pub time_zone: String,
    pub year_start_month: u32,
    pub remind_before_days: u32,
    pub escalate_after_days: u32,
    pub digest_schedule: String,
    pub reminder_schedule: String,
    pub catch_up_days: u32,
    pub meeting_brief_days: u32,
    pub sign_off_required: bool,
    pub response_days: u32,
}

impl BoardDefaults {
    /// The day counts a board may start with: those `/setup reminders` accepts, a catch-up of
    /// up to a year (a digest missed by a quarter can still go out) and a meeting brief up to
    /// a quarter ahead.
    const REMIND_BEFORE_DAYS: RangeInclusive<u32> = 0..=90;
    const ESCALATE_AFTER_DAYS: RangeInclusive<u32> = 1..=365;
    const CATCH_UP_DAYS: RangeInclusive<u32> = 0..=366;
    const MEETING_BRIEF_DAYS: RangeInclusive<u32> = 0..=90;
    /// As `/setup responses` accepts: up to a year to respond.
    pub const RESPONSE_DAYS: RangeInclusive<u32> = 0..=365;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    format: String,
}

impl LogSettings {
    /// `log.format`, checked.
    pub fn format(&self) -> Result<LogFormat, ConfigError> {
        LogFormat::parse(&self.format).ok_or_else(|| {
            ConfigError(format!(
                "log.format is {:?}; use \"text\" (for people) or \"json\" (for log collectors)",
                self.format
            ))
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsSettings {
    /// Address for `/healthz` and `/metrics` (e.g. 127.0.0.1:9187); empty turns them off.
    listen: String,
}

impl OpsSettings {
    /// The address to serve `/healthz` and `/metrics` on, if the operator asked for them.
    pub fn listen(&self) -> Option<&str> {
        Some(self.listen.trim()).filter(|a| !a.is_empty())
    }
}

/// How long this deployment keeps its backups: text removed by a redaction is still in every
/// backup taken before it, until the last of those is deleted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    keep_days: u32,
}

impl BackupSettings {
    /// The longest retention accepted: ten years.
    pub const MAX_KEEP_DAYS: u32 = 3650;

    /// `backups.keep_days`, checked.
    pub fn keep_days(&self) -> Result<u32, ConfigError> {
        let days = self.keep_days;
        if !(1..=Self::MAX_KEEP_DAYS).contains(&days) {
            return Err(ConfigError(format!(
                "backups.keep_days is {days}; use 1 to {} days (default 35): the number of days \
                 your backup rotation keeps a backup before deleting it",
                Self::MAX_KEEP_DAYS
            )));
        }
        Ok(days)
    }
}

/// How the bot treats the boards' posting schedules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// Allow digest and reminder schedules that post more than once an hour (for
    /// demonstrations and tests); off, such a schedule is refused with what was probably meant.
    pub allow_frequent: bool,
    /// How long a process holds a scheduled post it claimed before another may take it over.
    claim_lease_seconds: u64,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            allow_frequent: false,
            claim_lease_seconds: 300,
        }
    }
}

impl ScheduleSettings {
    /// The shortest claim lease: a post's sending renews its claim before each message, and a
    /// lease shorter than one slow message would hand a live post to another process.
    pub const MIN_CLAIM_LEASE_SECONDS: u64 = 2;
    /// The longest: a crashed post waits this long for another process to take it over.
    pub const MAX_CLAIM_LEASE_SECONDS: u64 = 3600;

    /// `schedule.claim_lease_seconds`, checked.
    pub fn claim_lease(&self) -> Result<chrono::Duration, ConfigError> {
        let seconds = self.claim_lease_seconds;
        if !(Self::MIN_CLAIM_LEASE_SECONDS..=Self::MAX_CLAIM_LEASE_SECONDS).contains(&seconds) {
            return Err(ConfigError(format!(
                "schedule.claim_lease_seconds is {seconds}; use {} to {} seconds (default 300)",
                Self::MIN_CLAIM_LEASE_SECONDS,
                Self::MAX_CLAIM_LEASE_SECONDS
            )));
        }
        // In range, so the conversion cannot fail.
        Ok(chrono::Duration::seconds(seconds as i64))
    }

    /// What is wrong with `schedule` as a board's posting schedule, if anything: it would post
    /// more than once an hour, and that is not allowed here.
    pub fn refuses(&self, schedule: &Schedule) -> Option<Frequent> {
        if self.allow_frequent {
            None
        } else {
            schedule.frequent()
        }
    }
}

impl Settings {
    /// Load the layers. `file` is `--config`; without it `BRIEFING_CONFIG` is tried.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_CONFIG,
            config::FileFormat::Toml,
        ));
        let explicit: Option<PathBuf> = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("BRIEFING_CONFIG").map(PathBuf::from));
        let mut described = vec!["built-in defaults".to_string()];
        let known = known_keys::known();
        known_keys::check_environment(std::env::vars_os(), &known)?;
        if let Ok(env) = std::env::var("BRIEFING_ENV") {
            let path = PathBuf::from(format!("config/{}.toml", env.trim()));
            if !path.exists() {
                return Err(ConfigError(format!(
                    "BRIEFING_ENV is {env:?} but {} does not exist; create it or unset BRIEFING_ENV",
                    path.display()
                )));
            }
            described.push(path.display().to_string());
            known_keys::check_file(&path, &known)?;
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        if let Some(path) = &explicit {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "the config file {} does not exist; check the path given to --config",
                    path.display()
                )));
            }
            described.push(path.display().to_string());
            known_keys::check_file(path, &known)?;
            builder = builder
                .add_source(config::File::from(path.clone()).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("BRIEFING")
                .prefix_separator("__")
                .separator("__"),
        );
        let settings: Settings =
            builder
                .build()
                .and_then(|c| c.try_deserialize())
                .map_err(|e| {
                    ConfigError(format!(
                        "{e} (read from: {}, and BRIEFING__* environment variables)",
                        described.join(", ")
                    ))
                })?;
        settings.board_settings()?;
        settings.discord.shard_range()?;
        settings.discord.lease_term()?;
        settings.log.format()?;
        settings.schedule.claim_lease()?;
        Ok(settings)
    }

    /// The database to use: `--database-url`, else `DATABASE_URL`, else `database.url`.
    pub fn database_url(&self, flag: Option<&str>) -> DatabaseUrl {
        use secrecy::ExposeSecret;
        if let Some(url) = flag.map(str::trim).filter(|u| !u.is_empty()) {
            return DatabaseUrl::new(url);
        }
        if let Some(url) = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            return DatabaseUrl::new(url.trim());
        }
        match &self.database.url {
            Some(url) if !url.expose_secret().trim().is_empty() => {
                DatabaseUrl::new(url.expose_secret().trim())
            }
            _ => DatabaseUrl::new("sqlite://briefing.db"),
        }
    }

    /// The settings a new board starts with, checked.
    pub fn board_settings(&self) -> Result<BoardSettings, ConfigError> {
        let d = &self.board_defaults;
        // Day counts are checked here, so no date arithmetic on them can overflow later.
        let days = |key: &str, value: u32, range: RangeInclusive<u32>| {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(ConfigError(format!(
                    "board_defaults.{key} is {value}; use {} to {} days",
                    range.start(),
                    range.end()
                )))
            }
        };
        let schedule = |key: &str, text: &str| {
            let schedule = Schedule::parse(text)
                .map_err(|e| ConfigError(format!("board_defaults.{key}: {e}")))?;
            match self.schedule.refuses(&schedule) {
                Some(frequent) => Err(ConfigError(format!(
                    "board_defaults.{key}: {frequent} Schedules that post more than once an \
                     hour are refused unless schedule.allow_frequent is true \
                     (BRIEFING__SCHEDULE__ALLOW_FREQUENT=true)"
                ))),
                None => Ok(schedule),
            }
        };
        Ok(BoardSettings {
            time_zone: TimeZone::parse(&d.time_zone)
                .map_err(|e| ConfigError(format!("board_defaults.time_zone: {e}")))?,
            year_start_month: YearStartMonth::new(d.year_start_month)
                .map_err(|e| ConfigError(format!("board_defaults.year_start_month: {e}")))?,
            remind_before_days: days(
                "remind_before_days",
                d.remind_before_days,
                BoardDefaults::REMIND_BEFORE_DAYS,
            )?,
            escalate_after_days: days(
                "escalate_after_days",
                d.escalate_after_days,
                BoardDefaults::ESCALATE_AFTER_DAYS,
            )?,
            digest_schedule: schedule("digest_schedule", &d.digest_schedule)?,
            reminder_schedule: schedule("reminder_schedule", &d.reminder_schedule)?,
            catch_up_days: days(
                "catch_up_days",
                d.catch_up_days,
                BoardDefaults::CATCH_UP_DAYS,
            )?,
            meeting_brief_days: days(
                "meeting_brief_days",
                d.meeting_brief_days,
                BoardDefaults::MEETING_BRIEF_DAYS,
            )?,
            sign_off_required: d.sign_off_required,
            response_days: days(
                "response_days",
                d.response_days,
                BoardDefaults::RESPONSE_DAYS,
            )?,
            // Set per board with /setup reminders; every board starts with the built-in one.
            flag_after_moves: BoardSettings::default().flag_after_moves,
            nudge_after_days: BoardSettings::default().nudge_after_days,
            monitoring: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_load_and_hide_secrets() {
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(
                DEFAULT_CONFIG,
                config::FileFormat::Toml,
            ))
            .set_override("discord.token", "abc.def.ghi")
            .unwrap()
            .set_override("database.url", "postgres://u:hunter2@h/db")
            .unwrap()
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("abc.def.ghi"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert_eq!(settings.board_settings().unwrap(), BoardSettings::default());
        assert_eq!(
            settings.discord.shard_range().unwrap(),
            ShardRange::ALL_OF_ONE
        );
        assert_eq!(settings.ops.listen(), None, "the ops endpoint is opt-in");
        assert_eq!(
            settings.schedule.claim_lease().unwrap(),
            chrono::Duration::minutes(5)
        );
        assert!(
            !settings.schedule.allow_frequent,
            "frequent schedules are refused unless a deployment allows them"
        );
    }

    #[test]
    fn a_claim_lease_outside_its_bounds_is_refused_with_the_range() {
        for (seconds, ok) in [(1, false), (2, true), (3600, true), (3601, false)] {
            let schedule = ScheduleSettings {
                claim_lease_seconds: seconds,
                ..Default::default()
            };
            match schedule.claim_lease() {
                Ok(lease) => {
                    assert!(ok, "{seconds} accepted");
                    assert_eq!(lease.num_seconds(), seconds as i64);
                }
                Err(e) => {
                    assert!(!ok, "{seconds} refused: {e}");
                    assert!(e.to_string().contains("use 2 to 3600 seconds"), "{e}");
                }
            }
        }
    }

    #[test]
    fn frequent_default_schedules_are_refused_unless_allowed() {
        let load = |allow: bool| -> Result<Settings, ConfigError> {
            let settings: Settings = config::Config::builder()
                .add_source(config::File::from_str(
                    DEFAULT_CONFIG,
                    config::FileFormat::Toml,
                ))
                .set_override("board_defaults.reminder_schedule", "* 9 * * 1")
                .unwrap()
                .set_override("schedule.allow_frequent", allow)
                .unwrap()
                .build()
                .unwrap()
                .try_deserialize()
                .unwrap();
            settings.board_settings().map(|_| settings)
        };
        let refused = load(false).unwrap_err().to_string();
        assert!(
            refused.contains(
                "board_defaults.reminder_schedule: `* 9 * * 1` fires every minute from 09:00 \
                 to 09:59; did you mean `0 9 * * 1`?"
            ),
            "{refused}"
        );
        assert!(
            refused.contains("BRIEFING__SCHEDULE__ALLOW_FREQUENT=true"),
            "{refused}"
        );
        let allowed = load(true).unwrap();
        assert_eq!(
            allowed.board_settings().unwrap().reminder_schedule,
            Schedule::parse("0 * 9 * * 1").unwrap()
        );
    }

    #[test]
    fn day_counts_outside_their_bounds_are_refused_with_the_range() {
        for (key, low, high) in [
            ("remind_before_days", 0, 90),
            ("escalate_after_days", 1, 365),
            ("catch_up_days", 0, 366),
            ("meeting_brief_days", 0, 90),
        ] {
            let load = |value: u32| {
                config::Config::builder()
                    .add_source(config::File::from_str(
                        DEFAULT_CONFIG,
                        config::FileFormat::Toml,
                    ))
                    .set_override(format!("board_defaults.{key}"), value)
                    .unwrap()
                    .build()
                    .unwrap()
                    .try_deserialize::<Settings>()
                    .unwrap()
                    .board_settings()
            };
            load(low).unwrap();
            load(high).unwrap();
            for value in [high + 1, u32::MAX].into_iter().chain(low.checked_sub(1)) {
                let err = load(value).unwrap_err().to_string();
                assert!(
                    err.contains(&format!(
                        "board_defaults.{key} is {value}; use {low} to {high} days"
                    )),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn shard_ranges_read_as_operators_write_them() {
        let all = ShardRange::parse("", 4).unwrap();
        assert_eq!((all.first, all.last, all.count()), (0, 3, 4));
        let pair = ShardRange::parse(" 2-3 ", 4).unwrap();
        assert_eq!((pair.first, pair.last, pair.count()), (2, 3, 2));
        assert_eq!(pair.to_string(), "shards 2-3 of 4");
        assert_eq!(
            ShardRange::parse("1", 2).unwrap().to_string(),
            "shard 1 of 2"
        );
        for (range, total, says) in [
            ("0-4", 4, "numbered 0 to 3"),
            ("3-1", 4, "ends before it starts"),
            ("a-b", 4, "FIRST-LAST"),
            ("", 0, "at least 1"),
        ] {
            let err = ShardRange::parse(range, total).unwrap_err();
            assert!(err.contains(says), "{range:?} of {total}: {err}");
        }
    }
}
