//! A supplier submits (or replaces) its sealed bid before the deadline. Nothing of who bid
//! or at what price is stored in clear: the envelope is sealed, the row carries only the
//! bidder's tag, and the receipt is keyed by a nonce only the supplier gets.

use serde_json::json;

use super::require_participant;
use crate::domain::bid::{
    Envelope, RECEIPT_NONCE_BYTES, SealedContent, check_bid, receipt_message, receipt_v2,
};
use crate::domain::code::Code;
use crate::domain::ids::{BidId, TenderId};
use crate::domain::rfc::Rfc;
use crate::domain::tender::Phase;
use crate::persistence::bids::{self, NewBid};
use crate::persistence::entities::{BidStatus, bid};
use crate::usecases::sealed::{SEAL_VERSION, owned_by, seal, sealed_actor};
use crate::usecases::{Context, Result, UseCaseError, lock, record_event};

/// A submitted bid and, for its supplier only, the receipt's nonce.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub bid: bid::Model,
    pub receipt_nonce: String,
}

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    rfc: &Rfc,
    content: &SealedContent,
) -> Result<Submitted> {
    let txn = cx.begin().await?;
    let record = lock(&txn, id).await?;
    require_participant(&txn, &record, rfc, cx.today).await?;
    match record.phase(cx.now) {
        Phase::Clarification | Phase::Submission => {}
        Phase::Draft => return Err(UseCaseError::tender_not_found(id)),
        _ => {
            return Err(UseCaseError::refused(
                Code::SubmissionClosed,
                format!(
                    "bids were taken until {}",
                    record.tender.submission_deadline.to_rfc3339()
                ),
            ));
        }
    }
    check_bid(&record.domain_items(), content)?;
    let tag = cx.sealer.bidder_tag(id.uuid(), rfc.as_str());
    let previous = bids::live(&txn, id)
        .await?
        .into_iter()
        .find(|b| owned_by(b, rfc.as_str(), &tag));
    let replaced = previous.is_some();
    if let Some(previous) = previous {
        bids::retire(&txn, previous, BidStatus::Replaced, cx.now).await?;
    }
    let bid_id = BidId::generate();
    let nonce = crate::seal::random_bytes::<RECEIPT_NONCE_BYTES>()?;
    let receipt = receipt_v2(
        &nonce,
        &receipt_message(bid_id.uuid(), id.uuid(), rfc.as_str(), content, cx.now),
    );
    let envelope = Envelope {
        rfc: rfc.as_str().to_owned(),
        receipt_nonce: hex::encode(nonce),
        content: content.clone(),
    };
    let model = bids::insert(
        &txn,
        NewBid {
            id: bid_id,
            tender: id,
            received_at: cx.now,
            receipt_sha256: receipt,
            sealed: seal(cx.sealer, id, bid_id, &envelope)?,
            bidder_tag: tag.clone(),
            seal_version: SEAL_VERSION,
        },
    )
    .await?;
    record_event(
        &txn,
        cx.now,
        &sealed_actor(&tag),
        if replaced {
            "bid.replaced"
        } else {
            "bid.submitted"
        },
        id,
        json!({"bid_id": bid_id.to_string(), "receipt_sha256": model.receipt_sha256}),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(Submitted {
        bid: model,
        receipt_nonce: envelope.receipt_nonce,
    })
}
