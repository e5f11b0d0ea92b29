//! Publishing a tender's OCDS release, inside the transaction of the change it reports.
//!
//! Never skipping a release: a feed position is taken under the audit chain's head lock,
//! which every audited transaction holds from its audit event to its commit. So positions
//! are handed out in commit order, and when a reader sees position n, every position before
//! it has committed.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::domain::ids::TenderId;
use crate::ocds::{self, Event, Feed};
use crate::persistence::audit;
use crate::persistence::releases::{self, NewRelease};

/// Writes the release of `event` for the tender (after the change's audit event, so the
/// head is locked already; it is locked again to be sure).
pub async fn publish(
    conn: &impl ConnectionTrait,
    feed: &Feed,
    tender: TenderId,
    event: Event,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    audit::lock_head(conn).await?;
    let ocid = ocds::ocid(&feed.prefix, tender);
    let (seq, date) = releases::next_position(conn, &ocid, now).await?;
    let facts = super::facts::tender_facts(conn, feed, tender).await?;
    let release = ocds::release(&facts, event, seq, date);
    releases::insert(
        conn,
        NewRelease {
            seq,
            release_id: release
                .get("id")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            ocid: facts.ocid,
            tender,
            tag: event.tag().to_owned(),
            date,
            body: release.to_string(),
        },
    )
    .await
}
