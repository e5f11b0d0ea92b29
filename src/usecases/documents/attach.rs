//! An officer of the tender's agency attaches a document to it. The bytes stream to the
//! document store first (hashed on the way, refused past the size limit); the row, its
//! audit event (with the hash) and, for a published tender, a release follow in one
//! transaction. A document whose row can't be written is removed from the store again.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::document::DocumentKind;
use crate::domain::ids::{DocumentId, TenderId};
use crate::domain::rejection::Rejection;
use crate::ocds::Event;
use crate::persistence::documents::{self, NewDocument};
use crate::persistence::entities::document;
use crate::persistence::tenders::{self, TenderRecord};
use crate::storage::{DocumentStore, UploadError};
use crate::usecases::{Context, Result, UseCaseError, lock_own, own, record_event, release};

/// What the officer sends with the bytes.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub kind: DocumentKind,
    pub title: String,
    /// The accepted media type's essence.
    pub media_type: String,
    pub supersedes: Option<DocumentId>,
}

pub async fn run<E: std::fmt::Display>(
    cx: &Context<'_>,
    store: &DocumentStore,
    (id, agency): (TenderId, &AgencyCode),
    attachment: Attachment,
    mut body: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    (limit, actor): (u64, &Actor),
) -> Result<(document::Model, bool)> {
    // Who may attach, and to what, is checked before a byte is stored, and again when the
    // row is written (the tender is locked then).
    check(cx, id, agency, attachment.supersedes, None).await?;
    let doc_id = DocumentId::generate();
    let key = format!("tenders/{id}/{doc_id}");
    let mut upload = store.upload(&key, limit).await?;
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
        if let Err(e) = upload.write(chunk).await {
            upload.abort().await;
            return Err(match e {
                UploadError::TooLarge(limit) => UseCaseError::refused(
                    Code::PayloadTooLarge,
                    format!("a document has at most {limit} bytes"),
                ),
                UploadError::Store(e) => UseCaseError::Unexpected(e),
            });
        }
    }
    let stored = upload.finish().await?;
    let recorded = record(
        cx,
        (id, agency),
        &attachment,
        (doc_id, &key),
        &stored,
        actor,
    )
    .await;
    if recorded.is_err()
        && let Err(e) = store.remove(&key).await
    {
        tracing::warn!(document = %doc_id, error = %e, "removing an unrecorded upload");
    }
    recorded
}

/// The tender is the officer's agency's, and the document it supersedes is one of its own;
/// returns the tender (locked, inside `txn`).
async fn check(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    supersedes: Option<DocumentId>,
    txn: Option<&sea_orm::DatabaseTransaction>,
) -> Result<TenderRecord> {
    let record = match txn {
        Some(txn) => lock_own(txn, id, agency).await?,
        None => {
            let record = tenders::get(cx.db, id)
                .await?
                .ok_or_else(|| UseCaseError::tender_not_found(id))?;
            own(&record, agency)?;
            record
        }
    };
    if let Some(old) = supersedes {
        let found = match txn {
            Some(txn) => documents::get(txn, old).await?,
            None => documents::get(cx.db, old).await?,
        };
        if !found.is_some_and(|d| d.tender_id == record.tender.id && d.bid_id.is_none()) {
            return Err(Rejection::field(
                "supersedes",
                Code::UnknownDocument,
                format!("tender {id} has no document {old}"),
            )
            .into());
        }
    }
    Ok(record)
}

async fn record(
    cx: &Context<'_>,
    (id, agency): (TenderId, &AgencyCode),
    attachment: &Attachment,
    (doc_id, key): (DocumentId, &str),
    stored: &crate::storage::Stored,
    actor: &Actor,
) -> Result<(document::Model, bool)> {
    let txn = cx.begin().await?;
    let record = check(cx, id, agency, attachment.supersedes, Some(&txn)).await?;
    let model = documents::insert(
        &txn,
        NewDocument {
            id: doc_id,
            tender: id,
            bid: None,
            kind: attachment.kind,
            title: attachment.title.clone(),
            media_type: attachment.media_type.clone(),
            size: stored.size,
            sha256: stored.sha256.clone(),
            storage_key: key.to_owned(),
            supersedes: attachment.supersedes,
            uploaded_by: actor.sub.clone(),
            seal_version: 0,
        },
        cx.now,
    )
    .await?;
    record_event(
        &txn,
        cx.now,
        actor,
        "tender.document_attached",
        id,
        json!({
            "document_id": doc_id.to_string(),
            "type": attachment.kind.as_str(),
            "title": attachment.title,
            "media_type": attachment.media_type,
            "size": stored.size,
            "sha256": stored.sha256,
            "supersedes": attachment.supersedes.map(|d| d.to_string()),
        }),
    )
    .await?;
    // A draft's documents are private; from the publication on, each one is published.
    let public = record.tender.published_at.is_some();
    if public {
        release::publish(
            &txn,
            cx.feed,
            id,
            Event::Documented(attachment.kind),
            cx.now,
        )
        .await?;
    }
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok((model, public))
}
