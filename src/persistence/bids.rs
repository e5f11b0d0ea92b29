//! The sealed-bid repository. A row holds the envelope as sealed; who bid and the total
//! are written in clear only by [`reveal`], at the opening.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::entities::{BidStatus, bid};
use crate::domain::ids::{BidId, TenderId};
use crate::domain::money::Money;

/// A tender's bids, oldest first.
pub async fn of_tender(
    conn: &impl ConnectionTrait,
    id: TenderId,
) -> anyhow::Result<Vec<bid::Model>> {
    bid::Entity::find()
        .filter(bid::Column::TenderId.eq(id.uuid()))
        .order_by_asc(bid::Column::Id)
        .all(conn)
        .await
        .context("reading bids")
}

/// A tender's live bids, oldest first.
pub async fn live(conn: &impl ConnectionTrait, id: TenderId) -> anyhow::Result<Vec<bid::Model>> {
    Ok(of_tender(conn, id)
        .await?
        .into_iter()
        .filter(|b| b.status == BidStatus::Live)
        .collect())
}

/// A tender's live bids that qualified at the evaluation.
pub async fn qualified(
    conn: &impl ConnectionTrait,
    id: TenderId,
) -> anyhow::Result<Vec<bid::Model>> {
    Ok(live(conn, id)
        .await?
        .into_iter()
        .filter(|b| b.qualified == Some(true))
        .collect())
}

pub async fn get(conn: &impl ConnectionTrait, id: BidId) -> anyhow::Result<Option<bid::Model>> {
    bid::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading the bid")
}

/// A bid as sealed, ready to be written.
#[derive(Debug, Clone)]
pub struct NewBid {
    pub id: BidId,
    pub tender: TenderId,
    pub received_at: DateTime<Utc>,
    pub receipt_sha256: String,
    pub sealed: String,
    pub bidder_tag: String,
    pub seal_version: i32,
}

pub async fn insert(txn: &DatabaseTransaction, new: NewBid) -> anyhow::Result<bid::Model> {
    bid::ActiveModel {
        id: Set(new.id.uuid()),
        tender_id: Set(new.tender.uuid()),
        rfc: Set(None),
        status: Set(BidStatus::Live),
        received_at: Set(new.received_at),
        receipt_sha256: Set(new.receipt_sha256),
        sealed: Set(new.sealed),
        withdrawn_at: Set(None),
        total_centavos: Set(None),
        qualified: Set(None),
        evaluation_reason: Set(None),
        evaluated_at: Set(None),
        bidder_tag: Set(Some(new.bidder_tag)),
        seal_version: Set(new.seal_version),
    }
    .insert(txn)
    .await
    .context("inserting the bid")
}

/// Retires a live bid: `Replaced` by a newer one, or `Withdrawn`.
pub async fn retire(
    txn: &DatabaseTransaction,
    bid: bid::Model,
    status: BidStatus,
    now: DateTime<Utc>,
) -> anyhow::Result<bid::Model> {
    let mut active: bid::ActiveModel = bid.into();
    active.status = Set(status);
    active.withdrawn_at = Set(Some(now));
    active.update(txn).await.context("retiring the bid")
}

/// Writes who bid and the total in clear: the opening.
pub async fn reveal(
    txn: &DatabaseTransaction,
    bid: bid::Model,
    rfc: &str,
    total: Money,
) -> anyhow::Result<bid::Model> {
    let mut active: bid::ActiveModel = bid.into();
    active.rfc = Set(Some(rfc.to_owned()));
    active.total_centavos = Set(Some(total.centavos()));
    active.update(txn).await.context("writing a bid total")
}

/// Writes a bid's evaluation.
pub async fn judge(
    txn: &DatabaseTransaction,
    bid: bid::Model,
    qualified: bool,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<bid::Model> {
    let mut active: bid::ActiveModel = bid.into();
    active.qualified = Set(Some(qualified));
    active.evaluation_reason = Set(reason);
    active.evaluated_at = Set(Some(now));
    active.update(txn).await.context("writing an evaluation")
}
