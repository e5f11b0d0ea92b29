//! Reverse auctions in SQL, the system of record: scheduling (tender → auction), every
//! accepted auction bid (written once, by its sequence number), and the close, which
//! records the final prices and ranks that the award reads.

use crate::domain::code::Code;
use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ocds::Event;

use super::entities::{auction, auction_bid, auction_participant};
use super::tenders::{self, TenderError};
use crate::domain::auction::{Accepted, Auction};
use crate::domain::auction_settings::{AuctionSettings, SettingsRequest, merge};
use crate::domain::audit::Actor;
use crate::domain::money::Money;
use crate::domain::tender::{Phase, Procedure, Status};
use crate::domain::validation::ValidationErrors;

/// The fewest qualified bids an auction needs.
pub const MIN_PARTICIPANTS: usize = 2;

pub const SCHEDULED: &str = "scheduled";
pub const CLOSED: &str = "closed";

/// An auction as stored: its row, settings and participants (in position order), and its
/// accepted bids (in sequence order).
#[derive(Debug, Clone)]
pub struct AuctionRecord {
    pub auction: auction::Model,
    pub settings: AuctionSettings,
    pub participants: Vec<auction_participant::Model>,
    pub bids: Vec<auction_bid::Model>,
    pub agency: String,
}

impl AuctionRecord {
    pub fn ceiling(&self) -> Money {
        Money::from_centavos(self.auction.ceiling_centavos).unwrap_or_default()
    }

    pub fn is_closed(&self) -> bool {
        self.auction.status == CLOSED
    }

    /// The domain state: the rules, the participants at their sealed totals, and every
    /// accepted bid replayed in order. A closed auction ends when its close recorded (its
    /// tender's cancellation may have brought the end forward).
    pub fn state(&self) -> Auction {
        let mut state = Auction::replay(
            self.settings.rules(self.ceiling()),
            self.participants
                .iter()
                .map(|p| {
                    (
                        p.rfc.clone(),
                        Money::from_centavos(p.start_centavos).unwrap_or_default(),
                    )
                })
                .collect(),
            self.bids.iter().filter_map(|b| self.accepted(b)),
        );
        if self.is_closed() {
            state.ends_at = self.auction.ends_at;
        }
        state
    }

    /// A stored bid as the domain's accepted bid.
    pub fn accepted(&self, bid: &auction_bid::Model) -> Option<Accepted> {
        let participant = self.participants.iter().position(|p| p.rfc == bid.rfc)?;
        Some(Accepted {
            participant,
            amount: Money::from_centavos(bid.amount_centavos).ok()?,
            at: bid.placed_at,
            rank: usize::try_from(bid.rank).ok()?,
            best: Money::from_centavos(bid.best_centavos).ok()?,
            ends_at: bid.ends_at,
            extended: false,
        })
    }
}

/// One accepted bid, ready to be written.
#[derive(Debug, Clone)]
pub struct NewAuctionBid {
    pub id: Uuid,
    pub auction_id: Uuid,
    pub seq: i64,
    pub rfc: String,
    pub accepted: Accepted,
    pub idempotency_key: Option<String>,
    pub request_sha256: Option<String>,
}

