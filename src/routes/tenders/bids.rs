use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::tender_id;
use crate::auth::{Principal, Role, Supplier};
use crate::domain::bid::{BidLine, SealedContent};
use crate::domain::ids::{BidId, TenderId};
use crate::domain::money::Money;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::tender::Status;
use crate::error::{ApiError, Problem};
use crate::persistence::entities::BidStatus;
use crate::persistence::entities::bid;
use crate::persistence::{bids, tenders};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::sealed::{owned_by, unseal};
use crate::usecases::tenders::{submit_bid, withdraw_bid};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidPrice {
    /// The item's position in the tender.
    #[schema(minimum = 1)]
    pub position: u32,
    #[schema(value_type = String, example = "17990.00")]
    pub unit_price: Money,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidRequest {
    /// One price for every item of each lot offered (any subset of the lots; a tender of
    /// one lot: every item).
    pub prices: Vec<BidPrice>,
    pub technical_offer: String,
    /// SHA-256 of the supporting document, if any.
    pub document_sha256: Option<String>,
}

/// What a supplier gets back: proof of what it sent and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidReceipt {
    pub bid_id: Uuid,
    pub tender_id: Uuid,
    /// The commitment to the bid. Version 2: `hex(HMAC-SHA256(key = the bytes of
    /// receipt_nonce, message))`, where the message is the canonical JSON of `{bid_id,
    /// document_sha256, prices, rfc, technical_offer, tender_id}` (keys sorted, no spaces),
    /// a line feed, and `received_at` as RFC 3339 with microseconds and `Z`. Version 1
    /// (bids sealed before): SHA-256 of the same message.
    pub receipt_sha256: String,
    /// Version 2: 64 hex characters, the receipt's key. Keep it: with it, and only with it
    /// (or the seal key), the receipt can be checked against a bid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_nonce: Option<String>,
    /// 1 or 2, as above.
    pub receipt_version: i32,
    /// Always with six decimals, exactly as the receipt's message has it.
    #[serde(serialize_with = "crate::domain::audit::serialize_micros")]
    pub received_at: DateTime<Utc>,
    /// live, replaced or withdrawn.
    pub status: String,
}

impl BidReceipt {
    fn of(b: &bid::Model, receipt_nonce: Option<String>) -> Self {
        Self {
            bid_id: b.id,
            tender_id: b.tender_id,
            receipt_sha256: b.receipt_sha256.clone(),
            receipt_nonce,
            receipt_version: b.seal_version,
            received_at: b.received_at,
            status: b.status.as_str().to_owned(),
        }
    }
}

/// A bid as a reader may see it: before the opening, its existence and time only (its
/// owner sees its content).
#[derive(Debug, Serialize, ToSchema)]
pub struct BidView {
    pub bid_id: Uuid,
    pub status: String,
    /// Always with six decimals, exactly as the receipt's message has it.
    #[serde(serialize_with = "crate::domain::audit::serialize_micros")]
    pub received_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_sha256: Option<String>,
    /// Its owner only: the receipt's key (version 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_nonce: Option<String>,
    /// 1 or 2 (see `BidReceipt`); shown with the receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub total: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<BidPriceView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technical_offer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation_reason: Option<String>,
    /// After the opening: what it offers for each lot, and its evaluation there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<BidLotView>,
    /// The documents attached to the bid (sealed with it), for whoever may read its
    /// content: read each at `GET /api/v1/documents/{id}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Uuid>,
}

/// What an opened bid offers for one lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidLotView {
    pub lot: i32,
    /// Σ quantity × unit price of the lot's items.
    #[schema(value_type = String)]
    pub total: Money,
    /// Set by the evaluation.
    pub qualified: Option<bool>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BidPriceView {
    #[schema(minimum = 1)]
    pub position: u32,
    #[schema(value_type = String)]
    pub unit_price: Money,
}

pub fn supplier_rfc(supplier: &Supplier) -> Result<Rfc, ApiError> {
    Rfc::parse_with(&supplier.0.sub, CheckDigit::Override)
        .map_err(|_| ApiError::InvalidToken("a supplier token's sub is its RFC".into()))
}

