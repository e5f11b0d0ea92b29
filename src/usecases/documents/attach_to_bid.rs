//! A supplier attaches a document to its live sealed bid, until the submission deadline.
//! The bytes are sealed with the bid: encrypted chunk by chunk under the seal key as they
//! stream to the store, so the store holds only ciphertext; the title, media type, size and
//! digest are sealed in the row, and the audit log names the bidder by its tag. Nobody reads
//! it before the opening but its owner.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::code::Code;
use crate::domain::ids::{BidId, DocumentId, TenderId};
use crate::domain::rfc::Rfc;
use crate::domain::tender::Phase;
use crate::persistence::bids;
use crate::persistence::documents::{self, NewDocument};
use crate::persistence::entities::{BidStatus, document};
use crate::seal::{STREAM_PREFIX_BYTES, Sealer, StreamSealer};
use crate::storage::{DocumentStore, UploadError};
use crate::usecases::sealed::{owned_by, sealed_actor};
use crate::usecases::{Context, Result, UseCaseError, lock, record_event};

/// The envelope format of a sealed document.
pub const DOCUMENT_SEAL_VERSION: i32 = 1;

/// What the row holds of a sealed document, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedMeta {
    pub title: String,
    pub media_type: String,
    /// Of the bytes as uploaded.
    pub size: u64,
    pub sha256: String,
    /// The stream's nonce prefix, hex.
    pub prefix: String,
}

impl SealedMeta {
    pub fn prefix_bytes(&self) -> anyhow::Result<[u8; STREAM_PREFIX_BYTES]> {
        hex::decode(&self.prefix)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("a sealed document's prefix has the wrong length"))
    }
}

/// The associated data binding a sealed document's bytes and metadata to its row.
pub fn aad(doc: DocumentId, part: &str) -> Vec<u8> {
    format!("licita-bid-document:v1:{doc}:{part}").into_bytes()
}

/// Opens a sealed document's metadata.
pub fn open_meta(sealer: &Sealer, model: &document::Model) -> anyhow::Result<SealedMeta> {
    let plaintext = sealer.open(&aad(DocumentId::from_uuid(model.id), "meta"), &model.title)?;
    Ok(serde_json::from_slice(&plaintext)?)
}

/// What the supplier sends with the bytes.
#[derive(Debug, Clone)]
pub struct BidAttachment {
    pub title: String,
    pub media_type: String,
}

pub async fn run<E: std::fmt::Display>(
    cx: &Context<'_>,
    (store, sealer): (&DocumentStore, &Arc<Sealer>),
    (id, bid_id, rfc): (TenderId, BidId, &Rfc),
    attachment: BidAttachment,
    mut body: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    limit: u64,
) -> Result<document::Model> {
    check(cx, id, bid_id, rfc, None).await?;
    let doc_id = DocumentId::generate();
    let key = format!("tenders/{id}/bids/{bid_id}/{doc_id}");
    // The sealed stream is a little larger than the document: its tags.
    let sealed_limit = limit + (limit / crate::seal::STREAM_CHUNK as u64 + 1) * 16;
    let mut upload = store.upload(&key, sealed_limit).await?;
    let mut sealing = StreamSealer::new(sealer.clone(), aad(doc_id, "content"))?;
    let mut plain = Sha256::new();
    let mut size: u64 = 0;
    let refuse = |e: UploadError| match e {
        UploadError::TooLarge(_) => UseCaseError::refused(
            Code::PayloadTooLarge,
            format!("a document has at most {limit} bytes"),
        ),
        UploadError::Store(e) => UseCaseError::Unexpected(e),
    };
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                upload.abort().await;
                return Err(UseCaseError::refused(
                    Code::IncompleteBody,
                    format!("the upload stopped before its end: {e}"),
                ));
            }
        };
        size += chunk.len() as u64;
        if size > limit {
            upload.abort().await;
            return Err(refuse(UploadError::TooLarge(limit)));
        }
        plain.update(&chunk);
        let sealed = sealing.push(&chunk)?;
        if let Err(e) = upload.write(Bytes::from(sealed)).await {
            upload.abort().await;
            return Err(refuse(e));
        }
    }
    let prefix = sealing.prefix();
    let last = sealing.finish()?;
    if let Err(e) = upload.write(Bytes::from(last)).await {
        upload.abort().await;
        return Err(refuse(e));
    }
    let stored = upload.finish().await?;
    let meta = SealedMeta {
        title: attachment.title,
        media_type: attachment.media_type,
        size,
        sha256: hex::encode(plain.finalize()),
        prefix: hex::encode(prefix),
    };
    let recorded = async {
        let meta_json = serde_json::to_vec(&meta).map_err(anyhow::Error::from)?;
        let sealed_meta = sealer.seal(&aad(doc_id, "meta"), &meta_json)?;
        let txn = cx.begin().await?;
        let tag = check(cx, id, bid_id, rfc, Some(&txn)).await?;
        let model = documents::insert(
            &txn,
            NewDocument {
                id: doc_id,
                tender: id,
                bid: Some(bid_id),
                kind: crate::domain::document::DocumentKind::Bid,
                title: sealed_meta,
                media_type: "application/octet-stream".into(),
                size: stored.size,
                sha256: stored.sha256.clone(),
                storage_key: key.clone(),
                supersedes: None,
                uploaded_by: format!("bidder:{tag}"),
                seal_version: DOCUMENT_SEAL_VERSION,
            },
            cx.now,
        )
        .await?;
        record_event(
            &txn,
            cx.now,
            &sealed_actor(&tag),
            "bid.document_attached",
            id,
            // The digest of the sealed bytes: the document's own is sealed with it.
            json!({"bid_id": bid_id.to_string(), "document_id": doc_id.to_string(), "sealed_sha256": stored.sha256}),
        )
        .await?;
        txn.commit().await.map_err(anyhow::Error::from)?;
        Ok::<_, UseCaseError>(model)
    }
    .await;
    if recorded.is_err()
        && let Err(e) = store.remove(&key).await
    {
        tracing::warn!(document = %doc_id, error = %e, "removing an unrecorded upload");
    }
    recorded
}

/// The bid is the supplier's, live, and its tender still takes bids; returns the bidder's
/// tag.
async fn check(
    cx: &Context<'_>,
    id: TenderId,
    bid_id: BidId,
    rfc: &Rfc,
    txn: Option<&sea_orm::DatabaseTransaction>,
) -> Result<String> {
    let record = match txn {
        Some(txn) => lock(txn, id).await?,
        None => crate::persistence::tenders::get(cx.db, id)
            .await?
            .ok_or_else(|| UseCaseError::tender_not_found(id))?,
    };
    let tag = cx.sealer.bidder_tag(id.uuid(), rfc.as_str());
    let found = match txn {
        Some(txn) => bids::get(txn, bid_id).await?,
        None => bids::get(cx.db, bid_id).await?,
    }
    .filter(|b| b.tender_id == id.uuid() && owned_by(b, rfc.as_str(), &tag))
    .ok_or_else(|| UseCaseError::NotFound(format!("you have no bid {bid_id} in tender {id}")))?;
    match record.phase(cx.now) {
        Phase::Clarification | Phase::Submission => {}
        Phase::Draft => return Err(UseCaseError::tender_not_found(id)),
        _ => {
            return Err(UseCaseError::refused(
                Code::SubmissionClosed,
                "documents are attached to a bid until the submission deadline",
            ));
        }
    }
    if found.status != BidStatus::Live {
        return Err(UseCaseError::refused(
            Code::BidNotLive,
            format!("bid {bid_id} is {}", found.status.as_str()),
        ));
    }
    Ok(tag)
}
