//! The auction repository, SQL being the system of record: the scheduled auction and its
//! participants, every accepted auction bid (written once, by its sequence number), and the
//! final prices and ranks the close records and the award reads.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entities::{AuctionStatus, auction, auction_bid, auction_participant, auction_pause};
use crate::domain::auction::{Accepted, Auction};
use crate::domain::auction_settings::AuctionSettings;
use crate::domain::ids::{AuctionId, TenderId};
use crate::domain::money::Money;

/// The digest of an auction's bids is over these rows, in sequence order.
/// An auction as stored: its row, settings and participants (in position order), and its
/// accepted bids (in sequence order).
#[derive(Debug, Clone)]
pub struct AuctionRecord {
    pub auction: auction::Model,
    pub settings: AuctionSettings,
    pub participants: Vec<auction_participant::Model>,
    pub bids: Vec<auction_bid::Model>,
    /// Its pauses while its tender was suspended, in time order (the last may last still).
    pub pauses: Vec<auction_pause::Model>,
    pub agency: String,
}

impl AuctionRecord {
    pub fn id(&self) -> AuctionId {
        AuctionId::from_uuid(self.auction.id)
    }

    pub fn tender_id(&self) -> TenderId {
        TenderId::from_uuid(self.auction.tender_id)
    }

    pub fn ceiling(&self) -> Money {
        Money::from_centavos(self.auction.ceiling_centavos).unwrap_or_default()
    }

    pub fn is_closed(&self) -> bool {
        self.auction.status == AuctionStatus::Closed
    }

    /// The domain state: the rules, the participants at their sealed totals, and every
    /// accepted bid replayed in order with the pauses between them. A closed auction ends
    /// when its close recorded (its tender's cancellation may have brought the end forward).
    pub fn state(&self) -> Auction {
        let mut state = self.replay(self.bids.iter().filter_map(|b| self.accepted(b)));
        if self.is_closed() {
            state.ends_at = self.auction.ends_at;
        }
        state
    }

    /// The auction from its sealed totals through `bids` (accepted, in order, each at the
    /// time it was placed), with each of its pauses applied where it fell among them: a
    /// resumption moves what came before it forward, as it did live.
    pub fn replay(&self, bids: impl IntoIterator<Item = Accepted>) -> Auction {
        let mut state = Auction::new(
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
        );
        let mut pauses = self.pauses.iter().peekable();
        let pause = |state: &mut Auction, p: &auction_pause::Model| {
            state.pause(p.paused_at);
            if let Some(resumed) = p.resumed_at {
                state.resume(resumed);
            }
        };
        for bid in bids {
            while let Some(p) = pauses.next_if(|p| p.paused_at < bid.at) {
                pause(&mut state, p);
            }
            state.apply(bid);
        }
        for p in pauses {
            pause(&mut state, p);
        }
        state
    }

    /// Since when the auction is paused, if it is.
    pub fn paused_since(&self) -> Option<DateTime<Utc>> {
        self.pauses
            .last()
            .filter(|p| p.resumed_at.is_none())
            .map(|p| p.paused_at)
    }

