//! Building and running the Discord client.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};

use super::{commands, error, Data};
use crate::clock::Clock;
use crate::domain::BoardSettings;
use crate::schedule::poster::BoardPoster;
use crate::schedule::{Runner, RunnerSettings};
use crate::store::Store;

/// How to reach Discord.
pub struct Connection {
    pub token: SecretString,
    /// Another API base URL (a rate-limiting proxy, or a test server). Serenity's own rate
    /// limiter is turned off with it: the proxy is expected to rate-limit, and serenity ignores
    /// a proxy while its limiter is on.
    pub api_url: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("token", &"[hidden]")
            .field("api_url", &self.api_url)
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
        post_command: |ctx| {
            Box::pin(async move {
                tracing::info!(
                    command = %ctx.command().qualified_name,
                    guild = ?ctx.guild_id().map(|g| g.get()),
                    outcome = "ok",
                    "command handled"
                );
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

/// Build a client ready to `start()`.
pub async fn build_client(
    connection: &Connection,
    store: Store,
    clock: Arc<dyn Clock>,
    new_board_settings: BoardSettings,
    schedule_changed: Arc<tokio::sync::Notify>,
) -> Result<serenity::Client, serenity::Error> {
    build_client_watched(
        connection,
        store,
        clock,
        new_board_settings,
        schedule_changed,
        None,
    )
    .await
}

/// [`build_client`] with a raw event handler beside the framework: tests install one that
/// fails on any gateway event serenity could not read (it would otherwise drop it silently).
pub async fn build_client_watched(
    connection: &Connection,
    store: Store,
    clock: Arc<dyn Clock>,
    new_board_settings: BoardSettings,
    schedule_changed: Arc<tokio::sync::Notify>,
    raw_events: Option<Arc<dyn serenity::RawEventHandler>>,
) -> Result<serenity::Client, serenity::Error> {
    let http = http_client(connection);
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
                Ok(Data {
                    store,
                    clock,
                    new_board_settings,
                    schedule_changed,
                })
            })
        })
        .build();
    let mut builder = serenity::ClientBuilder::new_with_http(http, intents()).framework(framework);
    if let Some(handler) = raw_events {
        builder = builder.raw_event_handler(ForwardRawEvents(handler));
    }
    builder.await
}

/// Passes raw gateway events to a shared handler (serenity takes handlers by value).
struct ForwardRawEvents(Arc<dyn serenity::RawEventHandler>);

#[serenity::async_trait]
impl serenity::RawEventHandler for ForwardRawEvents {
    async fn raw_event(&self, ctx: serenity::Context, event: serenity::Event) {
        self.0.raw_event(ctx, event).await;
    }
}

/// Run the bot and its scheduler until `shutdown` completes, then disconnect cleanly.
pub async fn run_until(
    connection: Connection,
    store: Store,
    clock: Arc<dyn Clock>,
    new_board_settings: BoardSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let changed = Arc::new(tokio::sync::Notify::new());
    let mut client = build_client(
        &connection,
        store.clone(),
        clock.clone(),
        new_board_settings,
        changed.clone(),
    )
    .await?;
    let poster = Arc::new(BoardPoster::new(store.clone(), client.http.clone()));
    let settings = RunnerSettings {
        worker: format!(
            "{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "bot".into()),
            std::process::id()
        ),
        ..Default::default()
    };
    let runner = Runner::new(store, clock, poster, settings).with_change_notifier(changed);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(async move { runner.run(stopped).await });
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        shards.shutdown_all().await;
    });
    let result = client.start().await;
    // The gateway has closed (shutdown or error): stop the scheduler, letting it finish the
    // post it may be sending.
    let _ = stop.send(true);
    let _ = scheduler.await;
    result?;
    Ok(())
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
