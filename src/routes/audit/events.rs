//! The auditor's reading of the audit log: every event, in chain order, with its hashes.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auditor;
use crate::error::{ApiError, Problem};
use crate::persistence::audit::{self, EventFilter};
use crate::persistence::entities::audit_event;
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditEventParams {
    /// Only this tender's events (its bids', questions', auction's… included).
    pub tender: Option<Uuid>,
    /// Events at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Events per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    pub role: String,
    /// The token's `sub`; for a sealed bid before its opening, `bidder:<tag>`.
    pub sub: String,
}

/// One event of the hash-chained audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Its position in the chain, from 1.
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: AuditActor,
    /// e.g. `tender.published`, `bid.submitted`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// What changed, as recorded.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The hash of the event before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this event's canonical content.
    pub hash: String,
}

impl TryFrom<audit_event::Model> for AuditEvent {
    type Error = ApiError;

    fn try_from(e: audit_event::Model) -> Result<Self, ApiError> {
        let data = serde_json::from_str(&e.data).map_err(|err| {
            ApiError::Unexpected(anyhow::anyhow!("audit event {} is not JSON: {err}", e.seq))
        })?;
        Ok(Self {
            seq: e.seq,
            occurred_at: e.occurred_at,
            actor: AuditActor {
                role: e.actor_role,
                sub: e.actor_sub,
            },
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            data,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

/// The audit log, oldest first (auditors). Each event carries the hash of the one
/// before, so a reader can check the pages it got against `/public/v1/audit/verify`.
#[utoipa::path(
    get, path = "/api/v1/audit/events", tag = "audit",
    params(AuditEventParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of events", body = Page<AuditEvent>),
        (status = 400, description = "`invalid_query` (an unknown parameter too), `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`: auditors only", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    _auditor: Auditor,
    params: web::Query<AuditEventParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let page = PageParams {
        cursor: params.cursor,
        limit: params.limit,
    }
    .parse()?;
    let after = page
        .after
        .as_deref()
        .map(|c| c.parse::<i64>().map_err(|_| ApiError::InvalidCursor))
        .transpose()?
        .unwrap_or(0);
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from >= to
    {
        return Err(ApiError::InvalidQuery("from must be before to".into()));
    }
    let filter = EventFilter {
        tender: params.tender,
        from: params.from,
        to: params.to,
    };
    let rows = audit::list(state.reads(), &filter, after, page.limit + 1).await?;
    let mut kept = Vec::new();
    if let Some(t) = filter.tender {
        kept.push(("tender", t.to_string()));
    }
    if let Some(from) = filter.from {
        kept.push(("from", from.to_rfc3339()));
    }
    if let Some(to) = filter.to {
        kept.push(("to", to.to_rfc3339()));
    }
    let page = Page::from_rows(rows, &page, |e| e.seq.to_string(), &req, &kept);
    let items = page
        .items
        .into_iter()
        .map(AuditEvent::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: page.next_cursor,
        links: page.links,
    }))
}
