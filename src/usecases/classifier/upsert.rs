//! The registrar creates or changes one classifier item.

use anyhow::Context as _;
use serde_json::json;

use crate::domain::audit::Actor;
use crate::domain::classifier::NewClassifierItem;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::classifier::{Item, UpsertError, Upserted, upsert_in};
use crate::usecases::Context;

/// Upserts one item in its own transaction, with its audit event.
pub async fn run(
    cx: &Context<'_>,
    item: &NewClassifierItem,
    actor: &Actor,
) -> Result<(Upserted, Item), UpsertError> {
    let now = cx.now;
    let txn = cx.begin().await?;
    // Classifier writes queue behind one lock, so that two concurrent moves cannot both
    // pass the cycle check.
    audit::lock_head(&txn).await?;
    let (outcome, saved) = upsert_in(&txn, item, now).await?;
    if outcome != Upserted::Unchanged {
        audit::append(
            &txn,
            now,
            NewEvent {
                actor,
                action: "classifier.item_saved",
                entity_type: "classifier_item",
                entity_id: &saved.code,
                data: item_json(&saved),
            },
        )
        .await?;
    }
    txn.commit()
        .await
        .context("committing the classifier item")?;
    Ok((outcome, saved))
}

pub(super) fn item_json(item: &Item) -> serde_json::Value {
    json!({
        "code": item.code,
        "description": item.description,
        "parent": item.parent,
        "partida": item.partida,
        "unit": item.unit,
        "is_ict": item.is_ict,
    })
}
