use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::startup::AppState;

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4", body = String))
)]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let open = crate::persistence::auctions::open_count(&state.db, state.clock.now()).await?;
    state
        .metrics
        .open_auctions
        .set(i64::try_from(open).unwrap_or(i64::MAX));
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()?))
}
