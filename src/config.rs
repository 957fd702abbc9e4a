//! Layered settings: the built-in defaults (`config/default.toml`), then an optional file, then
//! `BRIEFING__SECTION__KEY` environment variables; `DATABASE_URL` / `--database-url` and
//! `DISCORD_TOKEN` win for the two secrets. Secrets are wrapped so they never print.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{BoardSettings, Schedule, TimeZone, YearStartMonth};
use crate::store::DatabaseUrl;

/// The defaults every deployment starts from, compiled in so the binary runs from any folder.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

/// A configuration problem, naming the file or variable and the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration problem: {0}")]
pub struct ConfigError(String);

/// Everything the bot reads from configuration.
#[derive(Debug, Deserialize)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub discord: DiscordSettings,
    pub board_defaults: BoardDefaults,
    pub log: LogSettings,
}

#[derive(Deserialize)]
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
pub struct DiscordSettings {
    token: Option<SecretString>,
    api_url: Option<String>,
}

impl fmt::Debug for DiscordSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscordSettings")
            .field("token", &self.token.as_ref().map(|_| "[set]"))
            .field("api_url", &self.api_url)
            .finish()
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
}

#[derive(Debug, Deserialize)]
pub struct BoardDefaults {
    pub time_zone: String,
    pub year_start_month: u32,
    pub remind_before_days: u32,
    pub escalate_after_days: u32,
    pub digest_schedule: String,
    pub reminder_schedule: String,
    pub catch_up_days: u32,
    pub meeting_brief_days: u32,
}

#[derive(Debug, Deserialize)]
pub struct LogSettings {
    pub format: String,
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
        if let Ok(env) = std::env::var("BRIEFING_ENV") {
            let path = PathBuf::from(format!("config/{}.toml", env.trim()));
            if !path.exists() {
                return Err(ConfigError(format!(
                    "BRIEFING_ENV is {env:?} but {} does not exist; create it or unset BRIEFING_ENV",
                    path.display()
                )));
            }
            described.push(path.display().to_string());
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
        Ok(BoardSettings {
            time_zone: TimeZone::parse(&d.time_zone)
                .map_err(|e| ConfigError(format!("board_defaults.time_zone: {e}")))?,
            year_start_month: YearStartMonth::new(d.year_start_month)
                .map_err(|e| ConfigError(format!("board_defaults.year_start_month: {e}")))?,
            remind_before_days: d.remind_before_days,
            escalate_after_days: d.escalate_after_days,
            digest_schedule: Schedule::parse(&d.digest_schedule)
                .map_err(|e| ConfigError(format!("board_defaults.digest_schedule: {e}")))?,
            reminder_schedule: Schedule::parse(&d.reminder_schedule)
                .map_err(|e| ConfigError(format!("board_defaults.reminder_schedule: {e}")))?,
            catch_up_days: d.catch_up_days,
            meeting_brief_days: d.meeting_brief_days,
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
    }
}
