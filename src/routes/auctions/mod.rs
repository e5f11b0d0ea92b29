//! Reverse auctions: scheduling (officers), bidding (participants), the per-role view and
//! its live Server-Sent Events.

mod events;
mod place;
mod read;
mod schedule;

pub use events::*;
pub use place::*;
pub use read::*;
pub use schedule::*;

use actix_web::web;
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::auth::{Identity, Role};
use crate::domain::auction_settings::{AuctionSettings, FormatName};
use crate::domain::money::Money;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::tender::Status;
use crate::engine::{EngineError, Snapshot, Then};
use crate::error::{ApiError, Code};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    // The bid route first: routes are tried in order, and it takes one request per bid.
    cfg.service(resource("/api/v1/auctions/{id}/bids").route(web::post().to(place_bid)))
        .service(resource("/api/v1/auctions/{id}").route(web::get().to(get_auction)))
        .service(resource("/api/v1/auctions/{id}/events").route(web::get().to(auction_events)))
        .service(resource("/api/v1/tenders/{id}/auction").route(web::post().to(schedule_auction)))
        .service(
            resource("/api/v1/tenders/{id}/lots/{lot}/auction")
                .route(web::post().to(schedule_lot_auction)),
        );
}

/// Where an auction stands at the moment of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuctionStatus {
    /// Not started yet.
    Scheduled,
    Open,
    /// Stopped while an admitted complaint suspends its tender: no bid is accepted and its
    /// clock stands still; it resumes with the time it had left (`time_left_s`).
    Paused,
    /// Ended; final prices recorded.
    Closed,
}

/// Whose turn it is (rounds).
#[derive(Debug, Serialize, ToSchema)]
pub struct TurnView {
    /// 1-based.
    #[schema(minimum = 1)]
    pub round: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// For a supplier: whether the turn is its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yours: Option<bool>,
    /// For officers and auditors: who holds the turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc: Option<String>,
}

/// A participant's own standing.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnView {
    /// Its current price (its last bid, or its sealed total).
    #[schema(value_type = String, example = "1180000.00")]
    pub price: Money,
    /// 1 = best; shown when the visibility includes the rank.
    #[schema(minimum = 1)]
    pub rank: Option<usize>,
    /// The best price (never who holds it); shown when the visibility includes it.
    #[schema(value_type = Option<String>)]
    pub best_price: Option<Money>,
    /// The highest amount a bid of its own would be accepted with now: its price minus the
    /// least decrement, within the ceiling and, when it must beat the best price, under it.
    /// `null` when no bid of its own would be accepted now (not started, ended, not its
    /// turn), and in a `must_beat_best` auction whose visibility hides the best price.
    #[schema(value_type = Option<String>)]
    pub max_next_bid: Option<Money>,
    pub bids: Vec<OwnBid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnBid {
    pub bid_id: Uuid,
    #[schema(value_type = String)]
    pub amount: Money,
    pub placed_at: DateTime<Utc>,
}

/// A rung of the ladder (officers and auditors).
#[derive(Debug, Serialize, ToSchema)]
pub struct Rung {
    /// 1 = best.
    #[schema(minimum = 1)]
    pub rank: usize,
    pub rfc: String,
    #[schema(value_type = String)]
    pub price: Money,
    #[schema(value_type = String)]
    pub sealed_total: Money,
    pub bids: usize,
}

/// An accepted auction bid. Officers and auditors see who bid; the public, after the
/// award, sees an anonymous label (`P1`, `P2`… by position, fixed at scheduling).
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryBid {
    pub seq: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bid_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    #[schema(value_type = String)]
    pub amount: Money,
    pub placed_at: DateTime<Utc>,
    /// The bidder's rank right after the bid (1 = best).
    #[schema(minimum = 1)]
    pub rank: usize,
}

