use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format (version 0.0.4)", content_type = "text/plain", body = String),
        (status = 404, description = "`not_found`: with LICITA_METRICS_ADDR set, metrics are served on that listener only", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // With LICITA_METRICS_ADDR, the public listener has no metrics.
    if state.settings.metrics_addr.is_some()
        && req
            .app_data::<web::Data<crate::startup::MetricsListener>>()
            .is_none()
    {
        return Err(ApiError::not_found(
            "/metrics (served on LICITA_METRICS_ADDR)".to_owned(),
        ));
    }
    let open = crate::persistence::auctions::open_count(&state.db, state.clock.now()).await?;
    state
        .metrics
        .open_auctions
        .set(i64::try_from(open).unwrap_or(i64::MAX));
    let counts = crate::persistence::complaints::count_by_status(&state.db).await?;
    for status in crate::domain::complaint::ComplaintStatus::ALL {
        let n = counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        state
            .metrics
            .complaints
            .with_label_values(&[status.as_str()])
            .set(n);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()?))
}
