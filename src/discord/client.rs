//! Building and running the Discord client.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};

use super::lease::GatewayLease;
use super::{commands, error, telemetry, Data};
use crate::config::ShardRange;
use crate::monitoring::{GatewayProbe, GatewayStatus, Health, Metrics};
use crate::schedule::poster::BoardPoster;
use crate::schedule::{Runner, RunnerSettings};

/// How to reach Discord.
pub struct Connection {
    pub token: SecretString,
    /// Another API base URL (a rate-limiting proxy, or a test server). Serenity's own rate
    /// limiter is turned off with it: the proxy is expected to rate-limit, and serenity ignores
    /// a proxy while its limiter is on.
    pub api_url: Option<String>,
    /// The gateway shards this process runs.
    pub shards: ShardRange,
    /// How long the lease on them lasts unrenewed (`discord.lease_seconds`).
    pub lease_term: Duration,
}

impl Connection {
    /// Discord itself (or `api_url`), one process running every shard.
    pub fn new(token: SecretString, api_url: Option<String>) -> Self {
        Self {
            token,
            api_url,
            shards: ShardRange::ALL_OF_ONE,
            lease_term: super::lease::DEFAULT_TERM,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("token", &"[hidden]")
            .field("api_url", &self.api_url)
            .field("shards", &self.shards)
            .field("lease_term", &self.lease_term)
            .finish()
    }
}

/// Gateway intents, least privilege: slash commands arrive as interactions with the member's
/// roles and permissions attached, so only `GUILDS` is needed (server, channels and roles for
/// the permission checks). No privileged intents.
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
}

/// The poise options: commands, error handling, and replies that ping nobody by default.
pub fn framework_options() -> poise::FrameworkOptions<Data, super::BotError> {
    poise::FrameworkOptions {
        commands: commands::all(),
        on_error: |err| Box::pin(error::on_error(err)),
        allowed_mentions: Some(super::format::no_pings()),
        // Runs before every command's own checks, so a command refused by a check still gets
        // its log line and its count.
        command_check: Some(|ctx| {
            Box::pin(async move {
                telemetry::start(ctx).await;
                Ok(true)
            })
        }),
        post_command: |ctx| Box::pin(telemetry::finish(ctx, telemetry::Outcome::Ok)),
        // Clicks on the bot's controls and the forms they open (slash commands are poise's).
        event_handler: |framework, event| {
            Box::pin(async move {
                if let serenity::FullEvent::InteractionCreate { interaction } = event {
                    super::components::handle(
                        framework.serenity_context,
                        framework.user_data,
                        interaction,
                    )
                    .await;
                }
                Ok(())
            })
        },
        ..Default::default()
    }
}

/// Register the commands with Discord, retrying with backoff. Runs in the background so a
/// failure never leaves the bot waiting forever for its setup to finish.
async fn register_commands(http: Arc<serenity::Http>, commands: Vec<serenity::CreateCommand>) {
    let mut delay = Duration::from_secs(1);
    for attempt in 1.. {
        match serenity::Command::set_global_commands(&http, commands.clone()).await {
            Ok(registered) => {
                tracing::info!(count = registered.len(), "slash commands registered");
                return;
            }
            Err(e) => {
                tracing::error!(attempt, error = %e, retry_in_secs = delay.as_secs(), "could not register slash commands; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(300));
            }
        }
    }
}

/// The REST client, pointed at the configured API base URL if there is one.
pub fn http_client(connection: &Connection) -> serenity::Http {
    let token = connection.token.expose_secret();
    match &connection.api_url {
        Some(url) => serenity::HttpBuilder::new(token)
            .proxy(url.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build(),
        None => serenity::HttpBuilder::new(token).build(),
    }
}

/// Build a client ready to [`start`]. `raw_events`, if given, sees every gateway event beside
/// the framework: tests install one that fails on any event serenity could not read (it would
/// otherwise drop it silently).
pub async fn build_client(
    connection: &Connection,
    data: Data,
    raw_events: Option<Arc<dyn serenity::RawEventHandler>>,
) -> Result<serenity::Client, serenity::Error> {
    let http = http_client(connection);
    let watch = GatewayWatch::new(data.metrics.clone());
    let framework = poise::Framework::builder()
        .options(framework_options())
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            let commands =
                poise::builtins::create_application_commands(&framework.options().commands);
            let http = ctx.http.clone();
            tracing::info!(guilds = ready.guilds.len(), "connected to Discord");
            Box::pin(async move {
                tokio::spawn(register_commands(http, commands));
                Ok(data)
            })
        })
        .build();
    let mut builder = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .event_handler(watch);
    if let Some(handler) = raw_events {
        builder = builder.raw_event_handler(ForwardRawEvents(handler));
    }
    builder.await
}

