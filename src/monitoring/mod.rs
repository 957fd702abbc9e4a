//! Watching the bot in production: metrics shared by the bot and the scheduler, and the
//! opt-in `/healthz` and `/metrics` endpoint that serves them.
//!
//! - [`heartbeat`]: when the scheduler last completed a pass, for `/healthz`.
//! - [`logging`]: log lines as text or JSON, one per command and per scheduled post.
//! - [`metrics`]: the counters and histograms, in the Prometheus text format.
//! - [`server`]: the endpoint, and the health check it answers with.

pub mod heartbeat;
pub mod logging;
pub mod metrics;
pub mod server;

pub use heartbeat::Heartbeat;
pub use metrics::{CommandOutcome, Metrics};
pub use server::{GatewayProbe, GatewayStatus, Health, Readiness};