    /// How many times it was paused or resumed: an engine holding an earlier count holds
    /// stale times.
    pub fn pause_events(&self) -> usize {
        self.pauses.len()
            + self
                .pauses
                .iter()
                .filter(|p| p.resumed_at.is_some())
                .count()
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

/// A scheduled auction, ready to be written with its participants.
#[derive(Debug, Clone)]
pub struct NewAuction {
    pub id: AuctionId,
    pub tender: TenderId,
    pub lot: u32,
    pub settings: AuctionSettings,
    pub ceiling: Money,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub participants: Vec<auction_participant::Model>,
}

/// Writes a scheduled auction and its participants.
pub async fn insert(
    txn: &DatabaseTransaction,
    new: NewAuction,
    now: DateTime<Utc>,
) -> anyhow::Result<AuctionRecord> {
    let model = auction::ActiveModel {
        id: Set(new.id.uuid()),
        tender_id: Set(new.tender.uuid()),
        settings: Set(serde_json::to_string(&new.settings).context("writing the settings")?),
        ceiling_centavos: Set(new.ceiling.centavos()),
        starts_at: Set(new.settings.starts_at),
        ends_at: Set(new.ends_at),
        status: Set(AuctionStatus::Scheduled),
        created_by: Set(new.created_by),
        created_at: Set(now),
        closed_at: Set(None),
        lot: Set(i32::try_from(new.lot).unwrap_or(i32::MAX)),
    }
    .insert(txn)
    .await
    .context("inserting the auction")?;
    auction_participant::Entity::insert_many(
        new.participants
            .iter()
            .cloned()
            .map(auction_participant::ActiveModel::from),
    )
    .exec(txn)
    .await
    .context("inserting the participants")?;
    let agency = super::entities::tender::Entity::find_by_id(new.tender.uuid())
        .one(txn)
        .await
        .context("reading the auction's tender")?
        .map(|t| t.agency)
        .unwrap_or_default();
    Ok(AuctionRecord {
        auction: model,
        settings: new.settings,
        participants: new.participants,
        bids: Vec::new(),
        pauses: Vec::new(),
        agency,
    })
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
    let pauses = auction_pause::Entity::find()
        .filter(auction_pause::Column::AuctionId.eq(model.id))
        .order_by_asc(auction_pause::Column::PausedAt)
        .all(conn)
        .await
        .context("reading the auction's pauses")?;
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
        pauses,
        agency,
    })
}

pub async fn get(
    conn: &impl ConnectionTrait,
    id: AuctionId,
) -> anyhow::Result<Option<AuctionRecord>> {
    match auction::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading an auction")?
    {
        Some(model) => Ok(Some(complete(conn, model).await?)),
        None => Ok(None),
    }
}

/// The id of a lot's auction, if one was scheduled.
pub async fn id_of_lot(
    conn: &impl ConnectionTrait,
    tender_id: TenderId,
    lot: u32,
) -> anyhow::Result<Option<AuctionId>> {
    Ok(auction::Entity::find()
        .select_only()
        .column(auction::Column::Id)
        .filter(auction::Column::TenderId.eq(tender_id.uuid()))
        .filter(auction::Column::Lot.eq(i32::try_from(lot).unwrap_or(i32::MAX)))
        .into_tuple::<Uuid>()
        .one(conn)
        .await
        .context("finding a lot's auction")?
        .map(AuctionId::from_uuid))
}

/// A lot's auction, if one was scheduled.
pub async fn of_lot(
    conn: &impl ConnectionTrait,
    tender_id: TenderId,
    lot: u32,
) -> anyhow::Result<Option<AuctionRecord>> {
    match auction::Entity::find()
        .filter(auction::Column::TenderId.eq(tender_id.uuid()))
        .filter(auction::Column::Lot.eq(i32::try_from(lot).unwrap_or(i32::MAX)))
        .one(conn)
        .await
        .context("reading a lot's auction")?
    {
        Some(model) => Ok(Some(complete(conn, model).await?)),
        None => Ok(None),
    }
}

/// A tender's auctions with their participants (no bids), in lot order, in two queries
/// however many lots: what its public record shows of them.
pub async fn outcomes_of_tender(
    conn: &impl ConnectionTrait,
    tender_id: TenderId,
) -> anyhow::Result<
    Vec<(
        auction::Model,
        AuctionSettings,
        Vec<auction_participant::Model>,
    )>,
> {
    let models = auction::Entity::find()
        .filter(auction::Column::TenderId.eq(tender_id.uuid()))
        .order_by_asc(auction::Column::Lot)
        .all(conn)
        .await
        .context("reading a tender's auctions")?;
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let mut participants: HashMap<Uuid, Vec<auction_participant::Model>> = HashMap::new();
    for p in auction_participant::Entity::find()
        .filter(auction_participant::Column::AuctionId.is_in(models.iter().map(|m| m.id)))
        .order_by_asc(auction_participant::Column::AuctionId)
        .order_by_asc(auction_participant::Column::Position)
        .all(conn)
        .await
        .context("reading the auctions' participants")?
    {
        participants.entry(p.auction_id).or_default().push(p);
    }
    models
        .into_iter()
        .map(|m| {
            let settings: AuctionSettings =
                serde_json::from_str(&m.settings).context("reading the auction settings")?;
            let of = participants.remove(&m.id).unwrap_or_default();
            Ok((m, settings, of))
        })
        .collect()
}

