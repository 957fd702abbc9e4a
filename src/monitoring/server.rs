//! The opt-in operations endpoint for the operator's monitoring (not for board members):
//! `GET /healthz` answers 200 only while every gateway shard of this process is connected, the
//! database answers and the scheduler keeps completing passes, and 503 with the reasons otherwise (a readiness probe); `GET /livez`
//! answers 200 while the process serves at all (a liveness probe: a standby waiting for its
//! shards is alive but not ready, and must not be restarted for it); `GET /metrics` gives
//! [`Metrics`] in the Prometheus text format. Nothing on it is secret, but nothing on it is authenticated
//! either, so bind it to localhost or a private network.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use super::{Heartbeat, Metrics};
use crate::store::Store;

/// How long the health check waits for the database before calling it not answering: well
/// inside the few seconds a load balancer or Kubernetes probe waits for the whole answer.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// How many of this process's gateway shards are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayStatus {
    pub expected: u32,
    pub connected: u32,
}

/// Reads the gateway's state when asked (the Discord client implements it over serenity's
/// shard manager, so the answer is never stale).
pub trait GatewayProbe: Send + Sync {
    fn status(&self) -> Pin<Box<dyn Future<Output = GatewayStatus> + Send + '_>>;
}

/// What `/healthz` looks at.
pub struct Health {
    pub store: Store,
    pub gateway: Arc<dyn GatewayProbe>,
    pub metrics: Metrics,
    /// The scheduler's passes; None where no scheduler runs in this process.
    pub scheduler: Option<Heartbeat>,
}

/// The answer of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub gateway: GatewayStatus,
    /// None when the database answered; otherwise why not.
    pub database_problem: Option<String>,
    /// None while the scheduler keeps completing passes; otherwise why it counts as stopped.
    pub scheduler_problem: Option<String>,
    /// When the scheduler last completed a pass.
    pub scheduler_last_pass: Option<chrono::DateTime<chrono::Utc>>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.gateway.expected > 0
            && self.gateway.connected == self.gateway.expected
            && self.database_problem.is_none()
            && self.scheduler_problem.is_none()
    }

    /// What is wrong, one line each, for the operator.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.gateway.connected < self.gateway.expected {
            problems.push(format!(
                "gateway: {} of {} shards connected",
                self.gateway.connected, self.gateway.expected
            ));
        }
        if let Some(problem) = &self.database_problem {
            problems.push(format!("database: {problem}"));
        }
        if let Some(problem) = &self.scheduler_problem {
            problems.push(format!("scheduler: {problem}"));
        }
        problems
    }
}

impl Health {
    /// The gateway's state now, also recorded in the metrics' gauges.
    async fn gateway_status(&self) -> GatewayStatus {
        let gateway = self.gateway.status().await;
        self.metrics
            .gateway_shards(gateway.expected, gateway.connected);
        gateway
    }

    /// Look at the gateway and ask the database a trivial question.
    pub async fn check(&self) -> Readiness {
        let gateway = self.gateway_status().await;
        let database_problem = match tokio::time::timeout(DATABASE_TIMEOUT, self.store.ping()).await
        {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                self.metrics.database_error("health_check");
                // The driver's words go to the log only: the endpoint is unauthenticated.
                tracing::warn!(error = %e, "health check: the database did not answer");
                Some("not answering (see the log)".to_string())
            }
            Err(_) => {
                self.metrics.database_error("health_check");
                tracing::warn!(
                    timeout_ms = DATABASE_TIMEOUT.as_millis() as u64,
                    "health check: the database did not answer in time"
                );
                Some(format!("no answer within {} s", DATABASE_TIMEOUT.as_secs()))
            }
        };
        Readiness {
            gateway,
            database_problem,
            scheduler_problem: self.scheduler.as_ref().and_then(Heartbeat::problem),
            scheduler_last_pass: self.scheduler.as_ref().and_then(Heartbeat::last_pass),
        }
    }

    async fn respond(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
        }
        // Nothing here reads a body; refusing one (and closing) means none is ever read.
        if hyper::body::Body::size_hint(req.body()).upper() != Some(0) {
            let mut refused = text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "this endpoint takes no request body\n",
            );
            refused.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return refused;
        }
        match req.uri().path() {
            "/healthz" => {
                let readiness = self.check().await;
                let ready = readiness.is_ready();
                let body = json!({
                    "status": if ready { "ready" } else { "not ready" },
                    "gateway": {
                        "shards": readiness.gateway.expected,
                        "connected": readiness.gateway.connected,
                    },
                    "database": readiness.database_problem.as_deref().unwrap_or("ok"),
                    "scheduler": {
                        "status": readiness.scheduler_problem.as_deref().unwrap_or("ok"),
                        "last_pass": readiness.scheduler_last_pass.map(|t| {
                            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        }),
                    },
                    "problems": readiness.problems(),
                });
                let status = if ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                respond_with(status, "application/json", format!("{body}\n"))
            }
            "/livez" => text(StatusCode::OK, "alive\n"),
            "/metrics" => {
                // Refresh the gateway gauges so a scrape never shows a stale connection count.
                self.gateway_status().await;
                respond_with(
                    StatusCode::OK,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    self.metrics.encode(),
                )
            }
            _ => text(
                StatusCode::NOT_FOUND,
                "not found: this port serves /healthz, /livez and /metrics\n",
            ),
        }
    }
}