/// Connect this process's shards and serve until they shut down.
pub async fn start(
    client: &mut serenity::Client,
    shards: ShardRange,
) -> Result<(), serenity::Error> {
    // Serenity's shard range includes its end, despite the `Range` type: `0..1` starts shards
    // 0 and 1. So pass the last shard, not one past it.
    client
        .start_shard_range(shards.first..shards.last, shards.total)
        .await
}

/// Counts reconnects: a READY for a shard that was connected before (it identified anew), or a
/// RESUMED (it picked up its old session).
struct GatewayWatch {
    metrics: Metrics,
    /// Shards that have been connected at least once. A std mutex: held for an insert, never
    /// across an await.
    seen: std::sync::Mutex<std::collections::HashSet<u32>>,
}

impl GatewayWatch {
    fn new(metrics: Metrics) -> Self {
        Self {
            metrics,
            seen: Default::default(),
        }
    }
}

#[serenity::async_trait]
impl serenity::EventHandler for GatewayWatch {
    async fn ready(&self, ctx: serenity::Context, ready: serenity::Ready) {
        let first_time = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ctx.shard_id.0);
        if !first_time {
            self.metrics.gateway_reconnected();
            tracing::info!(
                shard = ctx.shard_id.0,
                guilds = ready.guilds.len(),
                "gateway reconnected (new session)"
            );
        }
    }

    async fn resume(&self, ctx: serenity::Context, _: serenity::ResumedEvent) {
        self.metrics.gateway_reconnected();
        tracing::info!(shard = ctx.shard_id.0, "gateway reconnected (resumed)");
    }
}

/// The gateway's state as serenity's shard manager sees it at this moment.
pub struct ShardProbe {
    manager: Arc<serenity::ShardManager>,
    expected: u32,
}

impl ShardProbe {
    pub fn new(client: &serenity::Client, shards: ShardRange) -> Self {
        Self {
            manager: client.shard_manager.clone(),
            expected: shards.count(),
        }
    }
}

impl GatewayProbe for ShardProbe {
    fn status(&self) -> std::pin::Pin<Box<dyn Future<Output = GatewayStatus> + Send + '_>> {
        Box::pin(async move {
            let runners = self.manager.runners.lock().await;
            let connected = runners
                .values()
                .filter(|r| r.stage == serenity::ConnectionStage::Connected)
                .count();
            GatewayStatus {
                expected: self.expected,
                connected: u32::try_from(connected).unwrap_or(u32::MAX),
            }
        })
    }
}

/// Passes raw gateway events to a shared handler (serenity takes handlers by value).
struct ForwardRawEvents(Arc<dyn serenity::RawEventHandler>);

#[serenity::async_trait]
impl serenity::RawEventHandler for ForwardRawEvents {
    async fn raw_event(&self, ctx: serenity::Context, event: serenity::Event) {
        self.0.raw_event(ctx, event).await;
    }
}

/// How this process's scheduler behaves (from the `schedule` configuration section).
#[derive(Debug, Clone, Copy)]
pub struct SchedulerOptions {
    /// How long a claimed post is held before another process may take it over.
    pub claim_lease: chrono::Duration,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            claim_lease: RunnerSettings::default().lease,
        }
    }
}

