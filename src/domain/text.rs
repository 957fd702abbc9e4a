//! Free text people type: titles, notes, reasons. Bounded so one cell cannot swamp a post, and
//! cleaned of control characters that would corrupt a table or a message.

use std::fmt;

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is empty; it is required")]
    Empty,
    #[error("is {len} characters long; at most {max} are allowed — shorten it or put the detail in a linked document")]
    TooLong { len: usize, max: usize },
}

/// Trimmed, non-empty text of bounded length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// A title or name: one line.
    pub const TITLE_MAX: usize = 200;
    /// A recommendation's full text.
    pub const BODY_MAX: usize = 4000;
    /// A note, reason or evidence link on a status update (fits one Discord modal).
    pub const NOTE_MAX: usize = 1000;
    /// An owner, borough, theme or source name.
    pub const NAME_MAX: usize = 100;

    /// Parse single-line text (newlines become spaces).
    pub fn line(input: &str, max: usize) -> Result<Self, TextError> {
        let cleaned: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Self::bounded(&cleaned, max)
    }

    /// Parse multi-line text (keeps newlines, drops other control characters).
    pub fn multiline(input: &str, max: usize) -> Result<Self, TextError> {
        let cleaned: String = input
            .replace("\r\n", "\n")
            .chars()
            .filter(|c| *c == '\n' || !c.is_control())
            .collect();
        Self::bounded(&cleaned, max)
    }

    fn bounded(cleaned: &str, max: usize) -> Result<Self, TextError> {
        let trimmed = cleaned.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        let len = trimmed.chars().count();
        if len > max {
            return Err(TextError::TooLong { len, max });
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_single_line() {
        assert_eq!(Text::line("  a\nb ", 10).unwrap().as_str(), "a b");
        assert_eq!(Text::line("   ", 10).unwrap_err(), TextError::Empty);
        assert_eq!(
            Text::line("abcdef", 5).unwrap_err(),
            TextError::TooLong { len: 6, max: 5 }
        );
        assert_eq!(Text::multiline("a\r\nb\u{7}", 10).unwrap().as_str(), "a\nb");
    }
}
