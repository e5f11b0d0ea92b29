//! Appending to the hash-chained audit log. Call [`append`] inside the transaction that
//! makes the change, so that the change and its event commit together or not at all.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use super::entities::{audit_checkpoint, audit_event, audit_head};
use crate::domain::audit::{
    Actor, BrokenLink, ChainWalk, EventContent, StoredEvent, canonical_json,
};

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

/// The most events a public verification walks past the checkpoint in one call.
pub const PUBLIC_WALK_LIMIT: u64 = 10_000;

/// The id of the single `audit_checkpoint` row.
const CHECKPOINT_ID: i32 = 1;

/// Re-walks the whole chain from the database, in batches, and checks the head row and
/// the checkpoint (the event it names must still have the hash it was verified with: a
/// rewrite with every later hash recomputed shows there); when all of it is intact, the
/// checkpoint moves to the end. `licita verify-audit`.
pub async fn verify(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<crate::domain::audit::ChainWalk> {
    let checkpoint = read_checkpoint(conn).await?;
    let (mut walk, _) = walk_from(conn, ChainWalk::default(), None).await?;
    if walk.broken.is_none()
        && let Some(broken) = checkpoint_break(conn, &checkpoint).await?
    {
        walk = broken;
    }
    if walk.broken.is_none() {
        advance(conn, &walk, now).await;
    }
    Ok(walk)
}

/// The checkpoint's event judged again, from the recorded hash of the event before it:
/// rewritten (even with its hash recomputed) or removed, it no longer matches the
/// checkpoint, and the walk is broken there.
async fn checkpoint_break(
    conn: &impl ConnectionTrait,
    checkpoint: &audit_checkpoint::Model,
) -> anyhow::Result<Option<ChainWalk>> {
    if checkpoint.seq < 1 {
        return Ok(None);
    }
    let before = hash_of(conn, checkpoint.seq - 1).await?;
    let event = audit_event::Entity::find_by_id(checkpoint.seq)
        .one(conn)
        .await
        .context("reading the checkpoint's event")?;
    let Some(event) = event else {
        return Ok(Some(broken_at(
            checkpoint.seq,
            "the event of the last checkpoint was removed",
            &before,
        )));
    };
    let mut again = ChainWalk::resume(checkpoint.seq - 1, &before);
    let hash = event.hash.clone();
    again.push(&stored(event));
    if again.broken.is_none() && hash != checkpoint.hash {
        again = broken_at(
            checkpoint.seq,
            "its hash is not the one it had at the last checkpoint: it was rewritten since",
            &before,
        );
    }
    Ok(again.broken.is_some().then_some(again))
}

async fn read_checkpoint(conn: &impl ConnectionTrait) -> anyhow::Result<audit_checkpoint::Model> {
    audit_checkpoint::Entity::find_by_id(CHECKPOINT_ID)
        .one(conn)
        .await
        .context("reading the audit checkpoint")?
        .context("the audit checkpoint row is missing")
}

/// A verification of what was appended since the checkpoint.
#[derive(Debug, Clone)]
pub struct RecentWalk {
    pub walk: ChainWalk,
    /// Where it started: the events up to it were verified before.
    pub from: audit_checkpoint::Model,
    /// False when it stopped after [`PUBLIC_WALK_LIMIT`] events short of the chain's end
    /// (the next call goes on from there).
    pub complete: bool,
}

/// Checks that the checkpoint's event still has the hash it was verified with, then walks
/// at most `limit` events after it (and the head row, when it reached the end). An intact
/// walk moves the checkpoint forward, so the cost of a call does not grow with the history.
pub async fn verify_since_checkpoint(
    conn: &impl ConnectionTrait,
    limit: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<RecentWalk> {
    let from = read_checkpoint(conn).await?;
    if let Some(walk) = checkpoint_break(conn, &from).await? {
        return Ok(RecentWalk {
            walk,
            from,
            complete: true,
        });
    }
    let walk = ChainWalk::resume(from.seq, &from.hash);
    let (walk, complete) = walk_from(conn, walk, Some(limit)).await?;
    if walk.broken.is_none() && walk.length > from.seq {
        advance(conn, &walk, now).await;
    }
    Ok(RecentWalk {
        walk,
        from,
        complete,
    })
}

/// A walk verified up to `seq - 1` (whose hash is `head`), broken at `seq`.
fn broken_at(seq: i64, reason: &str, head: &str) -> ChainWalk {
    ChainWalk {
        length: seq - 1,
        head: head.to_owned(),
        broken: Some(BrokenLink {
            seq,
            reason: reason.to_owned(),
        }),
    }
}

/// The recorded hash of event `seq` (the genesis hash before the first).
async fn hash_of(conn: &impl ConnectionTrait, seq: i64) -> anyhow::Result<String> {
    if seq < 1 {
        return Ok(crate::domain::audit::GENESIS_HASH.to_owned());
    }
    Ok(audit_event::Entity::find_by_id(seq)
        .one(conn)
        .await
        .context("reading an audit event")?
        .map(|e| e.hash)
        .unwrap_or_default())
}

fn stored(e: audit_event::Model) -> StoredEvent {
    StoredEvent {
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
    }
}

/// Moves the checkpoint to the walk's end, never back (a slower verifier that walked less
/// changes nothing). A failure is logged, not raised: the verdict stands without it (a
/// read-only role, a busy database), and the next walk starts from the older checkpoint.
async fn advance(conn: &impl ConnectionTrait, walk: &ChainWalk, now: DateTime<Utc>) {
    use sea_orm::sea_query::Expr;
    let moved = audit_checkpoint::Entity::update_many()
        .col_expr(audit_checkpoint::Column::Seq, Expr::value(walk.length))
        .col_expr(
            audit_checkpoint::Column::Hash,
            Expr::value(walk.head.clone()),
        )
        .col_expr(audit_checkpoint::Column::VerifiedAt, Expr::value(now))
        .filter(audit_checkpoint::Column::Id.eq(CHECKPOINT_ID))
        .filter(audit_checkpoint::Column::Seq.lt(walk.length))
        .exec(conn)
        .await;
    if let Err(e) = moved {
        tracing::warn!(error = %e, "the audit checkpoint could not be moved");
    }
}

/// Walks the events after `walk`'s end up to the chain's head as recorded when the walk
/// began (events appended meanwhile are left to the next walk, so that an append during a
/// walk never looks like a break), in batches, at most `limit` of them. Answers whether it
/// reached that head, whose hash must then be the last event's.
async fn walk_from(
    conn: &impl ConnectionTrait,
    mut walk: ChainWalk,
    limit: Option<u64>,
) -> anyhow::Result<(ChainWalk, bool)> {
    // The head first: an append writes its event and moves the head in one transaction, so
    // every event up to this head is committed and readable below.
    let head = audit_head::Entity::find_by_id(HEAD_ID)
        .one(conn)
        .await
        .context("reading the audit head")?
        .context("the audit head row is missing")?;
    if head.seq < walk.length {
        walk.broken = Some(BrokenLink {
            seq: head.seq + 1,
            reason: format!(
                "the recorded head (event {}) is behind the events already verified ({})",
                head.seq, walk.length
            ),
        });
        return Ok((walk, true));
    }
    let stop = match limit {
        Some(l) => head.seq.min(
            walk.length
                .saturating_add(i64::try_from(l).unwrap_or(i64::MAX)),
        ),
        None => head.seq,
    };
    while walk.length < stop {
        let batch = u64::try_from(stop - walk.length)
            .unwrap_or(0)
            .min(VERIFY_BATCH);
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(walk.length))
            .filter(audit_event::Column::Seq.lte(stop))
            .order_by_asc(audit_event::Column::Seq)
            .limit(batch)
            .all(conn)
            .await
            .context("reading audit events")?;
        if events.is_empty() {
            break;
        }
        for e in events {
            walk.push(&stored(e));
            if walk.broken.is_some() {
                return Ok((walk, true));
            }
        }
    }
    if walk.length < stop {
        walk.broken = Some(BrokenLink {
            seq: walk.length + 1,
            reason: format!(
                "the recorded head is event {}, but the chain ends at event {}",
                head.seq, walk.length
            ),
        });
        return Ok((walk, true));
    }
    if walk.length < head.seq {
        return Ok((walk, false));
    }
    if head.hash != walk.head {
        walk.broken = Some(BrokenLink {
            seq: head.seq,
            reason: "the recorded head's hash is not the last event's".to_owned(),
        });
    }
    Ok((walk, true))
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
