//! Catching typos in configuration. The layers are merged by the `config` crate, which ignores
//! a key it does not know — so `BRIEFING__DISCORD__API_ULR` or `[discrod]` would be dropped
//! and the bot would run on the default without a word. Every key of every file and every
//! `BRIEFING__…` variable is checked against the keys the built-in defaults define, and an
//! unknown one is refused with where it came from and the nearest known key.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

use config::{Map, Source, Value, ValueKind};

use super::{ConfigError, DEFAULT_CONFIG};

/// The prefix of the environment variables that set configuration keys.
pub const ENV_PREFIX: &str = "BRIEFING__";

/// Keys a deployment may set although the defaults leave them out: the Discord token has no
/// default (it belongs in `DISCORD_TOKEN`, but `discord.token` is accepted).
const WITHOUT_DEFAULT: [&str; 1] = ["discord.token"];

/// Every key the bot reads, as `section.key`.
pub fn known() -> BTreeSet<String> {
    let defaults = config::File::from_str(DEFAULT_CONFIG, config::FileFormat::Toml)
        .collect()
        .expect("the built-in defaults are valid TOML");
    let mut keys = BTreeSet::new();
    flatten("", &defaults, &mut keys);
    keys.extend(WITHOUT_DEFAULT.map(String::from));
    keys
}

fn flatten(prefix: &str, table: &Map<String, Value>, keys: &mut BTreeSet<String>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match &value.kind {
            ValueKind::Table(inner) if !inner.is_empty() => flatten(&key, inner, keys),
            _ => {
                keys.insert(key);
            }
        }
    }
}

/// The known key nearest to `key` by edit distance (ties: the first in order).
fn nearest<'k>(key: &str, known: &'k BTreeSet<String>) -> &'k str {
    known
        .iter()
        .min_by_key(|k| strsim::levenshtein(key, k))
        .map(String::as_str)
        .unwrap_or_default()
}

/// Refuse any key in the file at `path` that the bot does not read.
pub fn check_file(path: &Path, known: &BTreeSet<String>) -> Result<(), ConfigError> {
    let table = config::File::from(path.to_path_buf())
        .format(config::FileFormat::Toml)
        .collect()
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    let mut keys = BTreeSet::new();
    flatten("", &table, &mut keys);
    let unknown: Vec<String> = keys
        .iter()
        .filter(|k| !known.contains(*k))
        .map(|k| format!("{k} (did you mean {}?)", nearest(k, known)))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ConfigError(format!(
        "{} sets {} the bot does not know: {}. Correct or remove {}; the known keys are listed, \
         with what each does, in config/default.toml",
        path.display(),
        if unknown.len() == 1 { "a key" } else { "keys" },
        unknown.join("; "),
        if unknown.len() == 1 { "it" } else { "them" },
    )))
}

/// The configuration key a `BRIEFING__SECTION__KEY` variable sets, as the `config` crate reads
/// it: the name after the prefix, lower-cased, with `__` between the parts.
fn key_of(variable: &str) -> Option<String> {
    let lower = variable.to_lowercase();
    let rest = lower.strip_prefix(&ENV_PREFIX.to_lowercase())?;
    Some(rest.replace("__", "."))
}

/// The variable that sets `key`.
fn variable_for(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase().replace('.', "__"))
}

/// Refuse any `BRIEFING__…` variable that sets no known key. Only names are read: a value
/// (which may be a secret) never reaches the message.
pub fn check_environment(
    variables: impl Iterator<Item = (OsString, OsString)>,
    known: &BTreeSet<String>,
) -> Result<(), ConfigError> {
    let mut unknown = Vec::new();
    for (name, _) in variables {
        let Some(name) = name.to_str() else { continue };
        let Some(key) = key_of(name) else { continue };
        if !known.contains(&key) {
            unknown.push(format!(
                "{name} (did you mean {}?)",
                variable_for(nearest(&key, known))
            ));
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    Err(ConfigError(format!(
        "the environment sets {} the bot does not know: {}. Correct or unset {}; a variable \
         {ENV_PREFIX}SECTION__KEY sets key `key` of section [section] in config/default.toml",
        if unknown.len() == 1 {
            "a variable"
        } else {
            "variables"
        },
        unknown.join("; "),
        if unknown.len() == 1 { "it" } else { "them" },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(names: &[&str]) -> impl Iterator<Item = (OsString, OsString)> {
        names
            .iter()
            .map(|n| (OsString::from(n), OsString::from("s3cret-value")))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_known_keys_are_those_of_the_defaults_and_the_token() {
        let known = known();
        for key in [
            "database.url",
            "discord.token",
            "discord.api_url",
            "board_defaults.catch_up_days",
            "schedule.claim_lease_seconds",
            "ops.listen",
            "log.format",
        ] {
            assert!(known.contains(key), "{key}");
        }
        assert!(!known.contains("discord"), "sections are not keys");
    }

    #[test]
    fn a_mistyped_variable_is_named_with_the_variable_meant_and_no_value() {
        let err = check_environment(
            vars(&["BRIEFING__DISCORD__API_ULR", "BRIEFING_CONFIG", "PATH"]),
            &known(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("BRIEFING__DISCORD__API_ULR (did you mean BRIEFING__DISCORD__API_URL?)"),
            "{err}"
        );
        assert!(err.contains("a variable the bot does not know"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert!(!err.contains("PATH"), "{err}");
    }

    #[test]
    fn known_variables_in_any_case_pass() {
        check_environment(
            vars(&[
                "BRIEFING__DISCORD__API_URL",
                "briefing__log__format",
                "BRIEFING__SCHEDULE__ALLOW_FREQUENT",
                "BRIEFING_ENV",
            ]),
            &known(),
        )
        .unwrap();
    }

    #[test]
    fn several_unknown_variables_are_all_listed() {
        let err = check_environment(
            vars(&["BRIEFING__OPS__LISTENN", "BRIEFING__DISCROD__TOKEN"]),
            &known(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("variables the bot does not know"), "{err}");
        assert!(
            err.contains("BRIEFING__DISCROD__TOKEN (did you mean BRIEFING__DISCORD__TOKEN?); BRIEFING__OPS__LISTENN (did you mean BRIEFING__OPS__LISTEN?)"),
            "{err}"
        );
        assert!(err.contains("unset them"), "{err}");
    }

    #[test]
    fn a_file_with_a_mistyped_key_or_section_is_refused_with_the_key_meant() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.toml");
        std::fs::write(
            &path,
            "[discrod]\ntoken = \"s3cret\"\n[board_defaults]\ncatch_up_dayz = 3\ntime_zone = \"UTC\"\n",
        )
        .unwrap();
        let err = check_file(&path, &known()).unwrap_err().to_string();
        assert!(err.contains("bot.toml sets keys"), "{err}");
        assert!(
            err.contains(
                "board_defaults.catch_up_dayz (did you mean board_defaults.catch_up_days?)"
            ),
            "{err}"
        );
        assert!(
            err.contains("discrod.token (did you mean discord.token?)"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
        assert!(!err.contains("time_zone"), "known keys pass: {err}");

        std::fs::write(&path, "[board_defaults]\ntime_zone = \"UTC\"\n").unwrap();
        check_file(&path, &known()).unwrap();

        // A mistyped section with nothing in it yet is still a mistake worth naming.
        std::fs::write(&path, "[discrod]\n").unwrap();
        let err = check_file(&path, &known()).unwrap_err().to_string();
        assert!(err.contains("discrod (did you mean"), "{err}");
    }
}
