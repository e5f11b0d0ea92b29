//! A suspended tender's live auctions pause, and resume when the suspension ends (SPEC
//! §2, §4): while paused no bid is accepted and the clock stands still; on resumption the
//! time each had left is kept (its start, end and turns move forward by the pause). Only
//! auctions the engine holds (`Context::held`) change, so that no bid passes meanwhile and
//! each is read again from SQL after; any other is [`UseCaseError::Unheld`].

use serde_json::json;
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::domain::ids::{AuctionId, TenderId};
use crate::persistence::auctions::{self, AuctionRecord};
use crate::usecases::{Context, Result, UseCaseError, record_event};

/// The tender's open auctions that `wanted` selects, locked; refused with the whole set
/// when the engine does not hold one of them.
async fn held_ones(
    txn: &sea_orm::DatabaseTransaction,
    cx: &Context<'_>,
    tender: TenderId,
    wanted: impl Fn(&AuctionRecord) -> bool,
) -> Result<Vec<AuctionRecord>> {
    let mut chosen = Vec::new();
    for id in auctions::open_of_tender(txn, tender).await? {
        if let Some(record) = auctions::lock(txn, id).await?
            && wanted(&record)
        {
            chosen.push(record);
        }
    }
    let ids: Vec<AuctionId> = chosen.iter().map(AuctionRecord::id).collect();
    if ids.iter().any(|id| !cx.held.contains(id)) {
        return Err(UseCaseError::Unheld(ids));
    }
    Ok(chosen)
}

/// Pauses the tender's auctions that have not ended, for `complaint`'s suspension; an
/// auction whose end has passed closes as it would. Returns how many it paused.
pub async fn pause_tender(
    txn: &sea_orm::DatabaseTransaction,
    cx: &Context<'_>,
    tender: TenderId,
    complaint: Uuid,
    actor: &Actor,
) -> Result<usize> {
    let records = held_ones(txn, cx, tender, |r| {
        let state = r.state();
        !state.is_closed(cx.now) && state.paused.is_none()
    })
    .await?;
    for record in &records {
        let state = record.state();
        // Never before a bid it accepted (the engine's clock may run a little ahead).
        let at = record
            .bids
            .last()
            .map_or(cx.now, |b| cx.now.max(b.placed_at));
        auctions::pause(txn, record.id(), complaint, at).await?;
        record_event(
            txn,
            cx.now,
            actor,
            "tender.auction_paused",
            tender,
            json!({
                "auction_id": record.id().to_string(),
                "lot": record.auction.lot,
                "complaint_id": complaint.to_string(),
                "paused_at": at,
                "started": at >= state.rules.starts_at,
                "time_left_s": (state.ends_at - at.max(state.rules.starts_at)).num_seconds(),
            }),
        )
        .await?;
    }
    Ok(records.len())
}

/// Resumes the tender's paused auctions with the time each had left. Returns how many.
pub async fn resume_tender(
    txn: &sea_orm::DatabaseTransaction,
    cx: &Context<'_>,
    tender: TenderId,
    actor: &Actor,
) -> Result<usize> {
    let records = held_ones(txn, cx, tender, |r| r.paused_since().is_some()).await?;
    for record in &records {
        let since = record.paused_since().unwrap_or(cx.now);
        let at = cx.now.max(since);
        let mut state = record.state();
        let shift = state.resume(at);
        auctions::resume(txn, record, at, state.rules.starts_at, state.ends_at).await?;
        record_event(
            txn,
            cx.now,
            actor,
            "tender.auction_resumed",
            tender,
            json!({
                "auction_id": record.id().to_string(),
                "lot": record.auction.lot,
                "paused_at": since,
                "moved_s": shift.num_seconds(),
                "starts_at": state.rules.starts_at,
                "ends_at": state.ends_at,
            }),
        )
        .await?;
    }
    Ok(records.len())
}
