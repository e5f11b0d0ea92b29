//! A supplier withdraws its live bid before the deadline.

use serde_json::json;

use crate::domain::code::Code;
use crate::domain::ids::{BidId, TenderId};
use crate::domain::rfc::Rfc;
use crate::domain::tender::Phase;
use crate::persistence::bids;
use crate::persistence::entities::{BidStatus, bid};
use crate::usecases::sealed::{owned_by, sealed_actor};
use crate::usecases::{Context, Result, UseCaseError, lock, record_event};

pub async fn run(
    cx: &Context<'_>,
    (id, bid_id): (TenderId, BidId),
    rfc: &Rfc,
) -> Result<bid::Model> {
    let txn = cx.begin().await?;
    let record = lock(&txn, id).await?;
    let tag = cx.sealer.bidder_tag(id.uuid(), rfc.as_str());
    let found = bids::get(&txn, bid_id)
        .await?
        .filter(|b| b.tender_id == id.uuid() && owned_by(b, rfc.as_str(), &tag))
        .ok_or_else(|| {
            UseCaseError::NotFound(format!("you have no bid {bid_id} in tender {id}"))
        })?;
    if !matches!(
        record.phase(cx.now),
        Phase::Clarification | Phase::Submission
    ) {
        return Err(UseCaseError::refused(
            Code::SubmissionClosed,
            "bids can't be withdrawn after the submission deadline",
        ));
    }
    if found.status != BidStatus::Live {
        return Err(UseCaseError::refused(
            Code::BidNotLive,
            format!("bid {bid_id} is {}", found.status.as_str()),
        ));
    }
    let model = bids::retire(&txn, found, BidStatus::Withdrawn, cx.now).await?;
    record_event(
        &txn,
        cx.now,
        &sealed_actor(&tag),
        "bid.withdrawn",
        id,
        json!({"bid_id": bid_id.to_string()}),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(model)
}
