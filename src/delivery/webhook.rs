//! Mirroring the digest to Slack and Microsoft Teams incoming webhooks, for members who are
//! not on Discord. The destinations themselves ([`Webhook`], its secret URL) are domain types.

use std::time::Duration;

use super::DeliveryError;
use crate::domain::{Webhook, WebhookKind};

/// Slack's mrkdwn differs from Markdown: bold is `*x*`, links are `<url|text>`, headings do not
/// exist. Convert the few constructs the digest uses.
pub fn markdown_to_slack(markdown: &str) -> String {
    slack_escape(markdown)
        .lines()
        .map(|line| {
            let trimmed = line.trim_start_matches('#').trim_start();
            let line = if line.starts_with('#') {
                format!("*{trimmed}*")
            } else {
                line.to_string()
            };
            line.replace("**", "*")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Slack reads `<…>` as a control sequence: `<!channel>`, `<!here>` and `<@U…>` ping people.
/// Escaping `&`, `<` and `>` (as Slack documents) keeps typed text inert; the digest itself
/// uses none of them for formatting.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The request body for a webhook of this kind.
pub fn body(kind: WebhookKind, title: &str, markdown: &str) -> serde_json::Value {
    match kind {
        WebhookKind::Slack => serde_json::json!({
            "text": format!("*{}*\n{}", slack_escape(title), markdown_to_slack(markdown)),
            "mrkdwn": true,
        }),
        // An Adaptive Card in a message: what Teams' Workflows webhooks accept.
        WebhookKind::Teams => serde_json::json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        { "type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true },
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
        let teams = body(WebhookKind::Teams, "Q2 digest", "12 actions");
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
        assert_eq!(
            teams["attachments"][0]["content"]["body"][1]["text"],
            "12 actions"
        );
    }
}
