//! The complaint repository: complaints filed, moved through their statuses, and listed;
//! none decides a rule.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{ComplaintAct, ComplaintStatus, complaint};
use crate::domain::complaint::{Act, ComplaintStatus as Status};
use crate::domain::ids::TenderId;

/// A complaint as filed, ready to be written.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub id: Uuid,
    pub tender: TenderId,
    pub agency: String,
    pub act: Act,
    pub lot: Option<u32>,
    pub award: Option<Uuid>,
    pub contested_at: Option<DateTime<Utc>>,
    pub complainant: String,
    pub title: String,
    pub facts: String,
    pub request: String,
}

pub async fn insert(
    txn: &DatabaseTransaction,
    new: NewComplaint,
    now: DateTime<Utc>,
) -> anyhow::Result<complaint::Model> {
    complaint::ActiveModel {
        id: Set(new.id),
        tender_id: Set(new.tender.uuid()),
        agency: Set(new.agency),
        act: Set(new.act.into()),
        lot: Set(new.lot.map(|l| i32::try_from(l).unwrap_or(i32::MAX))),
        award_id: Set(new.award),
        contested_at: Set(new.contested_at),
        complainant_rfc: Set(new.complainant),
        title: Set(new.title),
        facts: Set(new.facts),
        request: Set(new.request),
        status: Set(ComplaintStatus::Filed),
        suspends: Set(false),
        filed_at: Set(now),
        admitted_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        rejection_reason: Set(None),
        decision_text: Set(None),
        suspension_lifted_at: Set(None),
        withdrawn_at: Set(None),
        effects: Set(None),
    }
    .insert(txn)
    .await
    .context("inserting the complaint")
}

pub async fn get(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> anyhow::Result<Option<complaint::Model>> {
    complaint::Entity::find_by_id(id)
        .one(conn)
        .await
        .context("reading the complaint")
}

/// Locks the complaint's row until the transaction ends.
pub async fn lock(txn: &DatabaseTransaction, id: Uuid) -> anyhow::Result<Option<complaint::Model>> {
    complaint::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the complaint")
}

/// Writes a complaint's changed fields.
pub async fn save(
    txn: &DatabaseTransaction,
    active: complaint::ActiveModel,
) -> anyhow::Result<complaint::Model> {
    active.update(txn).await.context("updating the complaint")
}

/// The admitted complaints of a tender that suspend it and whose suspension is in force,
/// oldest first (`except` left out).
pub async fn suspending(
    conn: &impl ConnectionTrait,
    tender: TenderId,
    except: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    complaint::Entity::find()
        .select_only()
        .column(complaint::Column::Id)
        .filter(complaint::Column::TenderId.eq(tender.uuid()))
        .filter(complaint::Column::Status.eq(ComplaintStatus::Admitted))
        .filter(complaint::Column::Suspends.eq(true))
        .filter(complaint::Column::SuspensionLiftedAt.is_null())
        .filter(complaint::Column::Id.ne(except))
        .order_by_asc(complaint::Column::Id)
        .into_tuple()
        .all(conn)
        .await
        .context("finding the suspending complaints")
}

/// Filters of the complaint lists.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    pub tender: Option<TenderId>,
    pub agency: Option<String>,
    pub status: Option<Status>,
    pub act: Option<Act>,
    /// Filed at or after, and before.
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// A supplier's own only.
    pub complainant: Option<String>,
}

/// One page of complaints, newest first (ids are time-ordered), before `before`.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &ComplaintFilter,
    before: Option<Uuid>,
    limit: u64,
) -> anyhow::Result<Vec<complaint::Model>> {
    let mut condition = Condition::all();
    if let Some(tender) = filter.tender {
        condition = condition.add(complaint::Column::TenderId.eq(tender.uuid()));
    }
    if let Some(agency) = &filter.agency {
        condition = condition.add(complaint::Column::Agency.eq(agency.as_str()));
    }
    if let Some(status) = filter.status {
        condition = condition.add(complaint::Column::Status.eq(ComplaintStatus::from(status)));
    }
    if let Some(act) = filter.act {
        condition = condition.add(complaint::Column::Act.eq(ComplaintAct::from(act)));
    }
    if let Some(from) = filter.from {
        condition = condition.add(complaint::Column::FiledAt.gte(from));
    }
    if let Some(until) = filter.until {
        condition = condition.add(complaint::Column::FiledAt.lt(until));
    }
    if let Some(rfc) = &filter.complainant {
        condition = condition.add(complaint::Column::ComplainantRfc.eq(rfc.as_str()));
    }
    if let Some(before) = before {
        condition = condition.add(complaint::Column::Id.lt(before));
    }
    complaint::Entity::find()
        .filter(condition)
        .order_by_desc(complaint::Column::Id)
        .limit(limit)
        .all(conn)
        .await
        .context("listing complaints")
}

/// How many complaints are in each status.
pub async fn count_by_status(conn: &impl ConnectionTrait) -> anyhow::Result<Vec<(Status, i64)>> {
    let rows: Vec<(ComplaintStatus, i64)> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::Status)
        .column_as(complaint::Column::Id.count(), "n")
        .group_by(complaint::Column::Status)
        .into_tuple()
        .all(conn)
        .await
        .context("counting complaints")?;
    Ok(rows.into_iter().map(|(s, n)| (s.into(), n)).collect())
}

/// Ends the suspensions of a tender's admitted complaints against `acts` (but `except`'s):
/// those acts were annulled, to be done again. Returns the complaints whose suspension
/// ended.
pub async fn end_suspensions(
    txn: &DatabaseTransaction,
    tender: TenderId,
    acts: &[Act],
    except: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Uuid>> {
    let acts: Vec<ComplaintAct> = acts.iter().map(|a| ComplaintAct::from(*a)).collect();
    let ids: Vec<Uuid> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::Id)
        .filter(complaint::Column::TenderId.eq(tender.uuid()))
        .filter(complaint::Column::Status.eq(ComplaintStatus::Admitted))
        .filter(complaint::Column::Suspends.eq(true))
        .filter(complaint::Column::SuspensionLiftedAt.is_null())
        .filter(complaint::Column::Act.is_in(acts))
        .filter(complaint::Column::Id.ne(except))
        .into_tuple()
        .all(txn)
        .await
        .context("finding the suspensions to end")?;
    if !ids.is_empty() {
        complaint::Entity::update_many()
            .col_expr(
                complaint::Column::SuspensionLiftedAt,
                sea_orm::sea_query::Expr::value(Some(now)),
            )
            .filter(complaint::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await
            .context("ending the suspensions")?;
    }
    Ok(ids)
}
