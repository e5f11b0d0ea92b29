use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Supplier, path_rfc, require_self};
use crate::auth::{Principal, Role};
use crate::domain::supplier::{CompanySize, SupplierUpdate};
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::suppliers::update;

/// The fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSupplierRequest {
    pub legal_name: Option<String>,
    pub size: Option<CompanySize>,
    pub email: Option<String>,
    /// Replaces the whole list.
    pub classifier_codes: Option<Vec<String>>,
}

/// Change a supplier's profile: the supplier itself or the registrar. The RFC never changes.
#[utoipa::path(
    patch, path = "/api/v1/suppliers/{rfc}", tag = "suppliers",
    params(("rfc" = String, Path, description = "The supplier's RFC")),
    request_body = UpdateSupplierRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Supplier),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`, `not_your_record`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`empty_update`, `invalid_legal_name`, `invalid_email`, `invalid_classifier_code`, `unknown_classifier_code`, `too_many_classifier_codes`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_supplier(
    state: web::Data<AppState>,
    Principal(identity): Principal,
    path: web::Path<String>,
    ApiJson(body): ApiJson<UpdateSupplierRequest>,
) -> Result<HttpResponse, ApiError> {
    let rfc = path_rfc(&path)?;
    match identity.role {
        Role::Supplier => require_self(&identity, &rfc)?,
        Role::Registrar => {}
        _ => {
            return Err(ApiError::ForbiddenRole {
                required: Role::Registrar.as_str(),
            });
        }
    }
    let change = SupplierUpdate::parse(
        body.legal_name.as_deref(),
        body.size,
        body.email.as_deref(),
        body.classifier_codes.as_deref(),
    )?;
    let record = update::run(&state.context(), &rfc, &change, &identity.actor()).await?;
    Ok(HttpResponse::Ok().json(Supplier::from_record(record, state.today())))
}
