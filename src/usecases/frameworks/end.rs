//! The registrar ends a framework contract early: `ends_on` is its last day in force,
//! today or later, within its validity (never retroactively).

use anyhow::Context as _;
use chrono::NaiveDate;
use serde_json::json;

use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::FrameworkId;
use crate::domain::rejection::Rejection;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::frameworks::{self, FrameworkRecord};
use crate::usecases::{Context, Result, UseCaseError};

pub async fn run(
    cx: &Context<'_>,
    id: FrameworkId,
    ends_on: NaiveDate,
    reason: &str,
    actor: &Actor,
) -> Result<FrameworkRecord> {
    let txn = cx.begin().await?;
    let record = frameworks::lock(&txn, id)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("framework contract {id} not found")))?;
    if record.contract.ended_on.is_some() {
        return Err(UseCaseError::refused(
            Code::AlreadyEnded,
            format!("framework contract {id} has ended already"),
        ));
    }
    if ends_on < cx.today
        || ends_on < record.contract.valid_from
        || ends_on > record.contract.valid_until
    {
        return Err(Rejection::field(
            "ends_on",
            Code::InvalidEndDate,
            "an early end falls within the contract's validity, today or later (never retroactively)",
        )
        .into());
    }
    frameworks::end(&txn, &record, ends_on, reason).await?;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "framework_contract.ended",
            entity_type: "framework_contract",
            entity_id: &id.to_string(),
            data: json!({"ends_on": ends_on.to_string(), "reason": reason}),
        },
    )
    .await?;
    let record = frameworks::get(&txn, id)
        .await?
        .context("the contract vanished")?;
    txn.commit().await.context("committing the end")?;
    Ok(record)
}
