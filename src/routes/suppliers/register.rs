use actix_web::{HttpResponse, http::header::LOCATION, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Supplier, require_self};
use crate::auth::{Principal, Role};
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::supplier::{CompanySize, NewSupplier};
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::suppliers::register;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterSupplierRequest {
    /// 12 characters (persona moral) or 13 (persona física), with a valid check digit.
    #[schema(example = "SAT970701NN3")]
    pub rfc: String,
    #[schema(example = "Servicios Tecnológicos del Bajío, S.A. de C.V.")]
    pub legal_name: String,
    pub size: CompanySize,
    #[schema(example = "licitaciones@stb.com.mx")]
    pub email: String,
    /// Classifier codes the supplier supplies; each must exist.
    #[serde(default)]
    #[schema(example = json!(["51501", "33301"]))]
    pub classifier_codes: Vec<String>,
    /// Registrar only: register an RFC whose check digit fails (a small share of RFCs
    /// really issued do). Recorded and shown on the record.
    #[serde(default)]
    pub rfc_check_digit_override: bool,
}

/// Register a supplier: the supplier itself (token `sub` = the RFC) or the registrar.
#[utoipa::path(
    post, path = "/api/v1/suppliers", tag = "suppliers",
    request_body = RegisterSupplierRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Supplier),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role` (only suppliers and the registrar; only the registrar may override the check digit), `not_your_record` (a supplier registers its own RFC)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`supplier_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_rfc`, `invalid_rfc_check_digit`, `invalid_legal_name`, `invalid_email`, `invalid_classifier_code`, `unknown_classifier_code`, `too_many_classifier_codes`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(rfc = %body.rfc))]
pub async fn register_supplier(
    state: web::Data<AppState>,
    Principal(identity): Principal,
    ApiJson(body): ApiJson<RegisterSupplierRequest>,
) -> Result<HttpResponse, ApiError> {
    let check = match (identity.role, body.rfc_check_digit_override) {
        (Role::Registrar, true) => CheckDigit::Override,
        (Role::Registrar | Role::Supplier, false) => CheckDigit::Enforce,
        (Role::Supplier, true) => {
            return Err(ApiError::ForbiddenRole {
                required: Role::Registrar.as_str(),
            });
        }
        _ => {
            return Err(ApiError::ForbiddenRole {
                required: Role::Supplier.as_str(),
            });
        }
    };
    let new = NewSupplier::parse(
        &body.rfc,
        &body.legal_name,
        body.size,
        &body.email,
        &body.classifier_codes,
        check,
    )?;
    if identity.role == Role::Supplier {
        require_self(&identity, &new.rfc)?;
    }
    let record = register::run(&state.context(), &new, &identity.actor()).await?;
    let rfc: &Rfc = &new.rfc;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/suppliers/{rfc}")))
        .json(Supplier::from_record(record, state.today())))
}
