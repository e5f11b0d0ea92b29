use std::time::{Duration, Instant};

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// How long each dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The state of each dependency.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyReport {
    /// `ready` when every enabled dependency answered, else `unavailable`.
    pub status: &'static str,
    pub checks: ReadyChecks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyChecks {
    pub database: Check,
    pub redis: Check,
    /// The document store (a folder, or an S3 bucket).
    pub documents: Check,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `up`, `down`, or `disabled` (Redis when `REDIS_URL` is unset).
    pub status: &'static str,
    /// How long the probe took, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Check {
    fn is_down(&self) -> bool {
        self.status == "down"
    }
}

async fn probe<F>(name: &str, fut: F) -> Check
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let outcome = tokio::time::timeout(PROBE_TIMEOUT, fut).await;
    let latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    match outcome {
        Ok(Ok(())) => Check {
            status: "up",
            latency_ms,
            error: None,
        },
        Ok(Err(error)) => {
            tracing::warn!(
                dependency = name,
                error = format!("{error:#}"),
                "readiness probe failed"
            );
            Check {
                status: "down",
                latency_ms,
                error: Some("unreachable".into()),
            }
        }
        Err(_) => {
            tracing::warn!(dependency = name, "readiness probe timed out");
            Check {
                status: "down",
                latency_ms,
                error: Some("timed out".into()),
            }
        }
    }
}

/// The database, the document store (and Redis, when configured) answer; 503 with
/// details when not.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = ReadyReport),
        (status = 503, description = "A dependency is down", body = ReadyReport),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = probe("database", async {
        state.db.ping().await.map_err(anyhow::Error::from)
    })
    .await;
    let redis = match &state.redis {
        None => Check {
            status: "disabled",
            latency_ms: None,
            error: None,
        },
        Some(redis) => probe("redis", redis.ping()).await,
    };
    let documents = probe("documents", state.documents.check()).await;
    let ready = !database.is_down() && !redis.is_down() && !documents.is_down();
    let report = ReadyReport {
        status: if ready { "ready" } else { "unavailable" },
        checks: ReadyChecks {
            database,
            redis,
            documents,
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status).json(report)
}
