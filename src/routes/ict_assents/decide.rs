use crate::domain::code::Code;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::IctAssent;
use crate::auth::IctAuthority;
use crate::domain::ict::Decision;
use crate::domain::ids::AssentId;
use crate::domain::money::Money;
use crate::domain::tender::LONG_TEXT_LEN;
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::ict::decide;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Verdict,
    /// Approved: the amount approved.
    #[schema(value_type = Option<String>, example = "2400000.00")]
    pub approved_amount: Option<Money>,
    /// Approved: the last day the assent may be used.
    pub expires_on: Option<NaiveDate>,
    /// Required when rejected.
    pub notes: Option<String>,
}

/// Decide an ICT assent (the Digital Government Unit), once.
#[utoipa::path(
    post, path = "/api/v1/ict-assents/{id}/decision", tag = "ict",
    params(("id" = Uuid, Path, description = "The assent")),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided", body = IctAssent),
        (status = 403, description = "`forbidden_role`: the ICT authority only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_decision`, `strategic_limit_reached`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide_assent(
    state: web::Data<AppState>,
    authority: IctAuthority,
    path: web::Path<String>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let raw = path.into_inner();
    let id: AssentId = raw
        .parse()
        .map_err(|_| ApiError::not_found(format!("ICT assent {raw}")))?;
    let cx = state.context();
    let today = cx.today;
    let mut errors = ValidationErrors::new();
    let notes = body
        .notes
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| {
            errors.check(
                "notes",
                bounded(n, "notes", Code::InvalidDecision, LONG_TEXT_LEN, true),
            )
        });
    let decision = match body.decision {
        Verdict::Approved => {
            match body.approved_amount {
                Some(amount) if amount > Money::ZERO => {}
                _ => errors.push(
                    "approved_amount",
                    Code::InvalidDecision,
                    "an approval states the amount approved",
                ),
            }
            match body.expires_on {
                Some(on) if on >= today => {}
                Some(_) => errors.push(
                    "expires_on",
                    Code::InvalidDecision,
                    "an approval expires today or later",
                ),
                None => errors.push(
                    "expires_on",
                    Code::InvalidDecision,
                    "an approval states its expiry date",
                ),
            }
            Decision::Approve {
                amount: body.approved_amount.unwrap_or_default(),
                expires_on: body.expires_on.unwrap_or(today),
                notes: notes.clone(),
            }
        }
        Verdict::Rejected => {
            if notes.is_none() {
                errors.push(
                    "notes",
                    Code::InvalidDecision,
                    "a rejection states its reasons",
                );
            }
            Decision::Reject {
                notes: notes.clone().unwrap_or_default(),
            }
        }
    };
    errors.finish()?;
    let record = decide::run(
        &cx,
        id,
        &decision,
        &state.settings.ict,
        &authority.0.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(IctAssent::from(record)))
}
