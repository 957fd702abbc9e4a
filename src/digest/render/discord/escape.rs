//! Making user text inert in Discord: no pings, no formatting, no previews.

use crate::digest::render::text::visible;

/// Make user text inert in Discord, showing it as typed: bidi controls and invisible
/// characters go (see [`super::text`]); Markdown characters are escaped, and so are `-`, `+`
/// and `1.` where a line starts (lists, `-#` subtext); anything that looks like a mention,
/// timestamp, emoji or command (`@everyone`, `@here`, `<@id>`, `<@&role>`, `<#channel>`,
/// `<t:…>`, `<:name:id>`, `</cmd:id>`) is broken with a zero-width space after its `@` or `<`
/// — defence in depth behind allowed-mentions. A web address is shown as `<https://…>`: still a
/// link, never a preview, and its `_`, `*` or `#` are not escaped into it (an escape would end
/// up in the address). One with an `@` in it (`https://trusted@evil.example`) is shown as
/// plain, broken text instead.
pub fn escape(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    let mut rest: &str = &text;
    while let Some(c) = rest.chars().next() {
        let word_start = out.chars().last().is_none_or(|p| !p.is_alphanumeric());
        if let Some(len) = link_len(rest).filter(|_| word_start) {
            out.push('<');
            out.push_str(&rest[..len]);
            out.push('>');
            rest = &rest[len..];
            line_start = false;
            continue;
        }
        if line_start && c != ' ' {
            line_start = false;
            let digits = rest.len() - rest.trim_start_matches(|d: char| d.is_ascii_digit()).len();
            if matches!(c, '-' | '+') {
                out.push('\\');
            } else if digits > 0 && rest[digits..].starts_with(['.', ')']) {
                // `1.` needs its own escape; `1)` gets one below, as `)` always does.
                out.push_str(&rest[..digits]);
                if rest[digits..].starts_with('.') {
                    out.push('\\');
                }
                rest = &rest[digits..];
                continue;
            }
        }
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200B}"),
            '<' => out.push_str("<\u{200B}"),
            '\r' => {}
            '\n' => {
                out.push(c);
                line_start = true;
            }
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length in bytes of the web address `text` starts with, if it does: up to a space or
/// `<`/`>`, without the punctuation that ends a sentence or closes a bracket. `None` for an
/// address with `@` in it, which may hide where it goes.
fn link_len(text: &str) -> Option<usize> {
    let scheme = ["https://", "http://"].into_iter().find(|s| {
        text.get(..s.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(s))
    })?;
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(text.len());
    let link = text[..end].trim_end_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ':' | ';' | '!' | '?' | '\'' | ')' | ']' | '*' | '_' | '~' | '|' | '`'
        )
    });
    (link.len() > scheme.len() && !link.contains('@')).then_some(link.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_ping_or_format() {
        let safe = escape("@everyone see <@&123> and <@456> in <#789> **now** `x` @here");
        for bad in ["@everyone", "@here", "<@", "<#"] {
            assert!(!safe.contains(bad), "{safe}");
        }
        assert!(safe.contains("\\*\\*now\\*\\*"));
        assert!(safe.contains("\\`x\\`"));
    }

    #[test]
    fn timestamps_emoji_commands_and_line_starts_are_inert() {
        let safe = escape("<t:1700000000:R> <:cat:1> </digest post:2>");
        assert_eq!(safe.matches("<\u{200B}").count(), 3, "{safe}");
        for (typed, shown) in [
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("12. item", "12\\. item"),
            ("-# small", "\\-\\# small"),
            ("a\n- b\n3) c", "a\n\\- b\n3\\) c"),
            ("mid-line 1. stays", "mid-line 1. stays"),
        ] {
            assert_eq!(escape(typed), shown);
        }
    }

    #[test]
    fn bidi_controls_and_invisible_characters_are_dropped_before_escaping() {
        assert_eq!(
            escape("a\u{202E}b\u{2066}c\u{200B}d\u{FEFF}@\u{2060}here"),
            "abcd@\u{200B}here"
        );
    }

    #[test]
    fn web_addresses_stay_links_without_previews_or_escapes() {
        assert_eq!(
            escape("see https://example.org/report_2010*final*.pdf."),
            "see <https://example.org/report_2010*final*.pdf>."
        );
        assert_eq!(
            escape("[click](http://evil.example/x)"),
            "\\[click\\]\\(<http://evil.example/x>\\)"
        );
        // An address with an @ may hide where it goes: plain text, its @ broken.
        assert_eq!(
            escape("https://trusted@evil.example"),
            "https://trusted@\u{200B}evil.example"
        );
        assert_eq!(escape("xhttps://a.example"), "xhttps://a.example");
        assert_eq!(escape("https://"), "https://");
    }
}
