//! Tenders end to end: drafts, publication, clarifications, sealed bids, opening,
//! evaluation and cancellation.

mod award;
mod bids;
mod cancel;
mod create;
mod evaluation;
mod opening;
mod publish;
mod questions;
mod read;

pub use award::*;
pub use bids::*;
pub use cancel::*;
pub use create::*;
pub use evaluation::*;
pub use opening::*;
pub use publish::*;
pub use questions::*;
pub use read::*;

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::auth::{Identity, Role};
use crate::domain::ids::TenderId;
use crate::domain::money::Money;
use crate::domain::tender::{Phase, Procedure, Schedule, Scope, Status};
use crate::error::ApiError;
use crate::persistence::tenders::TenderRecord;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/tenders")
            .route(web::post().to(create_tender))
            .route(web::get().to(list_tenders)),
    )
    .service(
        resource("/api/v1/tenders/{id}")
            .route(web::get().to(get_tender))
            .route(web::put().to(replace_tender)),
    )
    .service(resource("/api/v1/tenders/{id}/publish").route(web::post().to(publish_tender)))
    .service(
        resource("/api/v1/tenders/{id}/questions")
            .route(web::post().to(ask_question))
            .route(web::get().to(list_questions)),
    )
    .service(
        resource("/api/v1/tenders/{id}/questions/{question_id}/answer")
            .route(web::post().to(answer_question)),
    )
    .service(
        resource("/api/v1/tenders/{id}/bids")
            .route(web::post().to(submit_bid))
            .route(web::get().to(list_bids)),
    )
    .service(resource("/api/v1/tenders/{id}/bids/{bid_id}").route(web::delete().to(withdraw_bid)))
    .service(resource("/api/v1/tenders/{id}/opening").route(web::post().to(open_tender)))
    .service(resource("/api/v1/tenders/{id}/evaluation").route(web::post().to(evaluate_tender)))
    .service(resource("/api/v1/tenders/{id}/cancel").route(web::post().to(cancel_tender)))
    .service(resource("/api/v1/tenders/{id}/award").route(web::post().to(award_tender)))
    .service(resource("/api/v1/tenders/{id}/contract").route(web::post().to(sign_contract)));
}

/// One line of a tender.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenderItem {
    /// 1-based; bids price items by position.
    pub position: i32,
    pub classifier_code: String,
    pub quantity: i64,
    pub unit: String,
    #[schema(value_type = String, example = "18500.00")]
    pub max_unit_price: Money,
    pub is_ict: bool,
}

/// A tender as its readers see it; `phase` is computed at the moment of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tender {
    pub id: Uuid,
    pub agency: String,
    pub title: String,
    pub description: String,
    pub procedure: Procedure,
    /// An open tender's: `national` or `international`; none for the other procedures.
    pub scope: Option<Scope>,
    pub phase: Phase,
    pub items: Vec<TenderItem>,
    /// Σ quantity × maximum unit price.
    #[schema(value_type = String, example = "2220000.00")]
    pub reference_value: Money,
    pub schedule: Schedule,
    pub invited_suppliers: Vec<String>,
    pub legal_justification: Option<String>,
    pub framework_contract_id: Option<Uuid>,
    pub ict_assent_id: Option<Uuid>,
    pub framework_exception_justification: Option<String>,
    /// The planned auction settings, as given at creation (the defaults of
    /// `POST /api/v1/tenders/{id}/auction`).
    pub auction: Option<crate::domain::auction_settings::SettingsRequest>,
    /// The auction, once scheduled: `GET /api/v1/auctions/{auction_id}`.
    pub auction_id: Option<Uuid>,
    pub cancel_reason: Option<String>,
    pub award: Option<AwardView>,
    pub contract: Option<ContractView>,
    /// Its documents, in upload order (a draft's are private to its agency).
    pub documents: Vec<crate::routes::documents::Document>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The service's time when it answered.
    pub server_time: DateTime<Utc>,
}

