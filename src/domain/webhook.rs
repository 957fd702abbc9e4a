//! Webhook destinations a board mirrors its digest to (Slack, Microsoft Teams). The URL is
//! the credential, so it is wrapped: it never prints in full, in logs, debug output or replies.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Which service a webhook posts to; each wants its own body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    Slack,
    Teams,
}

impl WebhookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Slack => "slack",
            WebhookKind::Teams => "teams",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "slack" => Some(WebhookKind::Slack),
            "teams" | "microsoft teams" | "msteams" => Some(WebhookKind::Teams),
            _ => None,
        }
    }
}

/// An incoming-webhook URL: a secret.
#[derive(Clone)]
pub struct WebhookUrl(SecretString);

impl WebhookUrl {
    /// Accept only https URLs (http for local test servers), so a typo cannot send the board's
    /// briefing somewhere unexpected in clear text.
    pub fn parse(input: &str) -> Result<Self, String> {
        let url = url::Url::parse(input.trim()).map_err(|_| {
            "that is not a URL; paste the webhook URL Slack or Teams gave you".to_string()
        })?;
        let local = matches!(
            url.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        );
        if url.scheme() != "https" && !(url.scheme() == "http" && local) {
            return Err("webhook URLs must start with https://".into());
        }
        Ok(Self(SecretString::from(input.trim().to_string())))
    }

    /// Safe to show: scheme, host and the last four characters.
    pub fn redacted(&self) -> String {
        let full = self.0.expose_secret();
        let host = url::Url::parse(full)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        let tail: String = full
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("https://{host}/…{tail}")
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.redacted())
    }
}

/// A board's webhook destination.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub name: String,
    pub kind: WebhookKind,
    pub url: WebhookUrl,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_never_print_in_full() {
        let url = WebhookUrl::parse("https://hooks.slack.com/services/T000/B000/abcdefghijklmnop")
            .unwrap();
        assert_eq!(url.redacted(), "https://hooks.slack.com/…mnop");
        assert!(!format!("{url:?}").contains("abcdefghijkl"));
        assert!(WebhookUrl::parse("http://example.com/hook").is_err());
        assert!(WebhookUrl::parse("not a url").is_err());
        assert!(WebhookUrl::parse("http://127.0.0.1:9/hook").is_ok());
    }
}
