//! Typed text on screen, the same in every display renderer (Discord, Markdown, the chart,
//! Slack and Teams). Text is stored exactly as typed — the history must stay true, and JSON
//! and CSV carry it unchanged as data — so what follows happens only when it is shown.
//!
//! - **Bidirectional controls are removed**: the embeddings and overrides U+202A–U+202E, the
//!   isolates U+2066–U+2069, and the marks U+200E, U+200F and U+061C. An override can make
//!   "invoice", U+202E, "fdp.exe" read as "invoiceexe.pdf" and can run on into the bot's own text beside
//!   it (a due date, an owner). Right-to-left letters keep their own direction without them, so
//!   Arabic, Hebrew or Urdu names still read correctly.
//! - **Invisible characters are removed**: the zero-width space U+200B, word joiner U+2060,
//!   byte-order mark U+FEFF, soft hyphen U+00AD, Mongolian vowel separator U+180E, combining
//!   grapheme joiner U+034F, the invisible operators U+2061–U+2064, the deprecated format
//!   characters U+206A–U+206F, interlinear annotation U+FFF9–U+FFFB, the Hangul fillers that
//!   render blank (U+115F, U+1160, U+3164, U+FFA0), musical format characters
//!   U+1D173–U+1D17A and tag characters U+E0000–U+E007F. They can hide text, make two names
//!   look the same, or split `@everyone` past a naive check.
//! - **What joins visible characters is kept**: the zero-width joiner U+200D and non-joiner
//!   U+200C between two visible characters (emoji such as 👩‍⚕️, Persian and Indic words), and
//!   the tags of a subdivision flag after U+1F3F4 (England's, Scotland's and Wales's flags).
//!   At the start or end of a word they join nothing and are removed.
//!
//! The renderers then add their own escaping. Discord's escape inserts a zero-width space
//! after `@` and `<` to break mentions, and the Slack body puts one either side of a typed
//! formatting character (Slack has no escape for them): those are the only invisible
//! characters in display output, and each sits beside the character it neutralises.

use std::borrow::Cow;

/// Whether `c` changes the direction of the text around it.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Whether `c` is invisible and never needed on screen (joiners and flag tags aside; see the
/// module documentation).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

fn is_hidden(c: char) -> bool {
    is_bidi_control(c) || is_invisible(c) || is_joiner(c)
}

const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

/// `text` as it may be shown: without bidirectional controls or invisible characters, keeping
/// joiners between visible characters and the tags of a subdivision flag.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let shown = |c: Option<&char>| c.is_some_and(|c| !c.is_whitespace() && !is_hidden(*c));
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == BLACK_FLAG {
            out.push(c);
            // A flag's tags: letters U+E0020–U+E007E ending with the cancel tag.
            let tags = chars[i + 1..]
                .iter()
                .take_while(|t| ('\u{E0020}'..='\u{E007E}').contains(*t))
                .count();
            if tags > 0 && chars.get(i + 1 + tags) == Some(&CANCEL_TAG) {
                out.extend(&chars[i + 1..=i + 1 + tags]);
                i += tags + 2;
            } else {
                i += 1;
            }
            continue;
        }
        let keep = if is_joiner(c) {
            shown(out.chars().last().as_ref()) && shown(chars.get(i + 1))
        } else {
            !is_bidi_control(c) && !is_invisible(c)
        };
        if keep {
            out.push(c);
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// Whether `c` belongs to the character before it: combining marks, joiners, variation
/// selectors, skin tones and tags. A cut never separates them.
fn extends(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{0483}'..='\u{0489}'
            | '\u{0591}'..='\u{05BD}'
            | '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0900}'..='\u{0903}'
            | '\u{093A}'..='\u{094F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{1F3FB}'..='\u{1F3FF}'
            | '\u{E0020}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Shorten to at most `max` characters (Discord counts characters), ending with "…" when
/// anything was cut. The cut never splits a character from its combining marks or an emoji
/// sequence (a flag, a skin tone, a joined emoji), and never leaves an escape backslash
/// dangling before the "…".
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut end = max.saturating_sub(1);
    // The first character dropped may belong to the last one kept; a zero-width space there is
    // a renderer's mention breaker, which goes with the `@` or `<` it breaks.
    while end > 0
        && (extends(chars[end]) || matches!(chars[end - 1], '\u{200D}') || chars[end] == '\u{200B}')
    {
        end -= 1;
    }
    if end > 0 && is_regional_indicator(chars[end]) {
        let run = chars[..end]
            .iter()
            .rev()
            .take_while(|c| is_regional_indicator(**c))
            .count();
        if run % 2 == 1 {
            end -= 1;
        }
    }
    // A link shown as `<https://…>` is cut whole: half of one would lead somewhere else.
    if let Some(open) = chars[..end].iter().rposition(|c| matches!(c, '<' | '>')) {
        let after: String = chars[open + 1..].iter().take(8).collect();
        if chars[open] == '<' && after.to_ascii_lowercase().starts_with("http") {
            end = open;
        }
    }
    let mut cut: String = chars[..end].iter().collect();
    while cut.ends_with('\\') {
        cut.pop();
    }
    if max > 0 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_and_invisible_characters_are_not_shown() {
        assert_eq!(
            visible("invoice \u{202E}fdp.exe\u{202C} \u{2066}x\u{2069}\u{200E}\u{200F}\u{061C}"),
            "invoice fdp.exe x"
        );
        assert_eq!(
            visible("zero\u{200B}width\u{2060}j\u{FEFF}b\u{00AD}s\u{180E}\u{3164}"),
            "zerowidthjbs"
        );
        // Joiners at a word's edge join nothing.
        assert_eq!(visible("\u{200D}\u{200C}edge\u{200D} x"), "edge x");
        assert_eq!(visible("plain"), Cow::Borrowed("plain"));
    }

    #[test]
    fn joined_words_emoji_and_flags_survive() {
        let persian = "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}";
        let nurse = "\u{1F469}\u{200D}\u{2695}\u{FE0F}";
        let england = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        for kept in [persian, nurse, england] {
            assert_eq!(visible(kept), kept);
        }
        // Tags anywhere else are hidden text.
        assert_eq!(visible("a\u{E0068}\u{E0069}b"), "ab");
        assert_eq!(visible("\u{1F3F4}\u{E0067}x"), "\u{1F3F4}x");
    }

    #[test]
    fn fitting_never_exceeds_the_limit_or_splits_a_character() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit(&"x".repeat(3000), 2000).chars().count(), 2000);
        assert!(fit(&format!("{}\\*", "a".repeat(8)), 10).chars().count() <= 10);
        let nurse = "\u{1F469}\u{200D}\u{2695}\u{FE0F}";
        for max in 1..40 {
            let cut = fit(&nurse.repeat(20), max);
            assert!(cut.chars().count() <= max);
            let body = cut.trim_end_matches('…');
            assert!(
                body.is_empty() || body.ends_with('\u{FE0F}'),
                "{max}: {body:?}"
            );
        }
        let zalgo = format!("Z{}", "\u{0301}".repeat(4000));
        assert_eq!(fit(&zalgo, 100), "…");
        let flags = "\u{1F1EC}\u{1F1E7}".repeat(10);
        assert_eq!(fit(&flags, 4).chars().count(), 3);
        assert_eq!(fit("anything", 0), "");
        assert_eq!(
            fit("see <https://example.org/a_long_report.pdf> now", 30),
            "see …"
        );
        // A mention breaker is never left behind without its `@`.
        assert_eq!(fit("ab@\u{200B}everyone", 4), "ab…");
    }
}