/// The ids of a tender's auctions not closed yet, in lot order.
pub async fn open_of_tender(
    conn: &impl ConnectionTrait,
    tender_id: TenderId,
) -> anyhow::Result<Vec<AuctionId>> {
    Ok(auction::Entity::find()
        .select_only()
        .column(auction::Column::Id)
        .filter(auction::Column::TenderId.eq(tender_id.uuid()))
        .filter(auction::Column::Status.ne(AuctionStatus::Closed))
        .order_by_asc(auction::Column::Lot)
        .into_tuple::<Uuid>()
        .all(conn)
        .await
        .context("finding a tender's open auctions")?
        .into_iter()
        .map(AuctionId::from_uuid)
        .collect())
}

/// The tender an auction is run for.
pub async fn tender_of(
    conn: &impl ConnectionTrait,
    id: AuctionId,
) -> anyhow::Result<Option<TenderId>> {
    Ok(auction::Entity::find_by_id(id.uuid())
        .select_only()
        .column(auction::Column::TenderId)
        .into_tuple::<Uuid>()
        .one(conn)
        .await
        .context("reading the auction's tender")?
        .map(TenderId::from_uuid))
}

/// Whether the auction is still open in SQL, holding its row against a concurrent close
/// until the transaction ends (the in-process engine writes a bid only into an open
/// auction: a cancellation's close and a bid are serialised here).
pub async fn lock_if_open(txn: &DatabaseTransaction, id: AuctionId) -> anyhow::Result<bool> {
    Ok(auction::Entity::find_by_id(id.uuid())
        .lock_shared()
        .one(txn)
        .await
        .context("locking the auction")?
        .is_some_and(|a| a.status != AuctionStatus::Closed))
}