/// The full views of bids (their documents read in one query).
pub async fn full_views<'a>(
    state: &AppState,
    bids: impl IntoIterator<Item = &'a bid::Model>,
    owner: Option<&Rfc>,
) -> Result<Vec<BidView>, ApiError> {
    let bids: Vec<&bid::Model> = bids.into_iter().collect();
    let ids: Vec<BidId> = bids.iter().map(|b| BidId::from_uuid(b.id)).collect();
    let mut docs = crate::persistence::documents::of_bids(&state.db, &ids).await?;
    let offers = match bids.first() {
        Some(b) => bids::lots_of_tender(&state.db, TenderId::from_uuid(b.tender_id)).await?,
        None => Vec::new(),
    };
    bids.into_iter()
        .map(|b| {
            let mut view = full_view(state, b, owner, docs.remove(&b.id).unwrap_or_default())?;
            view.lots = offers
                .iter()
                .filter(|o| o.bid_id == b.id)
                .map(|o| BidLotView {
                    lot: o.lot,
                    total: Money::from_centavos(o.total_centavos).unwrap_or_default(),
                    qualified: o.qualified,
                    reason: o.evaluation_reason.clone(),
                })
                .collect();
            Ok(view)
        })
        .collect()
}

/// The full view of a bid: its owner's (`rfc` given), or staff's after the opening.
pub fn full_view(
    state: &AppState,
    b: &bid::Model,
    owner: Option<&Rfc>,
    documents: Vec<Uuid>,
) -> Result<BidView, ApiError> {
    // Replaced and withdrawn bids stay sealed to staff: only the live one is ever read. Its
    // owner gets every bid's receipt key back, to check any of its receipts.
    let live = b.status == BidStatus::Live;
    let unsealed = if live || owner.is_some() {
        Some(unseal(&state.sealer, b)?)
    } else {
        None
    };
    let receipt_nonce = owner
        .and(unsealed.as_ref())
        .and_then(|u| u.receipt_nonce.clone());
    let content = unsealed.as_ref().filter(|_| live).map(|u| &u.content);
    Ok(BidView {
        bid_id: b.id,
        status: b.status.as_str().to_owned(),
        received_at: b.received_at,
        rfc: owner
            .map(|r| r.as_str().to_owned())
            .or_else(|| unsealed.as_ref().map(|u| u.rfc.clone()))
            .or_else(|| b.rfc.clone()),
        receipt_sha256: Some(b.receipt_sha256.clone()),
        receipt_nonce,
        receipt_version: Some(b.seal_version),
        total: b.total_centavos.and_then(|c| Money::from_centavos(c).ok()),
        prices: content.as_ref().map(|c| {
            c.prices
                .iter()
                .map(|l| BidPriceView {
                    position: l.position,
                    unit_price: l.unit_price,
                })
                .collect()
        }),
        technical_offer: content.map(|c| c.technical_offer.clone()),
        document_sha256: content.and_then(|c| c.document_sha256.clone()),
        qualified: b.qualified,
        evaluation_reason: b.evaluation_reason.clone(),
        lots: Vec::new(),
        documents,
    })
}

/// Submit a sealed bid, or replace one's live bid, until the submission deadline.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/bids", tag = "bids",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = BidRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Received and sealed", body = BidReceipt),
        (status = 403, description = "`forbidden_role`, `supplier_not_registered`, `not_invited`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`submission_closed`, `supplier_sanctioned`, `framework_supplier_not_adhered`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`bid_items_mismatch`, `incomplete_lot`, `above_max_price`, `invalid_money`, `invalid_technical_offer`, `invalid_document_hash`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit_bid(
    state: web::Data<AppState>,
    supplier: Supplier,
    path: web::Path<String>,
    ApiJson(body): ApiJson<BidRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let rfc = supplier_rfc(&supplier)?;
    let content = SealedContent {
        prices: body
            .prices
            .iter()
            .map(|p| BidLine {
                position: p.position,
                unit_price: p.unit_price,
            })
            .collect(),
        // Stored, and committed to, as one spelling: trimmed, in NFC.
        technical_offer: crate::domain::text::normalise(&body.technical_offer),
        document_sha256: body.document_sha256.map(|h| h.trim().to_ascii_lowercase()),
    };
    let submitted = submit_bid::run(&state.context(), id, &rfc, &content).await?;
    Ok(HttpResponse::Created().json(BidReceipt::of(
        &submitted.bid,
        Some(submitted.receipt_nonce),
    )))
}