/// An auction as the caller's role may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuctionView {
    pub id: Uuid,
    pub tender_id: Uuid,
    /// The lot it is run for (1-based).
    pub lot: i32,
    pub format: FormatName,
    pub status: AuctionStatus,
    pub settings: AuctionSettings,
    /// The least decrement as it was sent: `{"amount": "100.00"}` or `{"percent": "0.5"}`
    /// (`settings` holds it as `decrement_amount` or `decrement_bp`).
    pub decrement: crate::domain::auction_settings::DecrementRequest,
    /// No bid above it: the reference value (or the framework price).
    #[schema(value_type = String)]
    pub ceiling: Money,
    pub starts_at: DateTime<Utc>,
    /// The end now (it moves with soft close).
    pub ends_at: DateTime<Utc>,
    pub extensions: u32,
    pub participants: usize,
    /// How many accepted bids the caller may know of (0 before any): every bid for officers
    /// and auditors; for a participant its own and the others' once revealed. SSE event ids.
    pub last_seq: i64,
    pub turn: Option<TurnView>,
    /// The service's time when it answered.
    pub server_time: DateTime<Utc>,
    /// Seconds until the end (0 once ended); while paused, the seconds it had left when
    /// it paused (from its start, if it had not started), which it keeps on resumption.
    pub time_left_s: i64,
    /// While paused: since when (its tender's suspension). On resumption its start, end
    /// and turns move forward by the pause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<DateTime<Utc>>,
    /// A participant's own standing (suppliers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub you: Option<OwnView>,
    /// Officers and auditors: every participant from the best price down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ladder: Option<Vec<Rung>>,
    /// Officers and auditors: every bid; the public after the award: anonymised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryBid>>,
}

/// Who is looking.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// An officer of the tender's agency, or an auditor.
    Staff,
    /// A participant, by position.
    Participant(usize),
    /// Anyone else, after the award.
    Public,
}

/// The status of the auction's lot, as a one-lot tender's would be (its history is
/// public once the lot is awarded).
pub fn lot_status(
    tender: &crate::persistence::tenders::TenderRecord,
    snapshot: &Snapshot,
) -> Status {
    let lot = u32::try_from(snapshot.record.auction.lot).unwrap_or(0);
    crate::domain::lot::as_tender(tender.status(), tender.lot_status(lot))
}

/// Decides who the caller is for this auction, refusing those who may see nothing.
pub fn viewer(
    identity: Option<&Identity>,
    snapshot: &Snapshot,
    tender_status: Status,
) -> Result<Viewer, ApiError> {
    let awarded = matches!(tender_status, Status::Awarded | Status::Contracted);
    match identity {
        Some(id) if id.role == Role::Auditor => return Ok(Viewer::Staff),
        Some(id) if id.role == Role::Officer => {
            if id
                .agency
                .as_ref()
                .is_some_and(|a| a.as_str() == snapshot.record.agency)
            {
                return Ok(Viewer::Staff);
            }
            if !awarded {
                return Err(ApiError::NotYourAgency(format!(
                    "this auction belongs to agency {}",
                    snapshot.record.agency
                )));
            }
        }
        Some(id) if id.role == Role::Supplier => {
            let rfc = Rfc::parse_with(&id.sub, CheckDigit::Override)
                .map(|r| r.as_str().to_owned())
                .unwrap_or_else(|_| id.sub.clone());
            if let Some(p) = snapshot.state.participant(&rfc) {
                return Ok(Viewer::Participant(p));
            }
            if !awarded {
                return Err(ApiError::Denied {
                    code: Code::NotAParticipant,
                    detail: "only the auction's participants see it before the award".into(),
                });
            }
        }
        _ => {}
    }
    if awarded {
        Ok(Viewer::Public)
    } else {
        Err(ApiError::Denied {
            code: Code::AuctionNotPublic,
            detail: "an auction's history is public once the tender is awarded".into(),
        })
    }
}

