//! Building the application: state, middleware, routes, and the listener.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{
    App, Error, HttpMessage, HttpServer,
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::{Next, from_fn},
    web,
};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::clock::{Clock, SystemClock};
use crate::engine::Engine;
use crate::routes;
use crate::settings::Settings;
use crate::state::AppState;

/// The running HTTP service.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Builds the service with the wall clock.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_inner(settings, Arc::new(SystemClock), true).await
    }

    /// Builds the service with the given clock (tests move time with a manual one).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        Self::build_inner(settings, clock, false).await
    }

    async fn build_inner(
        mut settings: Settings,
        clock: Arc<dyn Clock>,
        server_time: bool,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.addr)
            .with_context(|| format!("binding {}", settings.addr))?;
        let local = listener.local_addr()?;
        let port = local.port();
        if settings.public_url.is_none() {
            settings.public_url = Some(format!("http://{local}"));
        }
        let metrics_listener = settings
            .metrics_addr
            .as_deref()
            .map(|addr| {
                TcpListener::bind(addr)
                    .with_context(|| format!("binding LICITA_METRICS_ADDR {addr}"))
            })
            .transpose()?;
        let database = match crate::persistence::database_url(&settings)?.1 {
            crate::persistence::Backend::Sqlite => "sqlite",
            crate::persistence::Backend::Postgres => "postgresql",
        };
        let (sandbox, time_factor) = (settings.sandbox, settings.time_factor);
        let public_url = settings.public_url.clone().unwrap_or_default();
        let state = AppState::build(settings, clock, server_time).await?;
        let server = serve(listener, state.clone())?;
        if let Some(listener) = metrics_listener {
            let metrics_port = listener.local_addr()?.port();
            tokio::spawn(serve_metrics(listener, state.clone())?);
            tracing::info!(
                port = metrics_port,
                "metrics are served on their own address"
            );
        }
        tokio::spawn(close_auctions(state.engine.clone()));
        tokio::spawn(checkpoint_audit(state.clone()));
        tokio::spawn(forget_idle_clients(state.limits.clone()));
        state.engine.spawn_background();
        let base = if public_url.is_empty() {
            format!("http://localhost:{port}")
        } else {
            public_url.trim_end_matches('/').to_owned()
        };
        tracing::info!(
            port,
            portal = %format!("{base}/"),
            api_reference = %format!("{base}/api-docs/"),
            engine = state.engine.name(),
            database,
            documents = %state.documents.name,
            sandbox,
            time_factor,
            %public_url,
            "licita is listening"
        );
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// How often the background closer looks for auctions whose end has passed.
const CLOSER_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Closes auctions at their end whether or not anyone is watching (every read and bid
/// also closes lazily). Runs until the process ends.
async fn close_auctions(engine: Arc<Engine>) {
    let mut tick = tokio::time::interval(CLOSER_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = engine.close_due().await {
            tracing::warn!(error = %format!("{e:#}"), "the auction closer failed; retrying");
        }
    }
}

/// How often the audit checkpoint moves to the chain's end in the background, so that a
/// public verification only walks the last minute's events.
const AUDIT_CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Verifies what was appended since the checkpoint, every minute; a broken chain is logged
/// as an error each time until it is dealt with.
async fn checkpoint_audit(state: AppState) {
    loop {
        tokio::time::sleep(AUDIT_CHECKPOINT_EVERY).await;
        let now = state.clock.now();
        match crate::persistence::audit::verify_since_checkpoint(&state.db, u64::MAX, now).await {
            Ok(recent) => {
                if let Some(b) = recent.walk.broken {
                    tracing::error!(seq = b.seq, reason = %b.reason, "the audit chain is broken");
                }
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "the audit checkpoint failed; retrying")
            }
        }
    }
}

/// Drops, every minute, the rate-limit state of the clients whose budgets are full again,
/// so that the memory it takes follows the clients active now.
async fn forget_idle_clients(limits: Arc<crate::limits::Limiter>) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        let kept = limits.forget_idle();
        tracing::debug!(kept, "rate-limit state of idle clients dropped");
    }
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let workers = state.settings.workers;
    let shutdown_timeout = state.settings.shutdown_timeout_s;
    let max_body = state.settings.max_body_bytes;
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(routes::extract::path_config())
            .app_data(routes::extract::query_config())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(from_fn(crate::limits::enforce))
            .wrap(from_fn(crate::metrics::record))
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .configure(routes::config)
            .default_service(web::to(routes::not_found))
    })
    .listen(listener)?
    .shutdown_timeout(shutdown_timeout);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// Marks the metrics-only listener (`LICITA_METRICS_ADDR`).
#[derive(Debug, Clone, Copy)]
pub struct MetricsListener;

/// `/metrics` alone, on its own address, for the monitoring system.
fn serve_metrics(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::Data::new(MetricsListener))
            .service(web::resource("/metrics").route(web::get().to(routes::health::metrics)))
            .default_service(web::to(routes::not_found))
    })
    .listen(listener)?
    .workers(1)
    .shutdown_timeout(1)
    .run())
}

/// Logs one line per request and echoes the request id of its log span as `x-request-id`,
/// so a client can quote it.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let started = std::time::Instant::now();
    let mut response = next.call(req).await?;
    let status = response.status().as_u16();
    let request = response.request();
    let (method, path) = (request.method(), request.path());
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if response.status().is_server_error() {
        tracing::warn!(target: "licita::http", %method, %path, status, latency_ms, "request failed");
    } else {
        tracing::info!(target: "licita::http", %method, %path, status, latency_ms, "request");
    }
    if let Some(id) = id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}
