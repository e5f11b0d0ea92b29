use actix_web::{HttpResponse, web};

use super::{Tender, tender_id};
use crate::auth::Officer;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::usecases::tenders::publish;

/// Publish a draft (officers of its agency): the schedule must be in the future, in order
/// and within the legal minimum periods; invited suppliers registered and unsanctioned.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/publish", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_a_draft`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`schedule_in_past`, `schedule_out_of_order`, `period_too_short`, `invited_supplier_not_registered`, `invited_supplier_sanctioned`, `ict_assent_required`, `ict_assent_not_approved`, `ict_assent_expired`, `ict_assent_codes_not_covered`, `framework_contract_required`, `framework_contract_applies`, `framework_contract_inactive`, `framework_item_not_covered`, `framework_unit_mismatch`, `framework_price_exceeded`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish_tender(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let record = publish::run(
        &state.context(),
        id,
        &officer.agency,
        &state.settings.periods,
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Tender::from_record(record, state.clock.now())))
}