/// Schedules the auction of an evaluated tender with two or more qualified bids. The
/// participants are the qualified suppliers at their sealed totals (ordered by total,
/// then by when the sealed bid came in, which settles ties). The tender moves to the
/// auction phase.
#[allow(clippy::too_many_arguments)]
pub async fn schedule(
    db: &DatabaseConnection,
    tender_id: Uuid,
    agency: &str,
    request: serde_json::Value,
    time_factor: u32,
    actor: &Actor,
    now: DateTime<Utc>,
    feed: &crate::ocds::Feed,
) -> Result<AuctionRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = tenders::lock_for_update(&txn, tender_id, Some(agency)).await?;
    if record.status() != Status::Evaluated {
        return Err(TenderError::Conflict(
            Code::NotAuctionable,
            format!(
                "tender {tender_id} is {}; an auction follows the evaluation",
                record.tender.status
            ),
        ));
    }
    let mut qualified: Vec<_> = tenders::bids(&txn, tender_id)
        .await?
        .into_iter()
        .filter(|b| b.status == "live" && b.qualified == Some(true))
        .filter_map(|b| Some((b.total_centavos?, b.received_at, b)))
        .collect();
    if qualified.len() < MIN_PARTICIPANTS {
        return Err(TenderError::Conflict(
            Code::TooFewQualified,
            format!(
                "an auction needs at least {MIN_PARTICIPANTS} qualified bids; tender {tender_id} has {}",
                qualified.len()
            ),
        ));
    }
    qualified.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let planned = record
        .tender
        .auction_settings
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let merged = merge(planned.as_ref(), request);
    let parsed: SettingsRequest = serde_json::from_value(merged).map_err(|e| {
        let mut errors = ValidationErrors::new();
        errors.push("auction", Code::InvalidAuctionSettings, e.to_string());
        TenderError::Invalid(errors)
    })?;
    let settings =
        AuctionSettings::parse(parsed, now, time_factor).map_err(TenderError::Invalid)?;
    let ceiling = ceiling(&txn, &record).await?;
    let rules = settings.rules(ceiling);
    let ends_at = crate::domain::auction::scheduled_end(&rules, qualified.len());
    let id = Uuid::now_v7();
    let model = auction::ActiveModel {
        id: Set(id),
        tender_id: Set(tender_id),
        settings: Set(serde_json::to_string(&settings).context("writing the settings")?),
        ceiling_centavos: Set(ceiling.centavos()),
        starts_at: Set(settings.starts_at),
        ends_at: Set(ends_at),
        status: Set(SCHEDULED.to_owned()),
        created_by: Set(actor.sub.clone()),
        created_at: Set(now),
        closed_at: Set(None),
    }
    .insert(&txn)
    .await
    .context("inserting the auction")?;
    let participants: Vec<auction_participant::Model> = qualified
        .iter()
        .enumerate()
        .map(|(i, (total, _, bid))| auction_participant::Model {
            auction_id: id,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            // Opened bids carry their RFC in clear.
            rfc: bid.rfc.clone().unwrap_or_default(),
            bid_id: bid.id,
            start_centavos: *total,
            final_centavos: None,
            final_rank: None,
        })
        .collect();
    auction_participant::Entity::insert_many(
        participants
            .iter()
            .cloned()
            .map(auction_participant::ActiveModel::from),
    )
    .exec(&txn)
    .await
    .context("inserting the participants")?;
    tenders::set_status_of(&txn, &record, Status::Auction, now).await?;
    tenders::record_event(
        &txn,
        now,
        actor,
        "tender.auction_scheduled",
        tender_id,
        json!({
            "from": Phase::Evaluation,
            "to": Phase::Auction,
            "auction_id": id.to_string(),
            "settings": settings,
            "ceiling": ceiling.to_string(),
            "participants": participants.len(),
        }),
    )
    .await?;
    super::releases::publish(&txn, feed, tender_id, Event::AuctionScheduled, now).await?;
    txn.commit().await.context("committing the auction")?;
    Ok(AuctionRecord {
        auction: model,
        settings,
        participants,
        bids: Vec::new(),
        agency: record.tender.agency,
    })
}

/// The ceiling: the reference value, and under a framework order never above the
/// framework's fixed prices.
async fn ceiling(
    conn: &impl ConnectionTrait,
    record: &tenders::TenderRecord,
) -> Result<Money, TenderError> {
    let reference = Money::from_centavos(record.tender.reference_centavos).unwrap_or_default();
    let (Procedure::FrameworkOrder, Some(fid)) =
        (record.procedure(), record.tender.framework_contract_id)
    else {
        return Ok(reference);
    };
    let Some(framework) = super::frameworks::get(conn, fid).await? else {
        return Ok(reference);
    };
    let chains = super::frameworks::item_ancestors(conn, record).await?;
    let capped =
        crate::domain::framework::ceiling(&framework.for_rules(), &record.domain_items(), &chains)
            .context("the framework ceiling does not fit in an amount")?;
    Ok(reference.min(capped))
}

