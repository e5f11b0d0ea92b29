use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{auction_id, engine_error};
use crate::auth::Supplier;
use crate::domain::money::Money;
use crate::engine::{BidRequest, Idempotency};
use crate::error::{ApiError, Code, Problem};
use crate::routes::extract::ApiJson;
use crate::routes::tenders::supplier_rfc;
use crate::state::AppState;

/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuctionBidRequest {
    /// The new total price, MXN.
    #[schema(value_type = String, example = "1150000.00")]
    pub amount: Money,
}

/// An accepted auction bid.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuctionBidPlaced {
    pub bid_id: Uuid,
    /// Its sequence number in the auction.
    pub seq: i64,
    #[schema(value_type = String)]
    pub amount: Money,
    /// The bidder's rank after it (1 = best), when the auction's visibility shows ranks.
    #[schema(minimum = 1)]
    pub rank: Option<usize>,
    /// The best price after it, when the visibility shows it.
    #[schema(value_type = Option<String>)]
    pub best_price: Option<Money>,
    /// The auction's end after it (soft close may have moved it).
    pub ends_at: DateTime<Utc>,
    pub server_time: DateTime<Utc>,
}

/// Place a bid in an auction (participants). Checked and applied atomically: a
/// participant, the auction not paused (its tender suspended), open, its turn (rounds), at most its own current price minus
/// the least decrement, at most the ceiling, below the best price when the auction says
/// so; soft close applied. A 201 is sent only once the bid is durable. With an
/// `Idempotency-Key` header, a retry with the same key and amount returns the first
/// answer (with `Idempotent-Replayed: true`) and makes no second bid.
#[utoipa::path(
    post, path = "/api/v1/auctions/{id}/bids", tag = "auctions",
    params(
        ("id" = Uuid, Path, description = "The auction"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters, unique per bid"),
    ),
    request_body = AuctionBidRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Accepted and durable (or, with `Idempotent-Replayed: true`, the first answer to this Idempotency-Key)", body = AuctionBidPlaced),
        (status = 400, description = "`invalid_idempotency_key`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`, `not_a_participant`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`auction_not_open`, `auction_closed`, `not_your_turn`, `tender_suspended` (paused while an admitted complaint suspends the tender)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`decrement_too_small`, `above_ceiling`, `must_beat_best`, `idempotency_conflict`, `invalid_money`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn place_bid(
    state: web::Data<AppState>,
    supplier: Supplier,
    req: HttpRequest,
    path: web::Path<String>,
    ApiJson(body): ApiJson<AuctionBidRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = auction_id(&path)?;
    let rfc = supplier_rfc(&supplier)?;
    let idempotency = idempotency_key(&req)?.map(|key| Idempotency {
        key,
        request_sha256: hex::encode(Sha256::digest(
            format!("amount={}", body.amount.centavos()).as_bytes(),
        )),
    });
    if body.amount == Money::ZERO {
        return Err(ApiError::Rejected {
            code: Code::InvalidMoney,
            detail: "a bid is a positive amount".into(),
            fields: Default::default(),
        });
    }
    let outcome = state
        .engine
        .place(BidRequest {
            auction_id: id,
            rfc: rfc.as_str().to_owned(),
            amount: body.amount,
            idempotency,
        })
        .await
        .map_err(engine_error);
    let label = match &outcome {
        Ok(p) if p.replayed => "replayed",
        Ok(_) => "accepted",
        Err(e) => e.code().as_str(),
    };
    state.metrics.auction_bids.with_label_values(&[label]).inc();
    let placed = outcome?;
    let visibility = placed.visibility;
    let answer = AuctionBidPlaced {
        bid_id: placed.bid_id,
        seq: placed.seq,
        amount: placed.accepted.amount,
        rank: visibility.shows_rank().then_some(placed.accepted.rank),
        best_price: visibility.shows_best().then_some(placed.accepted.best),
        ends_at: placed.accepted.ends_at,
        server_time: state.clock.now(),
    };
    let mut response = HttpResponse::Created();
    if placed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(answer))
}

/// The `Idempotency-Key` header, when sent: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let invalid = || ApiError::Rejected {
        code: Code::InvalidIdempotencyKey,
        detail: format!(
            "an Idempotency-Key has 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
        ),
        fields: Default::default(),
    };
    let key = value.to_str().map_err(|_| invalid())?;
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid());
    }
    Ok(Some(key.to_owned()))
}
