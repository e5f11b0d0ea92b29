use actix_web::{HttpResponse, http::header::LOCATION, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Tender, tender_id};
use crate::auth::Officer;
use crate::domain::money::Money;
use crate::domain::tender::{Procedure, RawDraft, RawItem, RawLot, Schedule, Scope, TenderDraft};
use crate::error::{ApiError, Problem};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::tenders::{create_draft, replace_draft};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderItemRequest {
    /// A code of the classifier.
    #[schema(example = "51501003")]
    pub classifier_code: String,
    #[schema(example = 120, minimum = 1, maximum = 1000000000)]
    pub quantity: u64,
    #[schema(example = "pieza")]
    pub unit: String,
    #[schema(value_type = String, example = "18500.00")]
    pub max_unit_price: Money,
}

/// A lot as an officer writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderLotRequest {
    /// 1 to 300 characters.
    #[schema(example = "Partida 1: equipo de cómputo")]
    pub title: String,
    pub description: Option<String>,
    /// At least one.
    pub items: Vec<TenderItemRequest>,
}

/// A tender as an officer writes it: its items in `lots`, or (a tender of one lot) as
/// top-level `items`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderRequest {
    #[schema(example = "Adquisición de equipo de cómputo para oficinas centrales")]
    pub title: String,
    pub description: String,
    pub procedure: Procedure,
    /// For open tenders: national (default) or international.
    pub scope: Option<Scope>,
    /// The items of a one-lot tender (not with `lots`).
    pub items: Option<Vec<TenderItemRequest>>,
    /// 1 to 200 lots, each awarded on its own (not with `items`). Items are numbered
    /// 1..n across the tender, lot by lot.
    pub lots: Option<Vec<TenderLotRequest>>,
    pub schedule: Schedule,
    /// RFCs: at least three for an invitation, exactly one for a direct award.
    #[serde(default)]
    pub invited_suppliers: Vec<String>,
    /// Required for a direct award.
    pub legal_justification: Option<String>,
    pub framework_contract_id: Option<Uuid>,
    pub ict_assent_id: Option<Uuid>,
    /// Why no framework contract is used although one covers an item.
    pub framework_exception_justification: Option<String>,
    /// The planned auction settings, checked now as `POST …/auction` checks them (an
    /// auction starts after the opening); that call's body may still change any of them.
    pub auction: Option<crate::domain::auction_settings::SettingsRequest>,
}

impl TenderRequest {
    pub fn parse(&self) -> Result<TenderDraft, ApiError> {
        fn raw(items: &[TenderItemRequest]) -> Vec<RawItem<'_>> {
            items
                .iter()
                .map(|i| RawItem {
                    classifier_code: &i.classifier_code,
                    quantity: i.quantity,
                    unit: &i.unit,
                    max_unit_price: i.max_unit_price,
                })
                .collect()
        }
        let items = self.items.as_deref().map(raw);
        let lots: Option<Vec<RawLot<'_>>> = self.lots.as_ref().map(|lots| {
            lots.iter()
                .map(|l| RawLot {
                    title: &l.title,
                    description: l.description.as_deref(),
                    items: raw(&l.items),
                })
                .collect()
        });
        Ok(TenderDraft::parse(&RawDraft {
            title: &self.title,
            description: &self.description,
            procedure: self.procedure,
            scope: self.scope,
            items: items.as_deref(),
            lots: lots.as_deref(),
            schedule: self.schedule,
            invited: &self.invited_suppliers,
            legal_justification: self.legal_justification.as_deref(),
            framework_contract_id: self.framework_contract_id,
            ict_assent_id: self.ict_assent_id,
            framework_exception: self.framework_exception_justification.as_deref(),
            auction_settings: self.auction.as_ref(),
        })?)
    }
}

const DRAFT_ERRORS: &str = "`invalid_title`, `invalid_description`, `items_required`, `too_many_items`, \
    `too_many_lots`, `lots_and_items`, \
    `invalid_classifier_code`, `unknown_classifier_code`, `invalid_quantity`, `invalid_unit`, \
    `invalid_money`, `invalid_date`, `schedule_out_of_order`, `invited_not_allowed`, \
    `too_few_invited`, `too_many_invited`, `direct_award_needs_one_supplier`, \
    `justification_required`, `invalid_justification`, `invalid_rfc`, `invalid_scope`, \
    `invalid_auction_settings`, `invalid_body`";

/// Create a tender of the officer's agency, as a draft.
#[utoipa::path(
    post, path = "/api/v1/tenders", tag = "tenders",
    request_body = TenderRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = Tender),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role` (officers only), `agency_not_registered` (the token's agency is not in the register)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = DRAFT_ERRORS, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_tender(
    state: web::Data<AppState>,
    officer: Officer,
    ApiJson(body): ApiJson<TenderRequest>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parse()?;
    let record = create_draft::run(
        &state.context(),
        &officer.agency,
        &draft,
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/tenders/{}", record.tender.id)))
        .json(Tender::from_record(record, state.clock.now())))
}

/// Replace a draft (officers of its agency). Published tenders can't be edited.
#[utoipa::path(
    put, path = "/api/v1/tenders/{id}", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = TenderRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft", body = Tender),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_a_draft`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = DRAFT_ERRORS, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace_tender(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    ApiJson(body): ApiJson<TenderRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let draft = body.parse()?;
    let record = replace_draft::run(
        &state.context(),
        id,
        &officer.agency,
        &draft,
        &officer.identity.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Tender::from_record(record, state.clock.now())))
}
