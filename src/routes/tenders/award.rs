use crate::domain::code::Code;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Tender, lot_number, tender_id};
use crate::auth::Officer;
use crate::domain::contract::ContractTerms;
use crate::domain::money::Money;
use crate::domain::tender::LONG_TEXT_LEN;
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::awards::{award, sign};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    /// When the first-ranked bid can't be awarded (its supplier sanctioned since, say),
    /// the reason to pass over barred bids and award the next qualified one. Recorded.
    pub pass_over_reason: Option<String>,
}

/// Award the tender (officers of its agency). The service picks the winner — the lowest
/// final price among qualified bids, an earlier price winning a tie — and checks every
/// rule before the award in one transaction; any failure changes nothing.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/award", tag = "tenders",
    params(("id" = uuid::Uuid, Path, description = "The tender")),
    request_body = AwardRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Awarded: the tender with its award", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lot_required` (on a tender of several lots: use `…/lots/{lot}/award`), `not_awardable`, `auction_not_closed`, `supplier_sanctioned`, `winner_not_registered`, `framework_supplier_not_adhered`, `no_eligible_bid`, `above_reference_value`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_reason`, `ict_assent_required`, `ict_assent_not_approved`, `ict_assent_expired`, `ict_assent_codes_not_covered`, `ict_assent_insufficient`, `framework_price_exceeded`, `framework_contract_inactive`, `invalid_money`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn award_tender(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    ApiJson(body): ApiJson<AwardRequest>,
) -> Result<HttpResponse, ApiError> {
    award(&state, &officer, &path, None, body).await
}

/// Award one lot of the tender (officers of its agency), as `POST …/award` awards a
/// one-lot tender: the winner is the lowest final price among the bids qualified on the
/// lot (after the lot's auction, if one ran), within the lot's reference value.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/lots/{lot}/award", tag = "tenders",
    params(
        ("id" = uuid::Uuid, Path, description = "The tender"),
        ("lot" = u32, Path, description = "The lot's number (1-based)", minimum = 1),
    ),
    request_body = AwardRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Awarded: the tender with the lot's award", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (no such tender, or no such lot)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_awardable`, `auction_not_closed`, `supplier_sanctioned`, `winner_not_registered`, `framework_supplier_not_adhered`, `no_eligible_bid`, `above_reference_value`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_reason`, `ict_assent_required`, `ict_assent_not_approved`, `ict_assent_expired`, `ict_assent_codes_not_covered`, `ict_assent_insufficient`, `framework_price_exceeded`, `framework_contract_inactive`, `invalid_money`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn award_lot(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    ApiJson(body): ApiJson<AwardRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, lot) = path.into_inner();
    let lot = lot_number(&id, &lot)?;
    award(&state, &officer, &id, Some(lot), body).await
}

async fn award(
    state: &AppState,
    officer: &Officer,
    path: &str,
    lot: Option<u32>,
    body: AwardRequest,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(path)?;
    let mut errors = ValidationErrors::new();
    let reason = body.pass_over_reason.as_deref().and_then(|r| {
        errors.check(
            "pass_over_reason",
            bounded(
                r,
                "pass_over_reason",
                Code::InvalidReason,
                LONG_TEXT_LEN,
                true,
            ),
        )
    });
    errors.finish()?;
    // An auction whose end has passed closes now, if the closer has not got to it yet.
    if let Some(auction) =
        crate::persistence::auctions::id_of_lot(&state.db, id, lot.unwrap_or(1)).await?
    {
        state
            .engine
            .snapshot(auction.uuid())
            .await
            .map_err(crate::routes::auctions::engine_error)?;
    }
    let (record, _) = award::run(
        &state.context(),
        id,
        lot,
        &officer.agency,
        reason.as_deref(),
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Tender::from_record(record, state.clock.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractRequest {
    /// Equal to the award.
    #[schema(value_type = String, example = "2103160.00")]
    pub amount: Money,
    pub signed_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Record the signed contract (officers of the tender's agency); the tender becomes
/// `contracted`.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/contract", tag = "tenders",
    params(("id" = uuid::Uuid, Path, description = "The tender")),
    request_body = ContractRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Contracted: the tender with its contract", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lot_required` (on a tender of several lots: use `…/lots/{lot}/contract`), `not_contractable`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`contract_amount_mismatch`, `signed_in_future`, `signed_before_award`, `invalid_contract_period`, `invalid_date`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_contract(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    ApiJson(body): ApiJson<ContractRequest>,
) -> Result<HttpResponse, ApiError> {
    contract(&state, &officer, &path, None, body).await
}

/// Record one lot's signed contract (officers of the tender's agency), as `POST
/// …/contract` does for a one-lot tender; the tender becomes `contracted` once every
/// awarded lot is.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/lots/{lot}/contract", tag = "tenders",
    params(
        ("id" = uuid::Uuid, Path, description = "The tender"),
        ("lot" = u32, Path, description = "The lot's number (1-based)", minimum = 1),
    ),
    request_body = ContractRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Contracted: the tender with the lot's contract", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (no such tender, or no such lot)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_contractable`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`contract_amount_mismatch`, `signed_in_future`, `signed_before_award`, `invalid_contract_period`, `invalid_date`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_lot_contract(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    ApiJson(body): ApiJson<ContractRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, lot) = path.into_inner();
    let lot = lot_number(&id, &lot)?;
    contract(&state, &officer, &id, Some(lot), body).await
}

async fn contract(
    state: &AppState,
    officer: &Officer,
    path: &str,
    lot: Option<u32>,
    body: ContractRequest,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(path)?;
    let terms = ContractTerms {
        amount: body.amount,
        signed_on: body.signed_on,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
    };
    let (record, _) = sign::run(
        &state.context(),
        id,
        lot,
        &officer.agency,
        &terms,
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Tender::from_record(record, state.clock.now())))
}
