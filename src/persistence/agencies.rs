//! Buying units.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, NewEvent};
use super::entities::agency;
use super::is_unique_violation;
use crate::domain::agency::NewAgency;
use crate::domain::audit::Actor;

#[derive(Debug, thiserror::Error)]
pub enum CreateAgencyError {
    #[error("an agency with code {0} already exists")]
    Exists(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Registers a buying unit and records the event.
#[tracing::instrument(skip_all, fields(agency = %new.code))]
pub async fn create(
    db: &DatabaseConnection,
    new: &NewAgency,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<agency::Model, CreateAgencyError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let model = agency::ActiveModel {
        code: Set(new.code.as_str().to_owned()),
        name: Set(new.name.as_str().to_owned()),
        created_at: Set(now),
        rfc: Set(new.rfc.as_ref().map(|r| r.as_str().to_owned())),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            CreateAgencyError::Exists(new.code.to_string())
        } else {
            CreateAgencyError::Unexpected(anyhow::Error::new(e).context("inserting the agency"))
        }
    })?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "agency.created",
            entity_type: "agency",
            entity_id: &model.code,
            data: json!({ "code": model.code, "name": model.name, "rfc": model.rfc }),
        },
    )
    .await?;
    txn.commit().await.context("committing the agency")?;
    Ok(model)
}

/// Changes a buying unit's name or RFC (what is given); `None` when there is no such unit.
pub async fn update(
    db: &DatabaseConnection,
    code: &str,
    (name, rfc): (Option<&str>, Option<&str>),
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<agency::Model>> {
    let txn = db.begin().await.context("starting a transaction")?;
    let Some(found) = agency::Entity::find_by_id(code.to_owned())
        .lock_exclusive()
        .one(&txn)
        .await
        .context("reading the agency")?
    else {
        return Ok(None);
    };
    let mut active: agency::ActiveModel = found.into();
    if let Some(name) = name {
        active.name = Set(name.to_owned());
    }
    if let Some(rfc) = rfc {
        active.rfc = Set(Some(rfc.to_owned()));
    }
    let model = active.update(&txn).await.context("updating the agency")?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "agency.updated",
            entity_type: "agency",
            entity_id: &model.code,
            data: json!({ "code": model.code, "name": model.name, "rfc": model.rfc }),
        },
    )
    .await?;
    txn.commit().await.context("committing the agency")?;
    Ok(Some(model))
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
