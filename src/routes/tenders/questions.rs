use crate::domain::code::Code;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{may_see, tender_id};
use crate::auth::{MaybePrincipal, Officer, Role, Supplier};
use crate::domain::ids::QuestionId;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::tender::LONG_TEXT_LEN;
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::persistence::entities::tender_question;
use crate::persistence::tenders;
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::tenders::{answer, ask};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionRequest {
    pub question: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub answer: String,
}

/// A clarification question. Who asked is never shown to the public.
#[derive(Debug, Serialize, ToSchema)]
pub struct Question {
    pub id: Uuid,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether the caller asked it (suppliers only).
    pub mine: bool,
    /// The asker's RFC: shown to the agency's officers and auditors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asker_rfc: Option<String>,
}

fn question(model: tender_question::Model, mine: bool, show_asker: bool) -> Question {
    Question {
        id: model.id,
        question: model.question,
        asked_at: model.asked_at,
        answer: model.answer,
        answered_at: model.answered_at,
        mine,
        asker_rfc: show_asker.then_some(model.asker_rfc),
    }
}

fn text(raw: &str, field: &'static str, code: Code) -> Result<String, ApiError> {
    let mut errors = ValidationErrors::new();
    let value = errors.check(field, bounded(raw, field, code, LONG_TEXT_LEN, true));
    errors.finish()?;
    value.ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("checked text vanished")))
}

/// Ask a question during the clarification period (suppliers that may take part).
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/questions", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = QuestionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Asked", body = Question),
        (status = 403, description = "`forbidden_role`, `supplier_not_registered`, `not_invited`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`clarification_closed`, `supplier_sanctioned`, `framework_supplier_not_adhered`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_question`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ask_question(
    state: web::Data<AppState>,
    supplier: Supplier,
    path: web::Path<String>,
    ApiJson(body): ApiJson<QuestionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let asked = text(&body.question, "question", Code::InvalidQuestion)?;
    let rfc = Rfc::parse_with(&supplier.0.sub, CheckDigit::Override)
        .map_err(|_| ApiError::InvalidToken("a supplier token's sub is its RFC".into()))?;
    let model = ask::run(&state.context(), id, &rfc, &asked).await?;
    Ok(HttpResponse::Created().json(question(model, true, false)))
}

/// Answer a question (officers of the tender's agency), once.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/questions/{question_id}/answer", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender"), ("question_id" = Uuid, Path, description = "The question")),
    request_body = AnswerRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Answered; now public", body = Question),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_answered`, `not_answerable`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_answer`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn answer_question(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    ApiJson(body): ApiJson<AnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, question_id) = path.into_inner();
    let id = tender_id(&id)?;
    let question_id: QuestionId = question_id
        .parse()
        .map_err(|_| ApiError::not_found(format!("question {question_id}")))?;
    let answer = text(&body.answer, "answer", Code::InvalidAnswer)?;
    let model = answer::run(
        &state.context(),
        (id, question_id),
        &officer.agency,
        &answer,
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(question(model, false, true)))
}

/// The questions of a tender: answered ones for anyone (asker hidden); a supplier also
/// sees its own pending ones; the agency's officers and auditors see all.
#[utoipa::path(
    get, path = "/api/v1/tenders/{id}/questions", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Questions, oldest first", body = Vec<Question>),
        (status = 400, description = "`invalid_query`: this list takes no query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_token`, `token_expired`: a token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_questions(
    state: web::Data<AppState>,
    MaybePrincipal(identity): MaybePrincipal,
    path: web::Path<String>,
    _query: web::Query<crate::routes::pagination::NoParams>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let record = tenders::get(&state.db, id)
        .await?
        .filter(|r| may_see(identity.as_ref(), r))
        .ok_or_else(|| ApiError::not_found(format!("tender {id}")))?;
    let staff = identity.as_ref().is_some_and(|i| {
        i.role == Role::Auditor
            || (i.role == Role::Officer
                && i.agency
                    .as_ref()
                    .is_some_and(|a| a.as_str() == record.tender.agency))
    });
    let own_rfc = identity
        .as_ref()
        .filter(|i| i.role == Role::Supplier)
        .and_then(|i| Rfc::parse_with(&i.sub, CheckDigit::Override).ok());
    let list: Vec<Question> = tenders::questions(&state.db, id)
        .await?
        .into_iter()
        .filter_map(|q| {
            let mine = own_rfc.as_ref().is_some_and(|r| r.as_str() == q.asker_rfc);
            (staff || mine || q.answer.is_some()).then(|| question(q, mine, staff))
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
