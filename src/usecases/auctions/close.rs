//! Closing an auction: each participant's final price and rank and the final end are
//! recorded, with the audit event, in one transaction. The engine first makes sure every
//! accepted bid is in SQL. Closing twice is a no-op.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde_json::json;

use crate::domain::audit::Actor;
use crate::domain::ids::AuctionId;
use crate::persistence::auctions::{self, Final, bids_digest};
use crate::usecases::{Result, lock, record_event};

/// When [`close_in`] closes an auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Only once its end has passed.
    Due,
    /// Now, its end brought forward: its tender was cancelled.
    Cancelled,
}

/// Closes an auction whose end has passed, in its own transaction; `false` when it was
/// closed already or is not due.
pub async fn run(db: &DatabaseConnection, id: AuctionId, now: DateTime<Utc>) -> Result<bool> {
    let txn = db.begin().await.map_err(anyhow::Error::from)?;
    if !close_in(&txn, id, now, When::Due).await? {
        return Ok(false);
    }
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(true)
}

/// Closes an auction inside the caller's transaction.
pub async fn close_in(
    txn: &DatabaseTransaction,
    id: AuctionId,
    now: DateTime<Utc>,
    when: When,
) -> Result<bool> {
    // The tender first, then the auction: every change of both locks them in that order.
    let Some(tender) = auctions::tender_of(txn, id).await? else {
        return Ok(false);
    };
    let tender = lock(txn, tender).await?;
    let Some(record) = auctions::lock(txn, id).await? else {
        return Ok(false);
    };
    if record.is_closed() {
        return Ok(false);
    }
    let mut state = record.state();
    if when == When::Cancelled {
        // Closed now, paused or not.
        state.paused = None;
        state.ends_at = state.ends_at.min(now);
    }
    if !state.is_closed(now) {
        return Ok(false);
    }
    let prices = state.prices();
    let ladder = state.ladder();
    let finals: Vec<Final> = record
        .participants
        .iter()
        .zip(&prices)
        .enumerate()
        .map(|(position, (participant, price))| Final {
            position: participant.position,
            price: *price,
            rank: ladder
                .iter()
                .position(|p| *p == position)
                .map_or(0, |r| r + 1),
        })
        .collect();
    auctions::record_close(txn, &record, &finals, state.ends_at, now).await?;
    record_event(
        txn,
        now,
        &Actor::system(),
        "tender.auction_closed",
        tender.id(),
        json!({
            "auction_id": id.to_string(),
            "lot": record.auction.lot,
            "cause": match when { When::Due => "ended", When::Cancelled => "tender_cancelled" },
            "ended_at": state.ends_at,
            "bids": record.bids.len(),
            "bids_sha256": bids_digest(&record.bids),
            "ladder": ladder
                .iter()
                .filter_map(|p| Some(json!({
                    "rfc": record.participants.get(*p)?.rfc,
                    "price": prices.get(*p)?.to_string(),
                })))
                .collect::<Vec<_>>(),
        }),
    )
    .await?;
    tracing::info!(auction_id = %id, bids = record.bids.len(), ?when, "auction closed");
    Ok(true)
}
