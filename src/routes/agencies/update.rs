use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Agency;
use crate::auth::Registrar;
use crate::domain::agency::{AgencyCode, AgencyName, parse_agency_rfc};
use crate::domain::code::Code;
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::agencies::update;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgencyRequest {
    /// 3 to 200 characters.
    pub name: Option<String>,
    /// The unit's RFC (a legal person's, 12 characters): its identifier in the OCDS feeds.
    #[schema(example = "CFE370814QI0")]
    pub rfc: Option<String>,
}

/// Change a buying unit's name or record its RFC (registrar). What is left out stays.
#[utoipa::path(
    patch, path = "/api/v1/agencies/{code}", tag = "agencies",
    params(("code" = String, Path, description = "The unit's code")),
    request_body = UpdateAgencyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = Agency),
        (status = 403, description = "`forbidden_role`: registrar only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_agency_name`, `invalid_rfc`, `invalid_rfc_check_digit`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_agency(
    state: web::Data<AppState>,
    registrar: Registrar,
    path: web::Path<String>,
    ApiJson(body): ApiJson<UpdateAgencyRequest>,
) -> Result<HttpResponse, ApiError> {
    let raw = path.into_inner();
    let code = AgencyCode::parse(&raw).map_err(|_| ApiError::not_found(format!("agency {raw}")))?;
    let mut errors = ValidationErrors::new();
    let name = body
        .name
        .as_deref()
        .and_then(|n| errors.check("name", AgencyName::parse(n)));
    let rfc = body
        .rfc
        .as_deref()
        .and_then(|r| parse_agency_rfc(r, &mut errors));
    if body.name.is_none() && body.rfc.is_none() {
        errors.push("body", Code::InvalidBody, "send the name, the rfc, or both");
    }
    errors.finish()?;
    let model = update::run(
        &state.context(),
        &code,
        (
            name.as_ref().map(AgencyName::as_str),
            rfc.as_ref().map(|r| r.as_str()),
        ),
        &registrar.0.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Agency::from(model)))
}
