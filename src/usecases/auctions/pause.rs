//! A suspended tender's live auctions pause, and resume when the suspension ends (SPEC
//! §2, §4): while paused no bid is accepted and the clock stands still; on resumption the
//! time each had left is kept (its start, end and turns move forward by the pause). The
//! engine holds each auction while this commits and reloads it from SQL after.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::domain::ids::TenderId;
use crate::persistence::auctions;
use crate::usecases::{Result, record_event};

/// Pauses the tender's auctions that have not ended, for `complaint`'s suspension; an
/// auction whose end has passed closes as it would. Returns how many it paused.
pub async fn pause_tender(
    txn: &sea_orm::DatabaseTransaction,
    tender: TenderId,
    complaint: Uuid,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<usize> {
    let mut paused = 0;
    for id in auctions::open_of_tender(txn, tender).await? {
        let Some(record) = auctions::lock(txn, id).await? else {
            continue;
        };
        let state = record.state();
        if record.is_closed() || state.is_closed(now) || state.paused.is_some() {
            continue;
        }
        auctions::pause(txn, id, Some(complaint), now).await?;
        record_event(
            txn,
            now,
            actor,
            "tender.auction_paused",
            tender,
            json!({
                "auction_id": id.to_string(),
                "lot": record.auction.lot,
                "complaint_id": complaint.to_string(),
                "started": now >= state.rules.starts_at,
                "time_left_s": (state.ends_at - now.max(state.rules.starts_at)).num_seconds(),
            }),
        )
        .await?;
        paused += 1;
    }
    Ok(paused)
}

/// Resumes the tender's paused auctions with the time each had left. Returns how many.
pub async fn resume_tender(
    txn: &sea_orm::DatabaseTransaction,
    tender: TenderId,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<usize> {
    let mut resumed = 0;
    for id in auctions::open_of_tender(txn, tender).await? {
        let Some(record) = auctions::lock(txn, id).await? else {
            continue;
        };
        let Some(since) = record.paused_since() else {
            continue;
        };
        let mut state = record.state();
        let shift = state.resume(now);
        auctions::resume(txn, &record, now, state.rules.starts_at, state.ends_at).await?;
        record_event(
            txn,
            now,
            actor,
            "tender.auction_resumed",
            tender,
            json!({
                "auction_id": id.to_string(),
                "lot": record.auction.lot,
                "paused_at": since,
                "moved_s": shift.num_seconds(),
                "starts_at": state.rules.starts_at,
                "ends_at": state.ends_at,
            }),
        )
        .await?;
        resumed += 1;
    }
    Ok(resumed)
}