impl Tender {
    pub fn from_record(record: TenderRecord, now: DateTime<Utc>) -> Self {
        let phase = record.phase(now);
        let public = record.tender.published_at.is_some();
        let documents = record
            .documents
            .into_iter()
            .map(|d| crate::routes::documents::Document::from_model(d, public))
            .collect();
        let t = record.tender;
        Self {
            id: t.id,
            agency: t.agency,
            title: t.title,
            description: t.description,
            procedure: t.procedure.into(),
            scope: (Procedure::from(t.procedure) == Procedure::Open).then(|| t.scope.into()),
            phase,
            items: record
                .items
                .into_iter()
                .map(|i| TenderItem {
                    position: i.position,
                    classifier_code: i.classifier_code,
                    quantity: i.quantity,
                    unit: i.unit,
                    max_unit_price: Money::from_centavos(i.max_unit_centavos).unwrap_or_default(),
                    is_ict: i.is_ict,
                })
                .collect(),
            reference_value: Money::from_centavos(t.reference_centavos).unwrap_or_default(),
            schedule: Schedule {
                clarifications_until: t.clarifications_until,
                submission_deadline: t.submission_deadline,
                opening_at: t.opening_at,
            },
            invited_suppliers: record.invited,
            legal_justification: t.legal_justification,
            framework_contract_id: t.framework_contract_id,
            ict_assent_id: t.ict_assent_id,
            framework_exception_justification: t.framework_exception,
            auction: t
                .auction_settings
                .and_then(|a| serde_json::from_str(&a).ok()),
            auction_id: record.auction_id.map(Into::into),
            cancel_reason: t.cancel_reason,
            award: record.award.map(|a| AwardView {
                bid_id: a.bid_id,
                rfc: a.rfc,
                amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
                savings: money_signed(a.savings_centavos),
                framework_savings: a.framework_savings_centavos.map(money_signed),
                pass_over_reason: a.pass_over_reason,
                passed_over: serde_json::from_str(&a.passed_over).unwrap_or_default(),
                awarded_at: a.awarded_at,
            }),
            contract: record.contract.map(|c| ContractView {
                id: c.id,
                amount: Money::from_centavos(c.amount_centavos).unwrap_or_default(),
                signed_on: c.signed_on,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
            }),
            documents,
            created_at: t.created_at,
            published_at: t.published_at,
            opened_at: t.opened_at,
            evaluated_at: t.evaluated_at,
            closed_at: t.closed_at,
            server_time: now,
        }
    }
}

/// The award (fallo).
#[derive(Debug, Serialize, ToSchema)]
pub struct AwardView {
    pub bid_id: Uuid,
    pub rfc: String,
    #[schema(value_type = String)]
    pub amount: Money,
    /// Reference value − awarded amount.
    #[schema(example = "120260.00")]
    pub savings: String,
    /// Under a framework contract: Σ (framework price − acquired price) × quantity.
    pub framework_savings: Option<String>,
    pub pass_over_reason: Option<String>,
    /// Bids ranked higher that could not be awarded, and why.
    pub passed_over: serde_json::Value,
    pub awarded_at: DateTime<Utc>,
}

/// The signed contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub amount: Money,
    pub signed_on: chrono::NaiveDate,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
}

/// A signed amount of centavos as a decimal string (savings may be negative).
pub fn money_signed(centavos: i64) -> String {
    let sign = if centavos < 0 { "-" } else { "" };
    let abs = centavos.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Who may see a draft: the officers of its agency and auditors. To anyone else a draft
/// does not exist.
pub fn may_see(identity: Option<&Identity>, record: &TenderRecord) -> bool {
    if record.status() != Status::Draft {
        return true;
    }
    match identity {
        Some(id) if id.role == Role::Auditor => true,
        Some(id) if id.role == Role::Officer => id
            .agency
            .as_ref()
            .is_some_and(|a| a.as_str() == record.tender.agency),
        _ => false,
    }
}

/// The tender id of a path.
pub fn tender_id(raw: &str) -> Result<TenderId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("tender {raw}")))
}
