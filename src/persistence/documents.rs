//! The document repository: a document's row (its bytes are the document store's).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::entities::{DocumentKind, document};
use crate::domain::ids::{BidId, DocumentId, TenderId};

/// A stored document, ready to be recorded.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: DocumentId,
    pub tender: TenderId,
    pub bid: Option<BidId>,
    pub kind: crate::domain::document::DocumentKind,
    pub title: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub storage_key: String,
    pub supersedes: Option<DocumentId>,
    pub uploaded_by: String,
    pub seal_version: i32,
}

pub async fn insert(
    txn: &DatabaseTransaction,
    new: NewDocument,
    now: DateTime<Utc>,
) -> anyhow::Result<document::Model> {
    document::ActiveModel {
        id: Set(new.id.uuid()),
        tender_id: Set(new.tender.uuid()),
        bid_id: Set(new.bid.map(BidId::uuid)),
        kind: Set(DocumentKind::from(new.kind)),
        title: Set(new.title),
        media_type: Set(new.media_type),
        size_bytes: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
        sha256: Set(new.sha256),
        storage_key: Set(new.storage_key),
        supersedes: Set(new.supersedes.map(DocumentId::uuid)),
        uploaded_by: Set(new.uploaded_by),
        uploaded_at: Set(now),
        seal_version: Set(new.seal_version),
    }
    .insert(txn)
    .await
    .context("recording the document")
}

pub async fn get(
    conn: &impl ConnectionTrait,
    id: DocumentId,
) -> anyhow::Result<Option<document::Model>> {
    document::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading a document")
}

/// The documents of each of `bids`, in upload order.
pub async fn of_bids(
    conn: &impl ConnectionTrait,
    bids: &[BidId],
) -> anyhow::Result<std::collections::HashMap<uuid::Uuid, Vec<uuid::Uuid>>> {
    let mut out: std::collections::HashMap<uuid::Uuid, Vec<uuid::Uuid>> = Default::default();
    if bids.is_empty() {
        return Ok(out);
    }
    for d in document::Entity::find()
        .filter(document::Column::BidId.is_in(bids.iter().map(|b| b.uuid())))
        .order_by_asc(document::Column::Id)
        .all(conn)
        .await
        .context("reading bids' documents")?
    {
        if let Some(bid) = d.bid_id {
            out.entry(bid).or_default().push(d.id);
        }
    }
    Ok(out)
}
