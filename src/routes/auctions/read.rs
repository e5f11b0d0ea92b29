use actix_web::{HttpResponse, web};

use super::{AuctionView, auction_id, engine_error, lot_status, view, viewer};
use crate::auth::MaybePrincipal;
use crate::error::{ApiError, Problem};
use crate::persistence::tenders;
use crate::state::AppState;

/// An auction as the caller may see it, with the server's time and the time left. A
/// participant sees its own price and rank and, per the auction's visibility, the best
/// price (never who holds it); officers of the agency and auditors see the full ladder and
/// every bid; anyone, once the tender is awarded, the anonymised history.
#[utoipa::path(
    get, path = "/api/v1/auctions/{id}", tag = "auctions",
    params(("id" = Uuid, Path, description = "The auction")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The view for the caller's role", body = AuctionView),
        (status = 401, description = "`invalid_token`, `token_expired`: a token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`auction_not_public` (before the award), `not_a_participant`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_auction(
    state: web::Data<AppState>,
    MaybePrincipal(identity): MaybePrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = auction_id(&path)?;
    let snapshot = state.engine.snapshot(id).await.map_err(engine_error)?;
    let tender = tenders::get(&state.db, snapshot.record.tender_id())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("auction {id}")))?;
    let who = viewer(identity.as_ref(), &snapshot, lot_status(&tender, &snapshot))?;
    Ok(HttpResponse::Ok().json(view(&snapshot, &who)))
}
