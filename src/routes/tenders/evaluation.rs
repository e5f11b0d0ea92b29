use crate::domain::code::Code;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::bids::{BidView, full_views};
use super::{Tender, tender_id};
use crate::auth::Officer;
use crate::domain::publication::Verdict;
use crate::domain::tender::{LONG_TEXT_LEN, Status};
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::tenders::evaluate;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidEvaluation {
    pub bid_id: Uuid,
    /// The lot judged; without it, the bid is judged in every lot it offers.
    #[schema(minimum = 1)]
    pub lot: Option<u32>,
    pub qualified: bool,
    /// Required when the bid does not qualify.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    /// Every opened bid judged once in each lot it offers: one entry for the bid (all its
    /// lots), or one per lot.
    pub evaluations: Vec<BidEvaluation>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationResult {
    pub tender: Tender,
    pub bids: Vec<BidView>,
    /// What the officer may do next: `["auction", "award"]` when a lot has two or more
    /// qualified bids (an auction may run, or the award follow at once), `["award"]` when
    /// each lot left has one, `[]` when deserted.
    pub next: Vec<&'static str>,
}

/// Evaluate the opened bids (officers of the tender's agency): each qualified or not,
/// with the reason for each refusal. No qualified bid: deserted.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/evaluation", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = EvaluationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Evaluated", body = EvaluationResult),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_evaluable`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_bid`, `lot_not_offered`, `evaluation_incomplete`, `reason_required`, `invalid_reason`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn evaluate_tender(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    ApiJson(body): ApiJson<EvaluationRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let mut errors = ValidationErrors::new();
    let evaluations: Vec<Verdict> = body
        .evaluations
        .into_iter()
        .enumerate()
        .map(|(i, e)| Verdict {
            bid_id: e.bid_id,
            lot: e.lot,
            qualified: e.qualified,
            reason: e.reason.filter(|r| !r.trim().is_empty()).and_then(|r| {
                errors.check(
                    &format!("evaluations[{i}].reason"),
                    bounded(&r, "reason", Code::InvalidReason, LONG_TEXT_LEN, true),
                )
            }),
        })
        .collect();
    errors.finish()?;
    let (record, bids) = evaluate::run(
        &state.context(),
        id,
        &officer.agency,
        &evaluations,
        &officer.identity.actor(),
    )
    .await?;
    let bids = full_views(&state, &bids, None).await?;
    // The most bids qualified on one lot.
    let most = record
        .lots
        .iter()
        .map(|l| {
            bids.iter()
                .filter(|b| {
                    b.lots
                        .iter()
                        .any(|o| o.lot == l.number && o.qualified == Some(true))
                })
                .count()
        })
        .max()
        .unwrap_or(0);
    let next = match (record.status(), most) {
        (Status::Deserted, _) | (_, 0) => vec![],
        (_, 1) => vec!["award"],
        _ => vec!["auction", "award"],
    };
    Ok(HttpResponse::Ok().json(EvaluationResult {
        tender: Tender::from_record(record, state.clock.now()),
        bids,
        next,
    }))
}
