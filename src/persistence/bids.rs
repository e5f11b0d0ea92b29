//! The sealed-bid repository. A row holds the envelope as sealed; who bid and the total
//! are written in clear only by [`reveal`], at the opening.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::entities::{BidStatus, bid, bid_lot};
use crate::domain::bid::LotTotals;
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

/// What the opened bids of a tender offer, lot by lot (in bid, then lot order).
pub async fn lots_of_tender(
    conn: &impl ConnectionTrait,
    id: TenderId,
) -> anyhow::Result<Vec<bid_lot::Model>> {
    bid_lot::Entity::find()
        .filter(bid_lot::Column::TenderId.eq(id.uuid()))
        .order_by_asc(bid_lot::Column::BidId)
        .order_by_asc(bid_lot::Column::Lot)
        .all(conn)
        .await
        .context("reading what the bids offer")
}

/// A tender's live bids that qualified in `lot` at the evaluation, each with its offer
/// there (its total for the lot).
pub async fn qualified_in(
    conn: &impl ConnectionTrait,
    id: TenderId,
    lot: u32,
) -> anyhow::Result<Vec<(bid::Model, bid_lot::Model)>> {
    let offers = lots_of_tender(conn, id).await?;
    Ok(live(conn, id)
        .await?
        .into_iter()
        .filter_map(|b| {
            let offer = offers.iter().find(|o| {
                o.bid_id == b.id
                    && u32::try_from(o.lot).ok() == Some(lot)
                    && o.qualified == Some(true)
            })?;
            Some((b, offer.clone()))
        })
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

/// Writes who bid, its total and what it offers for each lot in clear: the opening.
pub async fn reveal(
    txn: &DatabaseTransaction,
    bid: bid::Model,
    rfc: &str,
    totals: &LotTotals,
    total: Money,
) -> anyhow::Result<bid::Model> {
    let (id, tender) = (bid.id, bid.tender_id);
    let mut active: bid::ActiveModel = bid.into();
    active.rfc = Set(Some(rfc.to_owned()));
    active.total_centavos = Set(Some(total.centavos()));
    let model = active.update(txn).await.context("writing a bid total")?;
    bid_lot::Entity::insert_many(totals.iter().map(|(lot, total)| bid_lot::ActiveModel {
        bid_id: Set(id),
        lot: Set(i32::try_from(*lot).unwrap_or(i32::MAX)),
        tender_id: Set(tender),
        total_centavos: Set(total.centavos()),
        qualified: Set(None),
        evaluation_reason: Set(None),
    }))
    .exec(txn)
    .await
    .context("writing a bid's lots")?;
    Ok(model)
}

/// Clears a tender's evaluation: every bid unjudged again, on the bid and in each lot.
pub async fn clear_evaluation(txn: &DatabaseTransaction, tender: TenderId) -> anyhow::Result<()> {
    use sea_orm::sea_query::Expr;
    bid_lot::Entity::update_many()
        .col_expr(
            bid_lot::Column::Qualified,
            Expr::value(Option::<bool>::None),
        )
        .col_expr(
            bid_lot::Column::EvaluationReason,
            Expr::value(Option::<String>::None),
        )
        .filter(bid_lot::Column::TenderId.eq(tender.uuid()))
        .exec(txn)
        .await
        .context("clearing the lots' evaluation")?;
    bid::Entity::update_many()
        .col_expr(bid::Column::Qualified, Expr::value(Option::<bool>::None))
        .col_expr(
            bid::Column::EvaluationReason,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            bid::Column::EvaluatedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(bid::Column::TenderId.eq(tender.uuid()))
        .exec(txn)
        .await
        .context("clearing the bids' evaluation")?;
    Ok(())
}

/// Clears a tender's opening: what each bid offers per lot and its total are no longer
/// recorded (a new opening writes them again); who bid stays, as the opening made it known.
pub async fn clear_opening(txn: &DatabaseTransaction, tender: TenderId) -> anyhow::Result<()> {
    clear_evaluation(txn, tender).await?;
    bid_lot::Entity::delete_many()
        .filter(bid_lot::Column::TenderId.eq(tender.uuid()))
        .exec(txn)
        .await
        .context("clearing the bids' lots")?;
    bid::Entity::update_many()
        .col_expr(
            bid::Column::TotalCentavos,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(bid::Column::TenderId.eq(tender.uuid()))
        .exec(txn)
        .await
        .context("clearing the bids' totals")?;
    Ok(())
}

/// Disqualifies a bid in one lot, with `reason` (an upheld complaint against its award).
pub async fn disqualify_in(
    txn: &DatabaseTransaction,
    bid: uuid::Uuid,
    lot: u32,
    reason: &str,
) -> anyhow::Result<()> {
    bid_lot::Entity::update_many()
        .col_expr(
            bid_lot::Column::Qualified,
            sea_orm::sea_query::Expr::value(false),
        )
        .col_expr(
            bid_lot::Column::EvaluationReason,
            sea_orm::sea_query::Expr::value(reason),
        )
        .filter(bid_lot::Column::BidId.eq(bid))
        .filter(bid_lot::Column::Lot.eq(i32::try_from(lot).unwrap_or(i32::MAX)))
        .exec(txn)
        .await
        .context("disqualifying a bid in a lot")?;
    Ok(())
}

/// Writes a bid's evaluation: in each lot (`(lot, qualified, reason)`), and on the bid
/// (qualified in some lot; when in none, its reasons).
pub async fn judge(
    txn: &DatabaseTransaction,
    bid: bid::Model,
    lots: &[(u32, bool, Option<String>)],
    now: DateTime<Utc>,
) -> anyhow::Result<bid::Model> {
    for (lot, qualified, reason) in lots {
        bid_lot::Entity::update_many()
            .col_expr(
                bid_lot::Column::Qualified,
                sea_orm::sea_query::Expr::value(*qualified),
            )
            .col_expr(
                bid_lot::Column::EvaluationReason,
                sea_orm::sea_query::Expr::value(reason.clone()),
            )
            .filter(bid_lot::Column::BidId.eq(bid.id))
            .filter(bid_lot::Column::Lot.eq(i32::try_from(*lot).unwrap_or(i32::MAX)))
            .exec(txn)
            .await
            .context("writing a lot's evaluation")?;
    }
    let qualified = lots.iter().any(|(_, q, _)| *q);
    let reasons: Vec<&str> = lots
        .iter()
        .filter(|(_, q, _)| !q)
        .filter_map(|(_, _, r)| r.as_deref())
        .collect();
    let mut active: bid::ActiveModel = bid.into();
    active.qualified = Set(Some(qualified));
    active.evaluation_reason = Set((!qualified && !reasons.is_empty()).then(|| reasons.join("; ")));
    active.evaluated_at = Set(Some(now));
    active.update(txn).await.context("writing an evaluation")
}