fn respond_with(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    respond_with(status, "text/plain; charset=utf-8", body.to_string())
}

/// Listen on `addr` (e.g. `127.0.0.1:9187`; port 0 picks a free one), saying how to fix a
/// port that is taken or an address that is not this machine's.
pub async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    let parsed: SocketAddr = addr.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "ops.listen is {addr:?}, which is not an address and port; use e.g. 127.0.0.1:9187"
        )
    })?;
    TcpListener::bind(parsed).await.map_err(|e| {
        anyhow::anyhow!(
            "could not listen on {parsed} for /healthz and /metrics: {e}. Pick a free port \
             (ops.listen, or --ops-listen), or leave it empty to turn the endpoint off"
        )
    })
}

/// What one client may take of the endpoint. A probe or a scrape sends a few hundred bytes of
/// headers at once and no body; anything slower or larger is someone holding connections open.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request's headers must arrive within this (a client sending a byte a second is cut
    /// off), and so must the first request on a new connection.
    pub header_read: Duration,
    /// No connection lasts longer than this, however it trickles requests.
    pub connection: Duration,
    /// Connections served at once; more are closed as they arrive until one ends.
    pub connections: usize,
    /// The largest request head (request line and headers) read; larger gets 431.
    pub header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(5),
            connection: Duration::from_secs(60),
            connections: 64,
            // hyper's smallest read buffer; a probe's head is a few hundred bytes.
            header_bytes: 8192,
        }
    }
}

/// Serve `/healthz` and `/metrics` on `listener` until the task is dropped or aborted.
pub async fn serve(listener: TcpListener, health: Arc<Health>) {
    serve_within(listener, health, Limits::default()).await
}

/// [`serve`] within `limits`.
pub async fn serve_within(listener: TcpListener, health: Arc<Health>, limits: Limits) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(error = %e, "ops endpoint could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(
                limit = limits.connections,
                "ops endpoint: too many connections at once; closing a new one"
            );
            drop(stream);
            continue;
        };
        let health = health.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let health = health.clone();
                async move { Ok::<_, Infallible>(health.respond(req).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .max_buf_size(limits.header_bytes.max(8192))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(limits.connection, connection).await;
            drop(slot);
        });
    }
}

/// Ask the `/healthz` served on `addr` (as `ops.listen` names it; an unspecified address such
/// as 0.0.0.0 is asked on this machine): whether it is ready, and what it said.
pub async fn ask_health(addr: &str) -> anyhow::Result<(bool, String)> {
    let mut target: SocketAddr = addr.trim().parse().map_err(|_| {
        anyhow::anyhow!("{addr:?} is not an address and port; use e.g. 127.0.0.1:9187")
    })?;
    if target.ip().is_unspecified() {
        target.set_ip(if target.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let response = reqwest::Client::new()
        .get(format!("http://{target}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "no answer from http://{target}/healthz ({e}); is `briefing-bot run` running \
                 with the ops endpoint on that address?"
            )
        })?;
    let ready = response.status() == StatusCode::OK;
    Ok((ready, response.text().await.unwrap_or_default()))
}
