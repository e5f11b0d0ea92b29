//! Documents: attached to a tender by its officers, listed on the tender's view, read by
//! anyone once the tender is published (its drafts' by their agency's officers and by
//! auditors), downloaded as the very bytes uploaded.

mod attach;
mod read;

pub use attach::*;
pub use read::*;

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::domain::document::DocumentKind;
use crate::domain::ids::DocumentId;
use crate::error::ApiError;
use crate::persistence::entities::document;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/tenders/{id}/documents").route(web::post().to(attach_document)))
        .service(
            resource("/api/v1/tenders/{id}/bids/{bid_id}/documents")
                .route(web::post().to(attach_bid_document)),
        )
        .service(resource("/api/v1/documents/{id}").route(web::get().to(get_document)))
        .service(resource("/api/v1/documents/{id}/content").route(web::get().to(document_content)))
        .service(resource("/public/v1/documents/{id}").route(web::get().to(get_public_document)))
        .service(
            resource("/public/v1/documents/{id}/content")
                .route(web::get().to(public_document_content)),
        );
}

/// A document's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub tender_id: Uuid,
    /// A bid's document: the bid it is sealed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bid_id: Option<Uuid>,
    #[serde(rename = "type")]
    pub kind: DocumentKind,
    pub title: String,
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the bytes: the download's `ETag`, and its `Repr-Digest` in base64.
    pub sha256: String,
    /// The document this one replaces (both stay listed).
    pub supersedes: Option<Uuid>,
    pub uploaded_at: DateTime<Utc>,
    /// Where its bytes are read: the public path once the tender is published.
    pub content_url: String,
}

impl Document {
    pub fn from_model(d: document::Model, public: bool) -> Self {
        let content_url = if public {
            format!("/public/v1/documents/{}/content", d.id)
        } else {
            format!("/api/v1/documents/{}/content", d.id)
        };
        Self {
            id: d.id,
            tender_id: d.tender_id,
            bid_id: d.bid_id,
            kind: d.kind.into(),
            title: d.title,
            media_type: d.media_type,
            size: d.size_bytes,
            sha256: d.sha256,
            supersedes: d.supersedes,
            uploaded_at: d.uploaded_at,
            content_url,
        }
    }
}

/// The document id of a path.
pub fn document_id(raw: &str) -> Result<DocumentId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("document {raw}")))
}
