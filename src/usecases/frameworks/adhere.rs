//! A supplier adheres to a framework contract in force.

use anyhow::Context as _;
use serde_json::json;

use super::check_adherents;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::FrameworkId;
use crate::domain::rejection::Rejection;
use crate::domain::rfc::Rfc;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::frameworks::{self, FrameworkRecord};
use crate::usecases::{Context, Result, UseCaseError};

pub async fn run(
    cx: &Context<'_>,
    id: FrameworkId,
    rfc: &Rfc,
    actor: &Actor,
) -> Result<FrameworkRecord> {
    let txn = cx.begin().await?;
    let record = frameworks::lock(&txn, id)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("framework contract {id} not found")))?;
    if record.suppliers.iter().any(|s| s.rfc == rfc.as_str()) {
        return Err(UseCaseError::refused(
            Code::AlreadyAdhered,
            format!("{rfc} adheres to {id} already"),
        ));
    }
    if !record.for_rules().active_on(cx.today) {
        return Err(Rejection::field(
            "id",
            Code::FrameworkContractInactive,
            format!("framework contract {id} is not in force"),
        )
        .into());
    }
    let mut errors = check_adherents(&txn, &[rfc.as_str().to_owned()], cx.today, "rfc").await?;
    for error in &mut errors.0 {
        error.field = "rfc".into();
    }
    errors.finish()?;
    frameworks::add_supplier(&txn, id, rfc.as_str(), cx.now).await?;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "framework_contract.adhered",
            entity_type: "framework_contract",
            entity_id: &id.to_string(),
            data: json!({"rfc": rfc.as_str()}),
        },
    )
    .await?;
    let record = frameworks::get(&txn, id)
        .await?
        .context("the contract vanished")?;
    txn.commit().await.context("committing the adhesion")?;
    Ok(record)
}
