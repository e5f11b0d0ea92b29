//! Appending to the hash-chained audit log. Call [`append`] inside the transaction that
//! makes the change, so that the change and its event commit together or not at all.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QuerySelect, Set};
use serde_json::Value;

use super::entities::{audit_event, audit_head};
use crate::domain::audit::{Actor, EventContent, canonical_json};

/// The id of the single `audit_head` row.
const HEAD_ID: i32 = 1;

/// Locks the chain's head until the transaction ends: the one lock every audited write
/// takes, so writers that must not interleave can take it first.
pub async fn lock_head(conn: &impl ConnectionTrait) -> anyhow::Result<()> {
    audit_head::Entity::find_by_id(HEAD_ID)
        .lock_exclusive()
        .one(conn)
        .await
        .context("locking the audit head")?
        .context("the audit head row is missing")?;
    Ok(())
}

/// One state change to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub data: Value,
}

/// Appends an event after the chain's head and returns its sequence number. The head row
/// is locked (`FOR UPDATE` on PostgreSQL; SQLite has one writer) until the caller's
/// transaction ends, so concurrent appends queue and the chain never forks.
pub async fn append(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    event: NewEvent<'_>,
) -> anyhow::Result<i64> {
    let head = audit_head::Entity::find_by_id(HEAD_ID)
        .lock_exclusive()
        .one(conn)
        .await
        .context("reading the audit head")?
        .context("the audit head row is missing")?;
    let seq = head.seq + 1;
    let content = EventContent {
        seq,
        occurred_at: now,
        actor: event.actor,
        action: event.action,
        entity_type: event.entity_type,
        entity_id: event.entity_id,
        data: &event.data,
    };
    let hash = content.hash(&head.hash);
    audit_event::ActiveModel {
        seq: Set(seq),
        occurred_at: Set(now),
        actor_role: Set(event.actor.role.clone()),
        actor_sub: Set(event.actor.sub.clone()),
        action: Set(event.action.to_owned()),
        entity_type: Set(event.entity_type.to_owned()),
        entity_id: Set(event.entity_id.to_owned()),
        data: Set(canonical_json(&event.data)),
        prev_hash: Set(head.hash),
        hash: Set(hash.clone()),
    }
    .insert(conn)
    .await
    .context("inserting the audit event")?;
    audit_head::ActiveModel {
        id: Set(HEAD_ID),
        seq: Set(seq),
        hash: Set(hash),
    }
    .update(conn)
    .await
    .context("moving the audit head")?;
    Ok(seq)
}

/// Events read per query while verifying.
const VERIFY_BATCH: u64 = 1_000;

/// Re-walks the whole chain from the database, in batches, and checks the head row.
pub async fn verify(
    conn: &impl ConnectionTrait,
) -> anyhow::Result<crate::domain::audit::ChainWalk> {
    use crate::domain::audit::{BrokenLink, ChainWalk, StoredEvent};
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

    let mut walk = ChainWalk::default();
    let mut after = 0i64;
    loop {
        let batch = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(after))
            .order_by_asc(audit_event::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(conn)
            .await
            .context("reading audit events")?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            break;
        };
        for e in batch {
            walk.push(&StoredEvent {
                seq: e.seq,
                occurred_at: e.occurred_at,
                actor: Actor {
                    role: e.actor_role,
                    sub: e.actor_sub,
                },
                action: e.action,
                entity_type: e.entity_type,
                entity_id: e.entity_id,
                data: e.data,
                prev_hash: e.prev_hash,
                hash: e.hash,
            });
        }
        if walk.broken.is_some() {
            return Ok(walk);
        }
        after = last;
    }
    let head = audit_head::Entity::find_by_id(HEAD_ID)
        .one(conn)
        .await
        .context("reading the audit head")?
        .context("the audit head row is missing")?;
    if head.seq != walk.length || head.hash != walk.head {
        walk.broken = Some(BrokenLink {
            seq: walk.length + 1,
            reason: format!(
                "the recorded head (event {}) does not match the chain's last event ({})",
                head.seq, walk.length
            ),
        });
    }
    Ok(walk)
}

/// Which events the auditor reads.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this tender's events.
    pub tender: Option<uuid::Uuid>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

/// Events in chain order after `after_seq`, at most `limit`.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &EventFilter,
    after_seq: i64,
    limit: u64,
) -> anyhow::Result<Vec<audit_event::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let mut query = audit_event::Entity::find()
        .filter(audit_event::Column::Seq.gt(after_seq))
        .order_by_asc(audit_event::Column::Seq);
    if let Some(tender) = filter.tender {
        query = query
            .filter(audit_event::Column::EntityType.eq("tender"))
            .filter(audit_event::Column::EntityId.eq(tender.to_string()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::Column::OccurredAt.lt(to));
    }
    query
        .limit(limit)
        .all(conn)
        .await
        .context("listing audit events")
}
