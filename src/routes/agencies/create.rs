use actix_web::{HttpResponse, http::header::LOCATION, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Agency;
use crate::auth::Registrar;
use crate::domain::agency::NewAgency;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::agencies::register;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgencyRequest {
    /// 2 to 20 of A–Z, 0–9 and `-`; stored upper-case.
    #[schema(example = "SHCP")]
    pub code: String,
    /// 3 to 200 characters.
    #[schema(example = "Secretaría de Hacienda y Crédito Público")]
    pub name: String,
    /// The unit's RFC (a legal person's, 12 characters): its identifier in the OCDS feeds.
    pub rfc: Option<String>,
}

/// Register a buying unit (registrar).
#[utoipa::path(
    post, path = "/api/v1/agencies", tag = "agencies",
    request_body = CreateAgencyRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Agency),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`: registrar only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`agency_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_agency_code`, `invalid_agency_name`, `invalid_rfc`, `invalid_rfc_check_digit`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(agency = %body.code))]
pub async fn create_agency(
    state: web::Data<AppState>,
    registrar: Registrar,
    ApiJson(body): ApiJson<CreateAgencyRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = NewAgency::parse(&body.code, &body.name, body.rfc.as_deref())?;
    let model = register::run(&state.context(), &new, &registrar.0.actor()).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/public/v1/agencies?code={}", model.code)))
        .json(Agency::from(model)))
}
