//! A supplier changes its profile (the registrar may too).

use anyhow::Context as _;

use super::{check_codes, supplier_json};
use crate::domain::audit::Actor;
use crate::domain::classifier::ClassifierCode;
use crate::domain::rfc::Rfc;
use crate::domain::supplier::SupplierUpdate;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::suppliers::{self, SupplierRecord};
use crate::usecases::{Context, Result, UseCaseError};

#[tracing::instrument(skip_all, fields(rfc = %rfc))]
pub async fn run(
    cx: &Context<'_>,
    rfc: &Rfc,
    change: &SupplierUpdate,
    actor: &Actor,
) -> Result<SupplierRecord> {
    let txn = cx.begin().await?;
    let current = suppliers::lock(&txn, rfc)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("supplier {rfc} not found")))?;
    let model = suppliers::update(&txn, current, change, cx.now).await?;
    if let Some(codes) = &change.classifier_codes {
        check_codes(&txn, codes).await?;
        suppliers::replace_codes(&txn, rfc.as_str(), codes).await?;
    }
    let record = suppliers::complete(&txn, vec![model])
        .await?
        .pop()
        .context("the supplier vanished")?;
    let codes: Vec<ClassifierCode> = record
        .classifier_codes
        .iter()
        .filter_map(|c| ClassifierCode::parse(c).ok())
        .collect();
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "supplier.updated",
            entity_type: "supplier",
            entity_id: rfc.as_str(),
            data: supplier_json(&record.supplier, &codes),
        },
    )
    .await?;
    txn.commit().await.context("committing the supplier")?;
    Ok(record)
}