/// The view of `snapshot` for `viewer`.
pub fn view(snapshot: &Snapshot, viewer: &Viewer) -> AuctionView {
    let Snapshot {
        record,
        state,
        bid_ids,
        placed_at,
        now,
    } = snapshot;
    let now = *now;
    // When each bid was placed, as it happened (the state holds the times a pause since
    // moved forward).
    let placed =
        |i: usize, b: &crate::domain::auction::Accepted| placed_at.get(i).copied().unwrap_or(b.at);
    let closed = record.is_closed() || state.is_closed(now);
    let status = if closed {
        AuctionStatus::Closed
    } else if state.paused.is_some() {
        AuctionStatus::Paused
    } else if now < state.rules.starts_at {
        AuctionStatus::Scheduled
    } else {
        AuctionStatus::Open
    };
    let turn = state.turn(now).map(|t| TurnView {
        round: t.round,
        starts_at: t.starts_at,
        ends_at: t.ends_at,
        yours: match viewer {
            Viewer::Participant(p) => Some(*p == t.participant),
            _ => None,
        },
        rfc: match viewer {
            Viewer::Staff => state.participants.get(t.participant).cloned(),
            _ => None,
        },
    });
    let history = |anonymous: bool| -> Vec<HistoryBid> {
        state
            .bids
            .iter()
            .enumerate()
            .map(|(i, b)| HistoryBid {
                seq: i64::try_from(i + 1).unwrap_or(i64::MAX),
                bid_id: (!anonymous).then(|| bid_ids.get(i).copied()).flatten(),
                rfc: (!anonymous)
                    .then(|| state.participants.get(b.participant).cloned())
                    .flatten(),
                participant: anonymous.then(|| format!("P{}", b.participant + 1)),
                amount: b.amount,
                placed_at: placed(i, b),
                rank: b.rank,
            })
            .collect()
    };
    let (you, ladder, history) = match viewer {
        Viewer::Staff => {
            let prices = state.prices();
            let ladder = state
                .ladder()
                .into_iter()
                .enumerate()
                .map(|(r, p)| Rung {
                    rank: r + 1,
                    rfc: state.participants.get(p).cloned().unwrap_or_default(),
                    price: prices.get(p).copied().unwrap_or_default(),
                    sealed_total: state.start_prices.get(p).copied().unwrap_or_default(),
                    bids: state.bids.iter().filter(|b| b.participant == p).count(),
                })
                .collect();
            (None, Some(ladder), Some(history(false)))
        }
        Viewer::Participant(p) => {
            let (rank, best) = state.view_of(*p, now);
            let visibility = record.settings.visibility;
            let price = state.prices().get(*p).copied().unwrap_or_default();
            let you = OwnView {
                price,
                rank: visibility.shows_rank().then_some(rank),
                best_price: visibility.shows_best().then_some(best),
                max_next_bid: state.max_next_bid(*p, now, visibility.shows_best()),
                bids: state
                    .bids
                    .iter()
                    .zip(bid_ids)
                    .enumerate()
                    .filter(|(_, (b, _))| b.participant == *p)
                    .map(|(i, (b, id))| OwnBid {
                        bid_id: *id,
                        amount: b.amount,
                        placed_at: placed(i, b),
                    })
                    .collect(),
            };
            (Some(you), None, None)
        }
        Viewer::Public => (None, None, Some(history(true))),
    };
    // A participant counts only the bids it may know of: its own, and the others' once
    // revealed (in rounds, when their turn ends).
    let known_bids = match viewer {
        Viewer::Participant(p) => {
            let revealed_before = state.turn(now).map(|t| t.starts_at);
            state
                .bids
                .iter()
                .filter(|b| b.participant == *p || revealed_before.is_none_or(|t| b.at < t))
                .count()
        }
        _ => state.bids.len(),
    };
    AuctionView {
        id: record.auction.id,
        tender_id: record.auction.tender_id,
        lot: record.auction.lot,
        format: record.settings.format,
        status,
        settings: record.settings.clone(),
        decrement: record.settings.decrement_as_sent(),
        ceiling: state.rules.ceiling,
        starts_at: state.rules.starts_at,
        ends_at: state.ends_at,
        extensions: state.extensions,
        participants: state.participants.len(),
        last_seq: i64::try_from(known_bids).unwrap_or(i64::MAX),
        turn,
        server_time: now,
        time_left_s: if closed {
            0
        } else {
            let from = state
                .paused
                .map_or(now, |p| p.min(now).max(state.rules.starts_at));
            (state.ends_at - from).num_seconds().max(0)
        },
        paused_at: state.paused.filter(|_| !closed),
        you,
        ladder,
        history,
    }
}

