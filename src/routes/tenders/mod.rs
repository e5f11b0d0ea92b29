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
    .service(resource("/api/v1/tenders/{id}/contract").route(web::post().to(sign_contract)))
    .service(resource("/api/v1/tenders/{id}/lots/{lot}/award").route(web::post().to(award_lot)))
    .service(
        resource("/api/v1/tenders/{id}/lots/{lot}/contract")
            .route(web::post().to(sign_lot_contract)),
    );
}

/// One line of a tender.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenderItem {
    /// 1-based across the tender; bids price items by position.
    pub position: i32,
    /// The lot it belongs to (1-based).
    pub lot: i32,
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
    /// Every lot's items, numbered 1..n across the tender, lot by lot.
    pub items: Vec<TenderItem>,
    /// Its lots, each awarded on its own (one, for a tender written with `items`).
    pub lots: Vec<LotView>,
    /// Σ quantity × maximum unit price (the sum of the lots').
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
    /// A one-lot tender's auction, once scheduled: `GET /api/v1/auctions/{auction_id}`
    /// (with several lots, each lot's is in `lots`).
    pub auction_id: Option<Uuid>,
    pub cancel_reason: Option<String>,
    /// A one-lot tender's award (with several lots, each lot's is in `lots`).
    pub award: Option<AwardView>,
    /// A one-lot tender's contract (with several lots, each lot's is in `lots`).
    pub contract: Option<ContractView>,
    /// Its documents, in upload order (a draft's are private to its agency).
    pub documents: Vec<crate::routes::documents::Document>,
    /// The complaints filed against its acts, as the public sees them (their text:
    /// `GET /api/v1/complaints/{id}`, for their parties).
    pub complaints: Vec<TenderComplaint>,
    /// The admitted complaint that suspends it, while one does.
    pub suspended_by: Option<Uuid>,
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
        let only = record.only_lot();
        let lots: Vec<LotView> = record
            .lots
            .iter()
            .map(|l| {
                let number = u32::try_from(l.number).unwrap_or(0);
                LotView {
                    number: l.number,
                    title: l.title.clone(),
                    description: l.description.clone(),
                    reference_value: Money::from_centavos(l.reference_centavos).unwrap_or_default(),
                    status: l.status.into(),
                    items: record
                        .items
                        .iter()
                        .filter(|i| i.lot == l.number)
                        .map(|i| i.position)
                        .collect(),
                    auction_id: record.auction_of(number).map(Into::into),
                    award: record.award_of(number).map(AwardView::from_model),
                    contract: record.contract_of(number).map(ContractView::from_model),
                }
            })
            .collect();
        let (auction_id, award, contract) = match only {
            Some(n) => (
                record.auction_of(n).map(Into::into),
                record.award_of(n).map(AwardView::from_model),
                record.contract_of(n).map(ContractView::from_model),
            ),
            None => (None, None, None),
        };

        let documents = record
            .documents
            .into_iter()
            .map(|d| crate::routes::documents::Document::from_model(d, public))
            .collect();
        let complaints = record
            .complaints
            .iter()
            .map(|c| TenderComplaint {
                id: c.id,
                act: c.act.into(),
                lot: c.lot,
                status: c.status.into(),
                suspension_in_force: c.suspension_in_force(),
                filed_at: c.filed_at,
            })
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
                    lot: i.lot,
                    classifier_code: i.classifier_code,
                    quantity: i.quantity,
                    unit: i.unit,
                    max_unit_price: Money::from_centavos(i.max_unit_centavos).unwrap_or_default(),
                    is_ict: i.is_ict,
                })
                .collect(),
            lots,
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
            auction_id,
            cancel_reason: t.cancel_reason,
            award,
            contract,
            documents,
            complaints,
            suspended_by: t.suspended_by,
            created_at: t.created_at,
            published_at: t.published_at,
            opened_at: t.opened_at,
            evaluated_at: t.evaluated_at,
            closed_at: t.closed_at,
            server_time: now,
        }
    }
}

/// A complaint against an act of the tender, as anyone may know of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenderComplaint {
    pub id: Uuid,
    pub act: crate::domain::complaint::Act,
    pub lot: Option<i32>,
    pub status: crate::domain::complaint::ComplaintStatus,
    pub suspension_in_force: bool,
    pub filed_at: DateTime<Utc>,
}

/// A lot of a tender: its items, reference value and status, and its auction, award and
/// contract once they happen.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotView {
    /// 1-based.
    pub number: i32,
    pub title: String,
    pub description: Option<String>,
    /// Σ quantity × maximum unit price of its items.
    #[schema(value_type = String, example = "1110000.00")]
    pub reference_value: Money,
    pub status: crate::domain::lot::LotStatus,
    /// The positions of its items.
    pub items: Vec<i32>,
    /// Its auction, once scheduled: `GET /api/v1/auctions/{auction_id}`.
    pub auction_id: Option<Uuid>,
    pub award: Option<AwardView>,
    pub contract: Option<ContractView>,
}

/// The award (fallo).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AwardView {
    /// The lot awarded.
    pub lot: i32,
    pub bid_id: Uuid,
    pub rfc: String,
    #[schema(value_type = String)]
    pub amount: Money,
    /// The lot's reference value.
    #[schema(value_type = String)]
    pub reference_value: Money,
    /// The lot's reference value − awarded amount.
    #[schema(example = "120260.00")]
    pub savings: String,
    /// Under a framework contract: Σ (framework price − acquired price) × quantity.
    pub framework_savings: Option<String>,
    pub pass_over_reason: Option<String>,
    /// Bids ranked higher that could not be awarded, and why.
    pub passed_over: serde_json::Value,
    pub awarded_at: DateTime<Utc>,
}

impl AwardView {
    pub fn from_model(a: &crate::persistence::entities::award::Model) -> Self {
        AwardView {
            lot: a.lot,
            bid_id: a.bid_id,
            rfc: a.rfc.clone(),
            amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
            reference_value: Money::from_centavos(a.reference_centavos).unwrap_or_default(),
            savings: money_signed(a.savings_centavos),
            framework_savings: a.framework_savings_centavos.map(money_signed),
            pass_over_reason: a.pass_over_reason.clone(),
            passed_over: serde_json::from_str(&a.passed_over).unwrap_or_default(),
            awarded_at: a.awarded_at,
        }
    }
}

impl ContractView {
    pub fn from_model(c: &crate::persistence::entities::contract::Model) -> Self {
        ContractView {
            id: c.id,
            lot: c.lot,
            amount: Money::from_centavos(c.amount_centavos).unwrap_or_default(),
            signed_on: c.signed_on,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
        }
    }
}

/// The signed contract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractView {
    pub id: Uuid,
    /// The lot it contracts.
    pub lot: i32,
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

/// The lot number of a path (1-based): anything else names no lot.
pub fn lot_number(tender: &str, raw: &str) -> Result<u32, ApiError> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::not_found(format!("lot {raw} of tender {tender}")))
}

/// The tender id of a path.
pub fn tender_id(raw: &str) -> Result<TenderId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("tender {raw}")))
}
