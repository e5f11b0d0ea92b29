use actix_web::{HttpResponse, web};

use super::{AuctionView, Viewer, engine_error, view};
use crate::auth::Officer;
use crate::domain::auction_settings::SettingsRequest;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::routes::tenders::{lot_number, tender_id};
use crate::state::AppState;
use crate::usecases::auctions::schedule;

/// Schedule the reverse auction of an evaluated tender (officers of its agency). The
/// participants are the suppliers of the qualified bids, each starting at its sealed
/// total; the ceiling is the reference value (never above a framework contract's fixed
/// prices). Fields left out of the body come from the tender's planned `auction`
/// settings, then from the defaults. The tender moves to the auction phase.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/auction", tag = "auctions",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = SettingsRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Scheduled: the officers' view", body = AuctionView),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lot_required` (on a tender of several lots: use `…/lots/{lot}/auction`), `not_auctionable` (not evaluated, or scheduled already), `too_few_qualified`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_auction_settings` naming each offending setting", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn schedule_auction(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    schedule(&state, &officer, &path, None, body).await
}

/// Schedule the reverse auction of one lot of an evaluated tender (officers of its
/// agency), as `POST …/auction` does for a one-lot tender: the participants are the
/// suppliers qualified on the lot, each starting at its sealed total for the lot; the
/// ceiling is the lot's reference value. Several lots' auctions may run at once.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/lots/{lot}/auction", tag = "auctions",
    params(
        ("id" = Uuid, Path, description = "The tender"),
        ("lot" = u32, Path, description = "The lot's number (1-based)", minimum = 1),
    ),
    request_body = SettingsRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Scheduled: the officers' view", body = AuctionView),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (no such tender, or no such lot)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_auctionable` (the lot is not evaluated, or its auction is scheduled already), `too_few_qualified`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_auction_settings` naming each offending setting", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn schedule_lot_auction(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let (id, lot) = path.into_inner();
    let lot = lot_number(&id, &lot)?;
    schedule(&state, &officer, &id, Some(lot), body).await
}

async fn schedule(
    state: &AppState,
    officer: &Officer,
    path: &str,
    lot: Option<u32>,
    body: serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(path)?;
    if !body.is_object() {
        return Err(ApiError::InvalidBody {
            field: "body".into(),
            message: "auction settings are a JSON object".into(),
        });
    }
    let record = schedule::run(
        &state.context(),
        id,
        lot,
        &officer.agency,
        body,
        state.settings.time_factor,
        &officer.identity.actor(),
    )
    .await?;
    let snapshot = state
        .engine
        .snapshot(record.auction.id)
        .await
        .map_err(engine_error)?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/auctions/{}", record.auction.id),
        ))
        .json(view(&snapshot, &Viewer::Staff)))
}
