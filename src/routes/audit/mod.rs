//! Public verification of the audit log: anyone can check that no event was rewritten.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::resource;
use crate::domain::audit::ChainWalk;
use crate::error::ApiError;
use crate::persistence::audit;
use crate::state::AppState;

mod events;

pub use events::*;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/public/v1/audit/verify").route(web::get().to(verify_audit)))
        .service(resource("/api/v1/audit/events").route(web::get().to(list_audit_events)));
}

/// The result of verifying the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// `intact`, or `broken` at `broken_at`.
    pub status: &'static str,
    /// The chain is intact up to this event (by this walk and the earlier ones up to the
    /// checkpoint), or up to the event before the first broken link.
    pub length: i64,
    /// The hash of event `length`: publish it, and compare it later. When `complete` is
    /// false it is not yet the chain's head.
    pub head_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<BrokenAt>,
    pub verified_at: DateTime<Utc>,
    /// Where this verification started: the events up to it were found intact by an
    /// earlier one (sequence 0: it walked the whole chain). The checkpoint's own event is
    /// judged again; `licita verify-audit` re-walks everything.
    pub checkpoint: CheckpointView,
    /// False when it stopped after 10,000 events short of the chain's end: the next call
    /// goes on from there.
    pub complete: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    pub seq: i64,
    /// The hash the checkpoint's event had when it was verified.
    pub hash: String,
    /// `null` before the first verification.
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenAt {
    pub seq: i64,
    pub reason: String,
}

impl AuditVerification {
    /// A whole walk of the chain, from its start.
    pub fn from_walk(walk: ChainWalk, at: DateTime<Utc>) -> Self {
        Self::new(
            walk,
            CheckpointView {
                seq: 0,
                hash: crate::domain::audit::GENESIS_HASH.to_owned(),
                verified_at: None,
            },
            true,
            at,
        )
    }

    pub fn from_recent(recent: audit::RecentWalk, at: DateTime<Utc>) -> Self {
        let from = CheckpointView {
            seq: recent.from.seq,
            hash: recent.from.hash,
            verified_at: recent.from.verified_at,
        };
        Self::new(recent.walk, from, recent.complete, at)
    }

    fn new(walk: ChainWalk, checkpoint: CheckpointView, complete: bool, at: DateTime<Utc>) -> Self {
        Self {
            status: if walk.broken.is_some() {
                "broken"
            } else {
                "intact"
            },
            length: walk.length,
            head_hash: walk.head,
            broken_at: walk.broken.map(|b| BrokenAt {
                seq: b.seq,
                reason: b.reason,
            }),
            verified_at: at,
            checkpoint,
            complete,
        }
    }
}

/// Verify the hash-chained audit log: each event carries the SHA-256 of the one before and
/// of its own canonical content. Walks what was appended since the last verification's
/// checkpoint (at most 10,000 events a call), judging the checkpoint's event again, and
/// reports the chain's length and head hash, or the first broken link (public, no token).
#[utoipa::path(
    get, path = "/public/v1/audit/verify", tag = "public",
    responses((status = 200, description = "The verification", body = AuditVerification))
)]
pub async fn verify_audit(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let recent = audit::verify_since_checkpoint(&state.db, audit::PUBLIC_WALK_LIMIT, now).await?;
    Ok(HttpResponse::Ok().json(AuditVerification::from_recent(recent, now)))
}
