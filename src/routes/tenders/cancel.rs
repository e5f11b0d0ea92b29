use crate::domain::code::Code;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Tender, tender_id};
use crate::auth::Officer;
use crate::domain::tender::LONG_TEXT_LEN;
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::engine::Then;
use crate::error::{ApiError, Problem};
use crate::persistence::{auctions, tenders};
use crate::routes::auctions::{Commit, hold_all};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::tenders::cancel;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: String,
}

/// Cancel a tender, with its reason, at any time before the award (officers of its
/// agency). Once some of its lots are awarded, this cancels the lots still undecided (their
/// auctions closed at once) and the tender goes on with the awarded ones: `awarded`, or
/// `contracted` once their contracts are signed.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/cancel", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = CancelRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_cancellable`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_reason`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel_tender(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    ApiJson(body): ApiJson<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let mut errors = ValidationErrors::new();
    let reason = errors.check(
        "reason",
        bounded(
            &body.reason,
            "reason",
            Code::InvalidReason,
            LONG_TEXT_LEN,
            true,
        ),
    );
    errors.finish()?;
    let reason = reason.unwrap_or_default();
    // A live auction stops taking bids before the cancellation commits, and closes with it.
    // Only for a cancellation that can go through (the officer's own, cancellable tender),
    // so that nobody else can pause an auction.
    let cancellable = tenders::get(&state.db, id)
        .await?
        .is_some_and(|t| t.tender.agency == officer.agency.as_str() && t.status().cancellable());
    let halted = if cancellable {
        auctions::open_of_tender(&state.db, id).await?
    } else {
        Vec::new()
    };
    let cancel: Commit<'_, _> = Box::new(|| {
        Box::pin(async {
            cancel::run(
                &state.context(),
                id,
                &officer.agency,
                &reason,
                &officer.identity.actor(),
            )
            .await
            .map_err(ApiError::from)
        })
    });
    let record = hold_all(&state, &halted, Then::Close, cancel).await?;
    // An auction scheduled while this cancellation was on its way was closed in SQL by it:
    // its engine state goes too, so that nothing cached keeps taking bids.
    for (_, id) in record
        .auctions
        .iter()
        .filter(|(_, id)| !halted.contains(id))
    {
        state
            .engine
            .hold(id.uuid(), Then::Close, async || Ok::<(), ApiError>(()))
            .await?;
    }
    Ok(HttpResponse::Ok().json(Tender::from_record(record, state.clock.now())))
}
