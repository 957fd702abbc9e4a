//! Identifiers a secretary types: record refs, board slugs and Discord user ids.

use std::fmt;
use std::str::FromStr;

/// Why an identifier was refused, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("is empty; give a reference such as DSVB-2010-03")]
    Empty,
    #[error("is {0} characters long; a reference has at most {max} characters", max = Ref::MAX_LEN)]
    TooLong(usize),
    #[error("contains {0:?}; use letters, digits and - _ . / only (no spaces)")]
    BadChar(char),
    #[error(
        "{0:?} is not a board slug; use 2–40 lower-case letters, digits and hyphens, e.g. dsvb"
    )]
    BadSlug(String),
    #[error("{0:?} is not a Discord user id; copy the user's id (a number of 17–20 digits) with Developer Mode on")]
    BadOfficer(String),
}

/// A recommendation or action reference, unique within a board (e.g. `DSVB-2010-03`).
///
/// Refs are compared exactly as typed but looked up case-insensitively by the store, so
/// `dsvb-2010-03` finds `DSVB-2010-03`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Ref(String);

impl Ref {
    /// Longest ref accepted; long enough for any real numbering scheme, short enough for a table.
    pub const MAX_LEN: usize = 40;

    pub fn parse(input: &str) -> Result<Self, RefError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(RefError::Empty);
        }
        let len = trimmed.chars().count();
        if len > Self::MAX_LEN {
            return Err(RefError::TooLong(len));
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
        {
            return Err(RefError::BadChar(bad));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Ref {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The short name a board is known by on the command line (`--board dsvb`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct BoardSlug(String);

impl BoardSlug {
    pub fn parse(input: &str) -> Result<Self, RefError> {
        let s = input.trim();
        let ok = (2..=40).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(RefError::BadSlug(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BoardSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BoardSlug {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The Discord user assigned to an action. Kept as a snowflake id, never a name, so a renamed
/// user stays assigned and a reminder can mention exactly them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct OfficerId(u64);

impl OfficerId {
    pub fn parse(input: &str) -> Result<Self, RefError> {
        let s = input.trim();
        let s = s
            .strip_prefix("<@")
            .and_then(|rest| rest.strip_suffix('>'))
            .map(|rest| rest.trim_start_matches('!'))
            .unwrap_or(s);
        // Snowflakes never start with 0; a zero-padded number would be stored (and exported)
        // as a shorter one that no longer reads as an id.
        if !(17..=20).contains(&s.len())
            || !s.chars().all(|c| c.is_ascii_digit())
            || s.starts_with('0')
        {
            return Err(RefError::BadOfficer(input.trim().to_string()));
        }
        s.parse()
            .map(Self)
            .map_err(|_| RefError::BadOfficer(input.trim().to_string()))
    }

    pub fn new(id: u64) -> Self {
        Self(id)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl From<OfficerId> for String {
    fn from(id: OfficerId) -> String {
        id.0.to_string()
    }
}

impl fmt::Display for OfficerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_accept_board_numbering_and_refuse_spaces() {
        assert_eq!(
            Ref::parse(" DSVB-2010-03 ").unwrap().as_str(),
            "DSVB-2010-03"
        );
        assert_eq!(Ref::parse("DSVB 2010").unwrap_err(), RefError::BadChar(' '));
        assert_eq!(Ref::parse("").unwrap_err(), RefError::Empty);
        assert!(matches!(
            Ref::parse(&"X".repeat(41)),
            Err(RefError::TooLong(41))
        ));
    }

    #[test]
    fn slugs_are_lower_case_words() {
        assert!(BoardSlug::parse("dsvb").is_ok());
        assert!(BoardSlug::parse("north-west-2").is_ok());
        assert!(BoardSlug::parse("DSVB").is_err());
        assert!(BoardSlug::parse("-x").is_err());
        assert!(BoardSlug::parse("a").is_err());
    }

    #[test]
    fn officer_ids_accept_mentions_and_plain_ids() {
        assert_eq!(
            OfficerId::parse("<@!200000000000000001>").unwrap().get(),
            200000000000000001
        );
        assert_eq!(
            OfficerId::parse("200000000000000001").unwrap().get(),
            200000000000000001
        );
        assert!(OfficerId::parse("jane").is_err());
        // Zero-padded, it would be stored as 1 and export as a value import refuses.
        assert!(OfficerId::parse("<@00000000000000001>").is_err());
        assert!(OfficerId::parse("00000000000000000000").is_err());
        assert!(OfficerId::parse("99999999999999999999999").is_err());
    }
}
