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

/// The result of re-walking the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// `intact`, or `broken` at `broken_at`.
    pub status: &'static str,
    /// Events verified (up to the first broken link).
    pub length: i64,
    /// The hash of the last verified event: publish it, and compare it later.
    pub head_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<BrokenAt>,
    pub verified_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenAt {
    pub seq: i64,
    pub reason: String,
}

impl AuditVerification {
    pub fn from_walk(walk: ChainWalk, at: DateTime<Utc>) -> Self {
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
        }
    }
}

/// Re-walk the hash-chained audit log: each event carries the SHA-256 of the one before and
/// of its own canonical content. Reports the chain's length and head hash, or the first
/// broken link (public, no token).
#[utoipa::path(
    get, path = "/public/v1/audit/verify", tag = "public",
    responses((status = 200, description = "The verification", body = AuditVerification))
)]
pub async fn verify_audit(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let walk = audit::verify(&state.db).await?;
    Ok(HttpResponse::Ok().json(AuditVerification::from_walk(walk, state.clock.now())))
}