/// Withdraw one's live bid before the submission deadline.
#[utoipa::path(
    delete, path = "/api/v1/tenders/{id}/bids/{bid_id}", tag = "bids",
    params(("id" = Uuid, Path, description = "The tender"), ("bid_id" = Uuid, Path, description = "The bid")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = BidReceipt),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`submission_closed`, `bid_not_live`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw_bid(
    state: web::Data<AppState>,
    supplier: Supplier,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, bid_id) = path.into_inner();
    let id = tender_id(&id)?;
    let bid_id: BidId = bid_id
        .parse()
        .map_err(|_| ApiError::not_found(format!("bid {bid_id}")))?;
    let rfc = supplier_rfc(&supplier)?;
    let model = withdraw_bid::run(&state.context(), (id, bid_id), &rfc).await?;
    Ok(HttpResponse::Ok().json(BidReceipt::of(&model, None)))
}

/// The bids of a tender. A supplier sees its own, in full. Before the opening the agency's
/// officers and auditors see only that each live bid exists and when it came; after the
/// opening they see every live bid in full.
#[utoipa::path(
    get, path = "/api/v1/tenders/{id}/bids", tag = "bids",
    params(("id" = Uuid, Path, description = "The tender")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Bids", body = Vec<BidView>),
        (status = 400, description = "`invalid_query`: this list takes no query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_bids(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    _query: web::Query<crate::routes::pagination::NoParams>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let identity = &principal.0;
    let record = tenders::get(&state.db, id)
        .await?
        .filter(|r| super::may_see(Some(identity), r))
        .ok_or_else(|| ApiError::not_found(format!("tender {id}")))?;
    let all = bids::of_tender(&state.db, id).await?;
    let views: Vec<BidView> = match identity.role {
        Role::Supplier => {
            let rfc = Rfc::parse_with(&identity.sub, CheckDigit::Override)
                .map_err(|_| ApiError::InvalidToken("a supplier token's sub is its RFC".into()))?;
            let tag = state.sealer.bidder_tag(id.uuid(), rfc.as_str());
            full_views(
                &state,
                all.iter().filter(|b| owned_by(b, rfc.as_str(), &tag)),
                Some(&rfc),
            )
            .await?
        }
        Role::Officer | Role::Auditor => {
            if identity.role == Role::Officer
                && identity
                    .agency
                    .as_ref()
                    .is_none_or(|a| a.as_str() != record.tender.agency)
            {
                return Err(ApiError::NotYourAgency(format!(
                    "tender {id} belongs to agency {}",
                    record.tender.agency
                )));
            }
            let opened = !matches!(record.status(), Status::Draft | Status::Published)
                && record.tender.opened_at.is_some();
            let live = all.iter().filter(|b| b.status == BidStatus::Live);
            if opened {
                full_views(&state, live, None).await?
            } else {
                live.map(|b| BidView {
                    bid_id: b.id,
                    status: b.status.as_str().to_owned(),
                    received_at: b.received_at,
                    rfc: None,
                    receipt_sha256: None,
                    receipt_nonce: None,
                    receipt_version: None,
                    total: None,
                    prices: None,
                    technical_offer: None,
                    document_sha256: None,
                    qualified: None,
                    evaluation_reason: None,
                    lots: Vec::new(),
                    documents: Vec::new(),
                })
                .collect()
            }
        }
        _ => {
            return Err(ApiError::ForbiddenRole {
                required: Role::Officer.as_str(),
            });
        }
    };
    Ok(HttpResponse::Ok().json(views))
}
