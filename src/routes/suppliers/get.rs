use actix_web::{HttpResponse, web};

use super::{READERS, Supplier, path_rfc, require_self};
use crate::auth::{Principal, Role};
use crate::error::{ApiError, Problem};
use crate::persistence::suppliers;
use crate::state::AppState;

/// One supplier with its codes and sanction history: officers, the registrar and auditors
/// see any; a supplier sees only itself.
#[utoipa::path(
    get, path = "/api/v1/suppliers/{rfc}", tag = "suppliers",
    params(("rfc" = String, Path, description = "The supplier's RFC")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The supplier", body = Supplier),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`, `not_your_record`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rfc = path_rfc(&path)?;
    if principal.0.role == Role::Supplier {
        require_self(&principal.0, &rfc)?;
    } else {
        principal.require_any(READERS)?;
    }
    let record = suppliers::get(state.reads(), &rfc)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("supplier {rfc}")))?;
    Ok(HttpResponse::Ok().json(Supplier::from_record(record, state.today())))
}
