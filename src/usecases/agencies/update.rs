//! The registrar changes a buying unit's name or RFC (what is given).

use anyhow::Context as _;
use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::persistence::agencies;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::entities::agency;
use crate::usecases::{Context, Result, UseCaseError};

pub async fn run(
    cx: &Context<'_>,
    code: &AgencyCode,
    change: (Option<&str>, Option<&str>),
    actor: &Actor,
) -> Result<agency::Model> {
    let txn = cx.begin().await?;
    let found = agencies::lock(&txn, code)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("agency {code} not found")))?;
    let model = agencies::update(&txn, found, change).await?;
    audit::append(
        &txn,
        cx.now,
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
    Ok(model)
}
