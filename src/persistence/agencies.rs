//! The buying-unit (agency) repository.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::agency;
use crate::domain::agency::{AgencyCode, NewAgency};

/// Writes a new buying unit; a unique violation means the code is taken (see
/// [`super::is_unique_violation`]).
pub async fn insert(
    txn: &DatabaseTransaction,
    new: &NewAgency,
    now: DateTime<Utc>,
) -> Result<agency::Model, DbErr> {
    agency::ActiveModel {
        code: Set(new.code.as_str().to_owned()),
        name: Set(new.name.as_str().to_owned()),
        created_at: Set(now),
        rfc: Set(new.rfc.as_ref().map(|r| r.as_str().to_owned())),
    }
    .insert(txn)
    .await
}

pub async fn get(
    conn: &impl ConnectionTrait,
    code: &AgencyCode,
) -> anyhow::Result<Option<agency::Model>> {
    agency::Entity::find_by_id(code.as_str().to_owned())
        .one(conn)
        .await
        .context("reading the agency")
}

/// Reads a unit's row, locked until the transaction ends.
pub async fn lock(
    txn: &DatabaseTransaction,
    code: &AgencyCode,
) -> anyhow::Result<Option<agency::Model>> {
    agency::Entity::find_by_id(code.as_str().to_owned())
        .lock_exclusive()
        .one(txn)
        .await
        .context("reading the agency")
}

/// Changes a unit's name or RFC (what is given).
pub async fn update(
    txn: &DatabaseTransaction,
    found: agency::Model,
    (name, rfc): (Option<&str>, Option<&str>),
) -> anyhow::Result<agency::Model> {
    let mut active: agency::ActiveModel = found.into();
    if let Some(name) = name {
        active.name = Set(name.to_owned());
    }
    if let Some(rfc) = rfc {
        active.rfc = Set(Some(rfc.to_owned()));
    }
    active.update(txn).await.context("updating the agency")
}

/// The names of the units with these codes (those that exist), by code.
pub async fn names_of(
    conn: &impl ConnectionTrait,
    codes: &[&str],
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(Default::default());
    }
    let found = agency::Entity::find()
        .filter(agency::Column::Code.is_in(codes.iter().copied()))
        .all(conn)
        .await
        .context("reading agency names")?;
    Ok(found.into_iter().map(|a| (a.code, a.name)).collect())
}

/// One page of agencies in code order, starting after `after`.
pub async fn list(
    conn: &impl ConnectionTrait,
    code: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> anyhow::Result<Vec<agency::Model>> {
    let mut query = agency::Entity::find().order_by_asc(agency::Column::Code);
    if let Some(code) = code {
        query = query.filter(agency::Column::Code.eq(code));
    }
    if let Some(after) = after {
        query = query.filter(agency::Column::Code.gt(after));
    }
    query
        .limit(limit)
        .all(conn)
        .await
        .context("listing agencies")
}
