use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::bids::{BidView, full_views};
use super::{Tender, tender_id};
use crate::auth::Officer;
use crate::error::{ApiError, Problem};
use crate::persistence::bids;
use crate::state::AppState;
use crate::usecases::tenders::open;

#[derive(Debug, Serialize, ToSchema)]
pub struct OpeningResult {
    pub tender: Tender,
    /// Every live bid, now readable by the agency's officers and auditors.
    pub bids: Vec<BidView>,
}

/// Open the bids (officers of the tender's agency), from the opening time on. No live bid:
/// the tender is deserted.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/opening", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Opened (or deserted)", body = OpeningResult),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`too_early_to_open`, `not_openable`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_tender(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let record = open::run(
        &state.context(),
        id,
        &officer.agency,
        &officer.identity.actor(),
    )
    .await?;
    let live = bids::live(&state.db, id).await?;
    let bids = full_views(&state, &live, None).await?;
    Ok(HttpResponse::Ok().json(OpeningResult {
        tender: Tender::from_record(record, state.clock.now()),
        bids,
    }))
}
