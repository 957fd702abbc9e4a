//! Mirroring the digest to Slack and Microsoft Teams incoming webhooks, for members who are
//! not on Discord. The destinations themselves ([`Webhook`], its secret URL) are domain types.

use std::time::Duration;

use super::DeliveryError;
use crate::digest::render::markdown::escape as markdown_escape;
use crate::digest::render::text::visible;
use crate::domain::{Webhook, WebhookKind};

/// Slack's mrkdwn differs from Markdown: bold is `*x*`, links are `<url|text>`, headings do not
/// exist. Converts the Markdown renderer's output: its headings and `**bold**` become Slack
/// bold, and its backslash escapes of typed text become what Slack shows literally (Slack has
/// no backslash escape).
pub fn markdown_to_slack(markdown: &str) -> String {
    markdown
        .lines()
        .map(|line| {
            let hashes = line.len() - line.trim_start_matches('#').len();
            match line[hashes..].strip_prefix(' ') {
                Some(heading) if hashes > 0 => format!("*{}*", slack_inline(heading)),
                _ => slack_inline(line),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line of escaped Markdown as mrkdwn: `**` is bold, `\X` is a typed X.
fn slack_inline(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => {
                let typed = chars.next().unwrap_or(c);
                push_typed(&mut out, typed);
            }
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push('*');
            }
            _ => push_typed(&mut out, c),
        }
    }
    out
}

/// Typed text as mrkdwn that shows it as typed: bidi controls and invisible characters go (as
/// everywhere; see [`crate::digest::render::text`]), and each character Slack gives a meaning
/// is neutralised by [`push_typed`].
fn slack_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in visible(text).chars() {
        push_typed(&mut out, c);
    }
    out
}

/// Slack reads `<…>` as a control sequence: `<!channel>`, `<!here>` and `<@U…>` ping people,
/// `<url|text>` is a disguised link. Escaping `&`, `<` and `>` (as Slack documents) keeps typed
/// text inert. Slack has no escape for its formatting characters, so a typed `*`, `_`, `~` or
/// backtick gets a zero-width space on each side: it can then neither open nor close bold,
/// italics, strikethrough or code.
fn push_typed(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '*' | '_' | '~' | '`' => {
            out.push('\u{200B}');
            out.push(c);
            out.push('\u{200B}');
        }
        _ => out.push(c),
    }
}

/// The request body for a webhook of this kind. `title` is plain typed text (a board or
/// meeting name); `markdown` is the Markdown renderer's output, its typed text already escaped.
pub fn body(kind: WebhookKind, title: &str, markdown: &str) -> serde_json::Value {
    match kind {
        WebhookKind::Slack => serde_json::json!({
            "text": format!("*{}*\n{}", slack_text(title), markdown_to_slack(markdown)),
            "mrkdwn": true,
            // Typed links stay links, without a preview of whatever they point at.
            "unfurl_links": false,
            "unfurl_media": false,
        }),
        // An Adaptive Card in a message: what Teams' Workflows webhooks accept. Its TextBlocks
        // read CommonMark-style Markdown, so the title is escaped as the Markdown renderer
        // escapes typed text; a `<at>` mention needs an entity the card never carries.
        WebhookKind::Teams => serde_json::json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        { "type": "TextBlock", "text": markdown_escape(title), "weight": "Bolder", "size": "Medium", "wrap": true },
                        { "type": "TextBlock", "text": markdown, "wrap": true }
                    ]
                }
            }]
        }),
    }
}

/// Send one post to a webhook. 429 and 5xx (and network trouble) are worth retrying; other
/// refusals are permanent (the webhook was deleted or the URL is wrong).
pub async fn send(
    client: &reqwest::Client,
    webhook: &Webhook,
    title: &str,
    markdown: &str,
) -> Result<(), DeliveryError> {
    let response = client
        .post(webhook.url.expose())
        .timeout(Duration::from_secs(20))
        .json(&body(webhook.kind, title, markdown))
        .send()
        .await
        .map_err(|e| DeliveryError::Retry {
            status: None,
            retry_after: None,
            // reqwest puts the URL in its errors; never pass it on.
            detail: format!(
                "could not reach the {} webhook {}: {}",
                webhook.kind.as_str(),
                webhook.name,
                e.without_url()
            ),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(super::RetryAfter::parse);
    let detail = format!(
        "the {} webhook {} answered {status}",
        webhook.kind.as_str(),
        webhook.name
    );
    if status.as_u16() == 429 || status.is_server_error() {
        Err(DeliveryError::Retry {
            status: Some(status.as_u16()),
            retry_after,
            detail,
        })
    } else {
        Err(DeliveryError::Permanent {
            status: Some(status.as_u16()),
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_for_slack_and_teams() {
        let slack = body(
            WebhookKind::Slack,
            "Q2 digest",
            "## Overdue\n**12** actions",
        );
        assert_eq!(slack["text"], "*Q2 digest*\n*Overdue*\n*12* actions");
        // Typed text cannot ping a Slack channel or person.
        let typed = body(
            WebhookKind::Slack,
            "Board <north>",
            "note: <!channel> & <!here> see <@U024BE7LH>",
        );
        assert_eq!(
            typed["text"],
            "*Board &lt;north&gt;*\nnote: &lt;!channel&gt; &amp; &lt;!here&gt; see &lt;@U024BE7LH&gt;"
        );
        // Typed formatting (escaped by the Markdown renderer) shows as typed: guarded by
        // zero-width spaces, since Slack has no escape.
        let escaped = body(
            WebhookKind::Slack,
            "*Board*",
            "- **A-1** \\*not bold\\* \\_x\\_ \\# \\| \\\\ \\<b\\>",
        );
        assert_eq!(
            escaped["text"],
            "*\u{200B}*\u{200B}Board\u{200B}*\u{200B}*\n- *A-1* \u{200B}*\u{200B}not bold\u{200B}*\u{200B} \
             \u{200B}_\u{200B}x\u{200B}_\u{200B} # | \\ &lt;b&gt;"
        );
        assert_eq!(escaped["unfurl_links"], false);
        // Teams reads Markdown: the typed title is escaped like the digest's typed text.
        let title = body(WebhookKind::Teams, "- <at>All</at>", "x");
        assert_eq!(
            title["attachments"][0]["content"]["body"][0]["text"],
            "\\- \\<at\\>All\\</at\\>"
        );
        let teams = body(WebhookKind::Teams, "Q2 digest", "12 actions");
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
        assert_eq!(
            teams["attachments"][0]["content"]["body"][1]["text"],
            "12 actions"
        );
    }
}
