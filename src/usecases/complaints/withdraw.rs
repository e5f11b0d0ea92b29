//! The complainant withdraws its complaint, until the resolution.

use sea_orm::Set;
use serde_json::json;
use uuid::Uuid;

use super::{hand_over_suspension, lock};
use crate::domain::audit::Actor;
use crate::domain::complaint::{ComplaintStatus, Step, next};
use crate::domain::ids::TenderId;
use crate::domain::rfc::Rfc;
use crate::persistence::complaints;
use crate::persistence::entities::complaint;
use crate::usecases::{Context, Result, UseCaseError, lock as lock_tender, record_event};

pub async fn run(cx: &Context<'_>, id: Uuid, rfc: &Rfc, actor: &Actor) -> Result<complaint::Model> {
    let txn = cx.begin().await?;
    let model = lock(&txn, id).await?;
    // Another supplier's complaint is not its to withdraw, nor to know of.
    if model.complainant_rfc != rfc.as_str() {
        return Err(UseCaseError::NotFound(format!("complaint {id}")));
    }
    let tender = TenderId::from_uuid(model.tender_id);
    let record = lock_tender(&txn, tender).await?;
    let suspended = model.suspension_in_force();
    let to = next(
        ComplaintStatus::from(model.status),
        Step::Withdraw,
        false,
        suspended,
    )?;
    let mut active: complaint::ActiveModel = model.into();
    active.status = Set(to.into());
    active.withdrawn_at = Set(Some(cx.now));
    if suspended {
        active.suspension_lifted_at = Set(Some(cx.now));
    }
    hand_over_suspension(&txn, cx, tender, id, record.tender.suspended_by, actor).await?;
    let saved = complaints::save(&txn, active).await?;
    record_event(
        &txn,
        cx.now,
        actor,
        "complaint.withdrawn",
        tender,
        json!({"complaint_id": id.to_string()}),
    )
    .await?;
    crate::usecases::release::publish(
        &txn,
        cx.feed,
        tender,
        crate::ocds::Event::ComplaintChanged,
        cx.now,
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(saved)
}