/// Run the bot and its scheduler until `shutdown` completes, then disconnect cleanly. With an
/// `ops` listener, `/healthz` and `/metrics` are served on it meanwhile.
pub async fn run_until(
    connection: Connection,
    data: Data,
    ops: Option<tokio::net::TcpListener>,
    scheduler: SchedulerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = data.store.clone();
    let clock = data.clock.clone();
    let metrics = data.metrics.clone();
    let changed = data.schedule_changed.clone();
    let mut client = build_client(&connection, data, None).await?;
    let poster =
        Arc::new(BoardPoster::new(store.clone(), client.http.clone()).with_clock(clock.clone()));
    let worker = process_name();
    let settings = RunnerSettings {
        worker: worker.clone(),
        lease: scheduler.claim_lease,
        ..Default::default()
    };
    let lease = Arc::new(
        GatewayLease::new(store.clone(), clock.clone(), connection.shards, worker)
            .with_term(connection.lease_term),
    );
    // Scheduled posts are claimed one by one, so the scheduler is safe on a standby too.
    let runner = Arc::new(
        Runner::new(store.clone(), clock, poster, settings)
            .with_wakeup(changed)
            .with_metrics(metrics.clone()),
    );
    // Dropped (and so stopped) when this function returns.
    let _ops = ops.map(|listener| {
        let health = Arc::new(Health {
            store: store.clone(),
            gateway: Arc::new(ShardProbe::new(&client, connection.shards)),
            metrics: metrics.clone(),
            scheduler: Some(runner.heartbeat()),
        });
        AbortOnDrop(tokio::spawn(crate::monitoring::server::serve(
            listener, health,
        )))
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let scheduler = tokio::spawn(runner.supervise(stopped.clone()));
    let manager = client.shard_manager.clone();
    let stop_on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        stop_on_signal.send_replace(true);
        manager.shutdown_all().await;
    });
    let result = serve_gateway(&mut client, &connection, &lease, stopped).await;
    // The gateway has closed (shutdown, error or a lost lease): stop the scheduler, letting it
    // finish the post it may be sending.
    stop.send_replace(true);
    let _ = scheduler.await;
    result
}

/// Take the gateway lease (waiting as a standby while another process has it), connect, and
/// keep the lease while connected. When the lease cannot be kept, disconnect the shards before
/// it can run out and wait as a standby again, in this process, rather than exit: the serenity
/// client stays up and its shards are started again once the lease is back. Returns when the
/// gateway closes or `stopped` turns true.
async fn serve_gateway(
    client: &mut serenity::Client,
    connection: &Connection,
    lease: &Arc<GatewayLease>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let held = tokio::select! {
        held = lease.acquire() => held,
        _ = stopped.wait_for(|stop| *stop) => return Ok(()),
    };
    let manager = client.shard_manager.clone();
    let shards = connection.shards;
    // Returns only when told to stop while fenced: with no shard running, the shutdown task's
    // `shutdown_all` has nothing to close, so `start` would never return.
    let guard = async {
        let mut held = held;
        loop {
            let fenced = lease.keep(held).await;
            fence(&manager, shards, lease, &fenced).await;
            held = tokio::select! {
                held = lease.acquire() => held,
                _ = stopped.wait_for(|stop| *stop) => return,
            };
            tracing::info!(shards = %shards, "connecting to the gateway again");
            // Boots the same shard range `start` set; the manager's queue is still running.
            if let Err(e) = manager.initialize() {
                tracing::error!(error = %e, "could not start the gateway shards again");
            }
        }
    };
    tracing::info!(shards = %shards, "connecting to the gateway");
    let result = tokio::select! {
        result = start(client, shards) => result.map_err(anyhow::Error::from),
        () = guard => Ok(()),
    };
    lease.release().await;
    result
}

/// Stop acting on commands: close each shard's gateway session, so Discord sends this
/// process no more interactions. Closing with 1000 (normal closure) ends the session for good,
/// so the next connection identifies afresh rather than resuming.
async fn fence(
    manager: &serenity::ShardManager,
    shards: ShardRange,
    lease: &GatewayLease,
    why: &super::lease::Fenced,
) {
    match why {
        super::lease::Fenced::Lost => tracing::error!(
            shards = %shards,
            "stopped answering commands: another process took over {shards} while this one \
             could not renew its lease. Waiting as a standby"
        ),
        super::lease::Fenced::Unrenewed { since, error } => tracing::error!(
            shards = %shards,
            unrenewed_secs = since.as_secs_f64(),
            error = error.as_deref().unwrap_or("the database did not answer in time"),
            "stopped answering commands: the gateway lease on {shards} could not be renewed \
             for {:.1} s (the renewal deadline is {} s, half its {} s term), so another process \
             may soon take it over. Waiting as a standby; this process takes its shards again \
             when the database answers and no other process has them",
            since.as_secs_f64(),
            lease.renewal_deadline().as_secs_f64(),
            lease.term().as_secs_f64(),
        ),
    }
    for shard in shards.first..=shards.last {
        manager.shutdown(serenity::ShardId(shard), 1000).await;
    }
}

/// Names this process in claims, leases and the delivery log: host, process id, and when it
/// started. The start time tells apart two containers that share a host name and are both
/// process 1 (host networking), which would otherwise pass for one holder.
fn process_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "bot".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() % 0x1_0000_0000)
        .unwrap_or_default();
    format!("{host}-{}-{started:08x}", std::process::id())
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (systemd, Docker).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
