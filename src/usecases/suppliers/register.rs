//! A supplier registers itself (or the registrar registers it), with its codes.

use anyhow::Context as _;

use super::{check_codes, supplier_json};
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::supplier::NewSupplier;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::is_unique_violation;
use crate::persistence::suppliers::{self, SupplierRecord};
use crate::usecases::{Context, Result, UseCaseError};

#[tracing::instrument(skip_all, fields(rfc = %new.rfc))]
pub async fn run(cx: &Context<'_>, new: &NewSupplier, actor: &Actor) -> Result<SupplierRecord> {
    let txn = cx.begin().await?;
    check_codes(&txn, &new.classifier_codes).await?;
    let model = suppliers::insert(&txn, new, &actor.role, cx.now)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                UseCaseError::refused(
                    Code::SupplierExists,
                    format!("a supplier with RFC {} is already registered", new.rfc),
                )
            } else {
                UseCaseError::Unexpected(anyhow::Error::new(e).context("inserting the supplier"))
            }
        })?;
    suppliers::replace_codes(&txn, &model.rfc, &new.classifier_codes).await?;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "supplier.registered",
            entity_type: "supplier",
            entity_id: &model.rfc,
            data: supplier_json(&model, &new.classifier_codes),
        },
    )
    .await?;
    txn.commit().await.context("committing the supplier")?;
    // In code order, as every read returns them.
    let mut classifier_codes: Vec<String> = new
        .classifier_codes
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    classifier_codes.sort();
    Ok(SupplierRecord {
        classifier_codes,
        supplier: model,
        sanctions: Vec::new(),
    })
}