/// Of `ids`, the auctions that are not closed, locked against a close (`FOR SHARE` on
/// PostgreSQL) until the transaction ends.
pub async fn lock_open_among(
    txn: &DatabaseTransaction,
    ids: &[Uuid],
) -> anyhow::Result<std::collections::HashSet<Uuid>> {
    Ok(auction::Entity::find()
        .filter(auction::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(auction::Column::Id)
        .lock_shared()
        .all(txn)
        .await
        .context("locking the auctions")?
        .into_iter()
        .filter(|a| a.status != AuctionStatus::Closed)
        .map(|a| a.id)
        .collect())
}

/// Whether the auction bid `id` is stored.
pub async fn has_bid(conn: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<bool> {
    Ok(auction_bid::Entity::find_by_id(id)
        .one(conn)
        .await
        .context("reading an auction bid")?
        .is_some())
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
            .filter(auction::Column::Status.eq(AuctionStatus::Scheduled))
            .filter(auction::Column::EndsAt.lt(end))
            .exec(conn)
            .await
            .context("moving the auction's end")?;
    }
    Ok(written)
}

/// Pauses an open auction at `at`, for `complaint`'s suspension of its tender.
pub async fn pause(
    txn: &DatabaseTransaction,
    id: AuctionId,
    complaint: Uuid,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    auction_pause::ActiveModel {
        id: Set(Uuid::now_v7()),
        auction_id: Set(id.uuid()),
        complaint_id: Set(Some(complaint)),
        paused_at: Set(at),
        resumed_at: Set(None),
    }
    .insert(txn)
    .await
    .context("pausing the auction")?;
    Ok(())
}

/// Ends the auction's pause at `at`, with the start and end the resumption moved it to.
pub async fn resume(
    txn: &DatabaseTransaction,
    record: &AuctionRecord,
    at: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    auction_pause::Entity::update_many()
        .col_expr(
            auction_pause::Column::ResumedAt,
            sea_orm::sea_query::Expr::value(Some(at)),
        )
        .filter(auction_pause::Column::AuctionId.eq(record.auction.id))
        .filter(auction_pause::Column::ResumedAt.is_null())
        .exec(txn)
        .await
        .context("ending the auction's pause")?;
    let mut active: auction::ActiveModel = record.auction.clone().into();
    active.starts_at = Set(starts_at);
    active.ends_at = Set(ends_at);
    active
        .update(txn)
        .await
        .context("moving the auction's times")?;
    Ok(())
}

/// How many times the auction was paused or resumed (as
/// [`AuctionRecord::pause_events`] counts), without reading the rest of it.
pub async fn pause_events(conn: &impl ConnectionTrait, id: AuctionId) -> anyhow::Result<u64> {
    use sea_orm::PaginatorTrait;
    let of =
        || auction_pause::Entity::find().filter(auction_pause::Column::AuctionId.eq(id.uuid()));
    let paused = of()
        .count(conn)
        .await
        .context("counting the auction's pauses")?;
    let resumed = of()
        .filter(auction_pause::Column::ResumedAt.is_not_null())
        .count(conn)
        .await
        .context("counting the auction's resumptions")?;
    Ok(paused + resumed)
}

/// Auctions still open in SQL, and not paused, whose (last known) end has passed.
pub async fn due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<AuctionId>> {
    Ok(auction::Entity::find()
        .select_only()
        .column(auction::Column::Id)
        .filter(auction::Column::Status.eq(AuctionStatus::Scheduled))
        .filter(auction::Column::EndsAt.lte(now))
        .filter(
            auction::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(auction_pause::Column::AuctionId)
                    .from(auction_pause::Entity)
                    .and_where(auction_pause::Column::ResumedAt.is_null())
                    .to_owned(),
            ),
        )
        .into_tuple::<Uuid>()
        .all(conn)
        .await
        .context("finding auctions due to close")?
        .into_iter()
        .map(AuctionId::from_uuid)
        .collect())
}

/// How many auctions have started and not closed.
pub async fn open_count(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<u64> {
    use sea_orm::PaginatorTrait;
    auction::Entity::find()
        .filter(auction::Column::Status.eq(AuctionStatus::Scheduled))
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

/// Locks an auction's row until the transaction ends, and reads it whole.
pub async fn lock(
    txn: &DatabaseTransaction,
    id: AuctionId,
) -> anyhow::Result<Option<AuctionRecord>> {
    match auction::Entity::find_by_id(id.uuid())
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the auction")?
    {
        Some(model) => Ok(Some(complete(txn, model).await?)),
        None => Ok(None),
    }
}

/// One participant's outcome: its final price and rank (1 the best; 0 unranked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Final {
    pub position: i32,
    pub price: Money,
    pub rank: usize,
}

/// Records the close: each participant's final price and rank, the final end.
pub async fn record_close(
    txn: &DatabaseTransaction,
    record: &AuctionRecord,
    finals: &[Final],
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for f in finals {
        auction_participant::Entity::update_many()
            .col_expr(
                auction_participant::Column::FinalCentavos,
                sea_orm::sea_query::Expr::value(f.price.centavos()),
            )
            .col_expr(
                auction_participant::Column::FinalRank,
                sea_orm::sea_query::Expr::value(i32::try_from(f.rank).unwrap_or(i32::MAX)),
            )
            .filter(auction_participant::Column::AuctionId.eq(record.auction.id))
            .filter(auction_participant::Column::Position.eq(f.position))
            .exec(txn)
            .await
            .context("recording a final price")?;
    }
    let mut active: auction::ActiveModel = record.auction.clone().into();
    active.status = Set(AuctionStatus::Closed);
    active.ends_at = Set(ends_at);
    active.closed_at = Set(Some(now));
    active.update(txn).await.context("closing the auction")?;
    Ok(())
}
