//! The figures an operator watches: commands handled and how long they took, scheduled posts
//! and how they ended, database errors, gateway reconnects. One [`Metrics`] is shared by the
//! bot, the scheduler and the `/metrics` endpoint.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// How a slash command ended, as the log line and the metrics name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandOutcome {
    /// It did what was asked.
    Ok,
    /// The input could not be used (unknown ref, bad date, …); the person was told how to fix it.
    Refused,
    /// The person may not run it (role or permission missing).
    Denied,
    /// Something went wrong on our side; logged with a reference.
    Failed,
}

impl CommandOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Ok => "ok",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Denied => "denied",
            CommandOutcome::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandName {
    command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PostLabels {
    job: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DatabaseLabels {
    during: &'static str,
}

/// The latency buckets: 1 ms to about 8 s, doubling. Discord gives a command 3 s to answer, so
/// the upper buckets show the commands that come close.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

struct Inner {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    command_seconds: Family<CommandName, Histogram, fn() -> Histogram>,
    scheduled_posts: Family<PostLabels, Counter>,
    database_errors: Family<DatabaseLabels, Counter>,
    gateway_reconnects: Counter,
    scheduler_restarts: Counter,
    shards_expected: Gauge,
    shards_connected: Gauge,
}

/// The process's metrics. Cheap to clone: clones share the same counters.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("briefing_bot");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Slash commands handled, by command and outcome (ok, refused, denied, failed)",
            commands.clone(),
        );
        let command_seconds =
            Family::<CommandName, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register_with_unit(
            "command_duration",
            "Time from receiving a slash command to finishing it (time spent waiting for the \
             person to fill in a form is left out)",
            Unit::Seconds,
            command_seconds.clone(),
        );
        let scheduled_posts = Family::<PostLabels, Counter>::default();
        registry.register(
            "scheduled_posts",
            "Scheduled posts (digest, reminder, meeting brief) by job and outcome (sent, \
             nothing_to_post, failed, error)",
            scheduled_posts.clone(),
        );
        let database_errors = Family::<DatabaseLabels, Counter>::default();
        registry.register(
            "database_errors",
            "Database errors, by what the bot was doing (command, scheduler, health_check)",
            database_errors.clone(),
        );
        let gateway_reconnects = Counter::default();
        registry.register(
            "gateway_reconnects",
            "Times a gateway shard connected again after its first connection (resumed or \
             identified anew)",
            gateway_reconnects.clone(),
        );
        let scheduler_restarts = Counter::default();
        registry.register(
            "scheduler_restarts",
            "Times the scheduler stopped on a panic and was started again",
            scheduler_restarts.clone(),
        );
        let shards_expected = Gauge::default();
        registry.register(
            "gateway_shards",
            "Gateway shards this process runs",
            shards_expected.clone(),
        );
        let shards_connected = Gauge::default();
        registry.register(
            "gateway_shards_connected",
            "Gateway shards of this process connected at the last scrape or health check",
            shards_connected.clone(),
        );
        Self(Arc::new(Inner {
            registry,
            commands,
            command_seconds,
            scheduled_posts,
            database_errors,
            gateway_reconnects,
            scheduler_restarts,
            shards_expected,
            shards_connected,
        }))
    }

    /// A slash command finished. `elapsed` is None when it was refused before it started
    /// (a permission check), so it has no meaningful duration.
    pub fn command_finished(
        &self,
        command: &str,
        outcome: CommandOutcome,
        elapsed: Option<Duration>,
    ) {
        self.0
            .commands
            .get_or_create(&CommandLabels {
                command: command.to_string(),
                outcome: outcome.as_str(),
            })
            .inc();
        if let Some(elapsed) = elapsed {
            self.0
                .command_seconds
                .get_or_create(&CommandName {
                    command: command.to_string(),
                })
                .observe(elapsed.as_secs_f64());
        }
    }

    /// A scheduled post ended (`outcome` as the delivery log names it, or `error` when it
    /// could not be built).
    pub fn scheduled_post(&self, job: &'static str, outcome: &'static str) {
        self.0
            .scheduled_posts
            .get_or_create(&PostLabels { job, outcome })
            .inc();
    }

    /// The database failed while doing `during` (command, scheduler, health_check).
    pub fn database_error(&self, during: &'static str) {
        self.0
            .database_errors
            .get_or_create(&DatabaseLabels { during })
            .inc();
    }

    /// A shard connected again after having been connected.
    pub fn gateway_reconnected(&self) {
        self.0.gateway_reconnects.inc();
    }

    /// The scheduler died and was started again.
    pub fn scheduler_restarted(&self) {
        self.0.scheduler_restarts.inc();
    }

    /// The gateway's state as last seen.
    pub fn gateway_shards(&self, expected: u32, connected: u32) {
        self.0.shards_expected.set(i64::from(expected));
        self.0.shards_connected.set(i64::from(connected));
    }

    /// Everything in the Prometheus (OpenMetrics) text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.0.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample value of one series, found by its name and labels as they print.
    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn counts_commands_posts_and_errors_by_label() {
        let metrics = Metrics::new();
        metrics.command_finished("update", CommandOutcome::Ok, Some(Duration::from_millis(3)));
        metrics.command_finished(
            "update",
            CommandOutcome::Ok,
            Some(Duration::from_millis(30)),
        );
        metrics.command_finished("import", CommandOutcome::Denied, None);
        metrics.scheduled_post("digest", "sent");
        metrics.database_error("scheduler");
        metrics.gateway_reconnected();
        metrics.gateway_shards(2, 1);
        let text = metrics.encode();
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_commands_total{command="update",outcome="ok"}"#
            ),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_commands_total{command="import",outcome="denied"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_command_duration_seconds_count{command="update"}"#
            ),
            Some(2.0)
        );
        // 3 ms is within the 4 ms bucket, 30 ms is not.
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_command_duration_seconds_bucket{le="0.004",command="update"}"#
            ),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_command_duration_seconds_count{command="import"}"#
            ),
            None,
            "a denied command has no duration"
        );
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_scheduled_posts_total{job="digest",outcome="sent"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                r#"briefing_bot_database_errors_total{during="scheduler"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            value(&text, "briefing_bot_gateway_reconnects_total"),
            Some(1.0)
        );
        assert_eq!(
            value(&text, "briefing_bot_gateway_shards_connected"),
            Some(1.0)
        );
        assert!(text.contains("# TYPE briefing_bot_command_duration_seconds histogram"));
    }
}
