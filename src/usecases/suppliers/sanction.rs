//! The registrar records a sanction on a supplier.

use anyhow::Context as _;
use serde_json::json;

use crate::domain::audit::Actor;
use crate::domain::rfc::Rfc;
use crate::domain::supplier::NewSanction;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::entities::sanction;
use crate::persistence::suppliers;
use crate::usecases::{Context, Result, UseCaseError};

#[tracing::instrument(skip_all, fields(rfc = %rfc))]
pub async fn run(
    cx: &Context<'_>,
    rfc: &Rfc,
    new: &NewSanction,
    actor: &Actor,
) -> Result<sanction::Model> {
    let txn = cx.begin().await?;
    suppliers::lock(&txn, rfc)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("supplier {rfc} not found")))?;
    let model = suppliers::insert_sanction(&txn, rfc, new, &actor.sub, cx.now).await?;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "supplier.sanctioned",
            entity_type: "supplier",
            entity_id: rfc.as_str(),
            data: json!({
                "sanction_id": model.id.to_string(),
                "authority": model.authority,
                "reference": model.reference,
                "reason": model.reason,
                "starts_on": model.starts_on.to_string(),
                "ends_on": model.ends_on.to_string(),
            }),
        },
    )
    .await?;
    txn.commit().await.context("committing the sanction")?;
    Ok(model)
}
