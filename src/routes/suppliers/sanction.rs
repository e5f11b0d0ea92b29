use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Sanction, path_rfc};
use crate::auth::Registrar;
use crate::domain::supplier::NewSanction;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::suppliers::sanction;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordSanctionRequest {
    #[schema(example = "Secretaría Anticorrupción y Buen Gobierno")]
    pub authority: String,
    #[schema(example = "SABG/DGCSCP/312/2026")]
    pub reference: String,
    pub reason: String,
    /// First day barred (YYYY-MM-DD, legal calendar).
    pub starts_on: NaiveDate,
    /// Last day barred; after `starts_on`.
    pub ends_on: NaiveDate,
}

/// Record a sanction (inhabilitación) on a supplier (registrar). While it is in force the
/// supplier can't bid, be invited or be awarded.
#[utoipa::path(
    post, path = "/api/v1/suppliers/{rfc}/sanctions", tag = "suppliers",
    params(("rfc" = String, Path, description = "The supplier's RFC")),
    request_body = RecordSanctionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = Sanction),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`: registrar only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_sanction_period`, `invalid_text`, `invalid_date`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record_sanction(
    state: web::Data<AppState>,
    registrar: Registrar,
    path: web::Path<String>,
    ApiJson(body): ApiJson<RecordSanctionRequest>,
) -> Result<HttpResponse, ApiError> {
    let rfc = path_rfc(&path)?;
    let new = NewSanction::parse(
        &body.authority,
        &body.reference,
        &body.reason,
        body.starts_on,
        body.ends_on,
    )?;
    let model = sanction::run(&state.context(), &rfc, &new, &registrar.0.actor()).await?;
    Ok(HttpResponse::Created().json(Sanction::from_model(model, state.today())))
}