async fn complete(
    conn: &impl ConnectionTrait,
    model: auction::Model,
) -> anyhow::Result<AuctionRecord> {
    let settings: AuctionSettings =
        serde_json::from_str(&model.settings).context("reading the auction settings")?;
    let participants = auction_participant::Entity::find()
        .filter(auction_participant::Column::AuctionId.eq(model.id))
        .order_by_asc(auction_participant::Column::Position)
        .all(conn)
        .await
        .context("reading the participants")?;
    let bids = auction_bid::Entity::find()
        .filter(auction_bid::Column::AuctionId.eq(model.id))
        .order_by_asc(auction_bid::Column::Seq)
        .all(conn)
        .await
        .context("reading the auction bids")?;
    let agency = super::entities::tender::Entity::find_by_id(model.tender_id)
        .one(conn)
        .await
        .context("reading the auction's tender")?
        .map(|t| t.agency)
        .unwrap_or_default();
    Ok(AuctionRecord {
        auction: model,
        settings,
        participants,
        bids,
        agency,
    })
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<Option<AuctionRecord>> {
    match auction::Entity::find_by_id(id)
        .one(conn)
        .await
        .context("reading an auction")?
    {
        Some(model) => Ok(Some(complete(conn, model).await?)),
        None => Ok(None),
    }
}

/// The id of a tender's auction, if one was scheduled.
pub async fn id_of_tender(
    conn: &impl ConnectionTrait,
    tender_id: Uuid,
) -> anyhow::Result<Option<Uuid>> {
    auction::Entity::find()
        .select_only()
        .column(auction::Column::Id)
        .filter(auction::Column::TenderId.eq(tender_id))
        .into_tuple()
        .one(conn)
        .await
        .context("finding a tender's auction")
}

pub async fn of_tender(
    conn: &impl ConnectionTrait,
    tender_id: Uuid,
) -> anyhow::Result<Option<AuctionRecord>> {
    match auction::Entity::find()
        .filter(auction::Column::TenderId.eq(tender_id))
        .one(conn)
        .await
        .context("reading a tender's auction")?
    {
        Some(model) => Ok(Some(complete(conn, model).await?)),
        None => Ok(None),
    }
}

/// Whether the auction is still open in SQL, holding its row against a concurrent close
/// until the transaction ends (the in-process engine writes a bid only into an open
/// auction: a cancellation's close and a bid are serialised here).
pub async fn lock_if_open(txn: &sea_orm::DatabaseTransaction, id: Uuid) -> anyhow::Result<bool> {
    Ok(auction::Entity::find_by_id(id)
        .lock_shared()
        .one(txn)
        .await
        .context("locking the auction")?
        .is_some_and(|a| a.status != CLOSED))
}

/// Writes an accepted bid. Writing the same bid again is a no-op, so a persister may
/// retry freely; returns whether a row was written.
pub async fn insert_bid(conn: &impl ConnectionTrait, bid: &NewAuctionBid) -> anyhow::Result<bool> {
    Ok(insert_bids(conn, std::slice::from_ref(bid)).await? > 0)
}

/// The most rows one INSERT carries (11 bind parameters each: well inside PostgreSQL's
/// 65,535 and SQLite's 32,766).
const ROWS_PER_INSERT: usize = 1_000;

/// Writes accepted bids (of one auction or of many) in as few statements as the rows
/// allow; those already there are skipped. An auction whose bids moved its end (soft
/// close) gets its latest end. Returns how many rows were written. Run it inside a
/// transaction to write the whole batch at once.
pub async fn insert_bids(
    conn: &impl ConnectionTrait,
    bids: &[NewAuctionBid],
) -> anyhow::Result<u64> {
    let mut written = 0;
    for chunk in bids.chunks(ROWS_PER_INSERT) {
        written +=
            auction_bid::Entity::insert_many(chunk.iter().map(|bid| auction_bid::ActiveModel {
                id: Set(bid.id),
                auction_id: Set(bid.auction_id),
                seq: Set(bid.seq),
                rfc: Set(bid.rfc.clone()),
                amount_centavos: Set(bid.accepted.amount.centavos()),
                placed_at: Set(bid.accepted.at),
                rank: Set(i32::try_from(bid.accepted.rank).unwrap_or(i32::MAX)),
                best_centavos: Set(bid.accepted.best.centavos()),
                ends_at: Set(bid.accepted.ends_at),
                idempotency_key: Set(bid.idempotency_key.clone()),
                request_sha256: Set(bid.request_sha256.clone()),
            }))
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(conn)
            .await
            .context("writing auction bids")?;
    }
    let mut ends: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for bid in bids.iter().filter(|b| b.accepted.extended) {
        let end = ends.entry(bid.auction_id).or_insert(bid.accepted.ends_at);
        *end = (*end).max(bid.accepted.ends_at);
    }
    for (auction_id, end) in ends {
        auction::Entity::update_many()
            .col_expr(
                auction::Column::EndsAt,
                sea_orm::sea_query::Expr::value(end),
            )
            .filter(auction::Column::Id.eq(auction_id))
            .filter(auction::Column::Status.eq(SCHEDULED))
            .filter(auction::Column::EndsAt.lt(end))
            .exec(conn)
            .await
            .context("moving the auction's end")?;
    }
    Ok(written)
}

/// Auctions still open in SQL whose (last known) end has passed.
pub async fn due(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<Vec<Uuid>> {
    auction::Entity::find()
        .select_only()
        .column(auction::Column::Id)
        .filter(auction::Column::Status.eq(SCHEDULED))
        .filter(auction::Column::EndsAt.lte(now))
        .into_tuple()
        .all(conn)
        .await
        .context("finding auctions due to close")
}

/// How many auctions have started and not closed.
pub async fn open_count(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<u64> {
    use sea_orm::PaginatorTrait;
    auction::Entity::find()
        .filter(auction::Column::Status.eq(SCHEDULED))
        .filter(auction::Column::StartsAt.lte(now))
        .count(conn)
        .await
        .context("counting open auctions")
}

/// SHA-256 over the accepted bids in order: the close's audit event carries it, so that
/// a rewritten auction bid is detectable through the audit chain.
pub fn bids_digest(bids: &[auction_bid::Model]) -> String {
    let mut hasher = Sha256::new();
    for b in bids {
        hasher.update(
            format!(
                "{}|{}|{}|{}\n",
                b.seq,
                b.rfc,
                b.amount_centavos,
                b.placed_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            )
            .as_bytes(),
        );
    }
    hex::encode(hasher.finalize())
}

/// Closes an auction whose end has passed: records each participant's final price and
/// rank and the final end, and writes the audit event, all in one transaction. The caller
/// first makes sure every accepted bid is in SQL. Closing twice is a no-op (returns
/// `false`).
pub async fn close(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    if !close_in(&txn, id, now, When::Due).await? {
        return Ok(false);
    }
    txn.commit().await.context("committing the close")?;
    Ok(true)
}

/// When [`close_in`] closes an auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Only once its end has passed.
    Due,
    /// Now, its end brought forward: its tender was cancelled.
    Cancelled,
}

/// Closes an auction inside the caller's transaction (see [`close`]).
pub async fn close_in(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
    now: DateTime<Utc>,
    when: When,
) -> Result<bool, TenderError> {
    let Some(model) = auction::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the auction")?
    else {
        return Ok(false);
    };
    if model.status == CLOSED {
        return Ok(false);
    }
    let tender = tenders::lock_for_update(txn, model.tender_id, None).await?;
    let record = complete(txn, model).await?;
    let mut state = record.state();
    if when == When::Cancelled && state.ends_at > now {
        state.ends_at = now;
    }
    if !state.is_closed(now) {
        return Ok(false);
    }
    let prices = state.prices();
    let ladder = state.ladder();
    for (position, participant) in record.participants.iter().enumerate() {
        let rank = ladder
            .iter()
            .position(|p| *p == position)
            .map_or(0, |r| r + 1);
        auction_participant::Entity::update_many()
            .col_expr(
                auction_participant::Column::FinalCentavos,
                sea_orm::sea_query::Expr::value(prices[position].centavos()),
            )
            .col_expr(
                auction_participant::Column::FinalRank,
                sea_orm::sea_query::Expr::value(i32::try_from(rank).unwrap_or(i32::MAX)),
            )
            .filter(auction_participant::Column::AuctionId.eq(id))
            .filter(auction_participant::Column::Position.eq(participant.position))
            .exec(txn)
            .await
            .context("recording a final price")?;
    }
    let mut active: auction::ActiveModel = record.auction.clone().into();
    active.status = Set(CLOSED.to_owned());
    active.ends_at = Set(state.ends_at);
    active.closed_at = Set(Some(now));
    active.update(txn).await.context("closing the auction")?;
    tenders::record_event(
        txn,
        now,
        &Actor::system(),
        "tender.auction_closed",
        tender.tender.id,
        json!({
            "auction_id": id.to_string(),
            "cause": match when { When::Due => "ended", When::Cancelled => "tender_cancelled" },
            "ended_at": state.ends_at,
            "bids": record.bids.len(),
            "bids_sha256": bids_digest(&record.bids),
            "ladder": ladder.iter().map(|p| json!({
                "rfc": record.participants[*p].rfc,
                "price": prices[*p].to_string(),
            })).collect::<Vec<_>>(),
        }),
    )
    .await?;
    tracing::info!(auction_id = %id, bids = record.bids.len(), ?when, "auction closed");
    Ok(true)
}