/// What runs once every auction is held: the change they wait for.
pub type Commit<'a, T> = Box<dyn FnOnce() -> LocalBoxFuture<'a, Result<T, ApiError>> + 'a>;

/// Runs `commit` with every one of `auctions` held in its engine (SPEC §4): each stops
/// taking bids before `commit` runs, and then closes or is read again as `then` says; if
/// `commit` fails, they all go on as before.
pub fn hold_all<'a, T: 'a>(
    state: &'a AppState,
    auctions: &'a [crate::domain::ids::AuctionId],
    then: Then,
    commit: Commit<'a, T>,
) -> LocalBoxFuture<'a, Result<T, ApiError>> {
    Box::pin(async move {
        match auctions.split_first() {
            None => commit().await,
            Some((first, rest)) => {
                state
                    .engine
                    .hold(first.uuid(), then, async move || {
                        hold_all(state, rest, then, commit).await
                    })
                    .await
            }
        }
    })
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        engine_error(error)
    }
}

/// Maps an engine refusal to the API's.
pub fn engine_error(error: EngineError) -> ApiError {
    use crate::domain::auction::Refusal;
    let (code, detail) = match error {
        EngineError::NotFound(id) => return ApiError::not_found(format!("auction {id}")),
        EngineError::Unexpected(e) => return ApiError::from(e),
        EngineError::IdempotencyConflict => (
            Code::IdempotencyConflict,
            "this Idempotency-Key was used with another amount; use a new key for a new bid"
                .to_owned(),
        ),
        EngineError::Refused(refusal) => match refusal {
            Refusal::NotOpen => (Code::AuctionNotOpen, "the auction has not started".into()),
            Refusal::Closed => (Code::AuctionClosed, "the auction has ended".into()),
            Refusal::NotYourTurn => (
                Code::NotYourTurn,
                "in a rounds auction you bid only in your turn".into(),
            ),
            Refusal::NotAParticipant => (
                Code::NotAParticipant,
                "only suppliers with a qualified bid take part".into(),
            ),
            Refusal::DecrementTooSmall { limit } => (
                Code::DecrementTooSmall,
                format!(
                    "your bid must be at most {}",
                    Money::from_centavos(limit.max(0)).unwrap_or_default()
                ),
            ),
            Refusal::AboveCeiling { ceiling } => (
                Code::AboveCeiling,
                format!(
                    "the bid is above the auction's ceiling of {}",
                    Money::from_centavos(ceiling.max(0)).unwrap_or_default()
                ),
            ),
            // The best price is stated only where the auction's visibility shows it.
            Refusal::MustBeatBest { best: Some(best) } => (
                Code::MustBeatBest,
                format!(
                    "your bid must be below the best price, {}",
                    Money::from_centavos(best.max(0)).unwrap_or_default()
                ),
            ),
            Refusal::MustBeatBest { best: None } => (
                Code::MustBeatBest,
                "your bid must be below the best price".into(),
            ),
            Refusal::Suspended => (
                Code::TenderSuspended,
                "the auction is paused while an admitted complaint suspends its tender; it \
                 resumes with the time it had left"
                    .into(),
            ),
        },
    };
    ApiError::Rejected {
        code,
        detail,
        fields: Default::default(),
    }
}

/// The auction id of a path.
pub fn auction_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("auction {raw}")))
}
