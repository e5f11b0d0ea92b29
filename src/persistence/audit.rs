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
