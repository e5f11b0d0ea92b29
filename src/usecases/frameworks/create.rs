//! The registrar records a framework contract with its fixed prices and first adhered
//! suppliers.

use anyhow::Context as _;
use serde_json::json;

use super::check_adherents;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::classifier::missing_codes;
use crate::persistence::frameworks::{self, FrameworkRecord, NewFramework};
use crate::usecases::{Context, Result};

pub async fn run(cx: &Context<'_>, new: &NewFramework, actor: &Actor) -> Result<FrameworkRecord> {
    let txn = cx.begin().await?;
    let codes: Vec<String> = new.items.iter().map(|(c, ..)| c.clone()).collect();
    let missing = missing_codes(&txn, &codes).await?;
    let mut errors = check_adherents(&txn, &new.suppliers, cx.today, "suppliers").await?;
    for (i, code) in codes
        .iter()
        .enumerate()
        .filter(|(_, c)| missing.contains(c))
    {
        errors.push(
            &format!("items[{i}].classifier_code"),
            Code::UnknownClassifierCode,
            format!("{code} is not in the classifier"),
        );
    }
    errors.finish()?;
    let id = frameworks::insert(&txn, new, &actor.sub, cx.now).await?;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "framework_contract.created",
            entity_type: "framework_contract",
            entity_id: &id.to_string(),
            data: json!({
                "title": new.title,
                "valid_from": new.valid_from.to_string(),
                "valid_until": new.valid_until.to_string(),
                "items": new.items.iter().map(|(c, u, p)| json!({"classifier_code": c, "unit": u, "unit_price": p.to_string()})).collect::<Vec<_>>(),
                "suppliers": new.suppliers,
            }),
        },
    )
    .await?;
    let record = frameworks::get(&txn, id)
        .await?
        .context("the contract vanished")?;
    txn.commit()
        .await
        .context("committing the framework contract")?;
    Ok(record)
}
