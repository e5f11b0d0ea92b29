//! The registrar registers a buying unit.

use anyhow::Context as _;
use serde_json::json;

use crate::domain::agency::NewAgency;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::entities::agency;
use crate::persistence::{agencies, is_unique_violation};
use crate::usecases::{Context, Result, UseCaseError};

#[tracing::instrument(skip_all, fields(agency = %new.code))]
pub async fn run(cx: &Context<'_>, new: &NewAgency, actor: &Actor) -> Result<agency::Model> {
    let txn = cx.begin().await?;
    let model = agencies::insert(&txn, new, cx.now).await.map_err(|e| {
        if is_unique_violation(&e) {
            UseCaseError::refused(
                Code::AgencyExists,
                format!("an agency with code {} already exists", new.code),
            )
        } else {
            UseCaseError::Unexpected(anyhow::Error::new(e).context("inserting the agency"))
        }
    })?;
    audit::append(
        &txn,
        cx.now,
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
