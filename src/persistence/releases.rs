//! The OCDS feed in SQL: each published change of a tender writes its release in the same
//! transaction as the change, at the next feed position (the use case takes the audit
//! chain's head lock first).
//!
//! Never skipping a release: a position is taken under the audit chain's head lock, which
//! every audited transaction holds from its audit event to its commit. So positions are
//! handed out in commit order, and when a reader sees position n, every position before it
//! has committed. A reader that resumes after the last position it saw never misses one
//! and never sees one twice.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::ocds_release;
use crate::domain::ids::TenderId;

/// Where the next release goes: the feed's next position, and a date strictly after the
/// process's last release (a cancellation in the same microsecond as the tender still
/// comes after it).
pub async fn next_position(
    conn: &impl ConnectionTrait,
    ocid: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(i64, DateTime<Utc>)> {
    let previous: Option<DateTime<Utc>> = ocds_release::Entity::find()
        .select_only()
        .column_as(ocds_release::Column::Date.max(), "max")
        .filter(ocds_release::Column::Ocid.eq(ocid))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(conn)
        .await
        .context("reading the process's last release")?
        .flatten();
    let date = match previous {
        Some(p) if p >= now => p + chrono::Duration::microseconds(1),
        _ => now,
    };
    let last: Option<i64> = ocds_release::Entity::find()
        .select_only()
        .column_as(ocds_release::Column::Seq.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await
        .context("reading the feed's last position")?
        .flatten();
    Ok((last.unwrap_or(0) + 1, date))
}

/// A release, as published.
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub seq: i64,
    pub release_id: String,
    pub ocid: String,
    pub tender: TenderId,
    pub tag: String,
    pub date: DateTime<Utc>,
    pub body: String,
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewRelease) -> anyhow::Result<()> {
    ocds_release::ActiveModel {
        seq: Set(new.seq),
        release_id: Set(new.release_id),
        ocid: Set(new.ocid),
        tender_id: Set(new.tender.uuid()),
        tag: Set(new.tag),
        date: Set(new.date),
        body: Set(new.body),
    }
    .insert(conn)
    .await
    .context("writing a release")?;
    Ok(())
}

/// Releases after feed position `after`, oldest first.
pub async fn page(
    conn: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> anyhow::Result<Vec<ocds_release::Model>> {
    ocds_release::Entity::find()
        .filter(ocds_release::Column::Seq.gt(after))
        .order_by_asc(ocds_release::Column::Seq)
        .limit(limit)
        .all(conn)
        .await
        .context("reading the release feed")
}

/// Every release of one contracting process, oldest first.
pub async fn of_ocid(
    conn: &impl ConnectionTrait,
    ocid: &str,
) -> anyhow::Result<Vec<ocds_release::Model>> {
    ocds_release::Entity::find()
        .filter(ocds_release::Column::Ocid.eq(ocid))
        .order_by_asc(ocds_release::Column::Seq)
        .all(conn)
        .await
        .context("reading a record's releases")
}
