//! Complaints (inconformidades): filed by a supplier, admitted (with a suspension of the
//! tender or not) or rejected by an auditor, resolved, withdrawn; a file each.

pub mod decide;
pub mod file;
pub mod withdraw;

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{Result, UseCaseError};
use crate::domain::ids::TenderId;
use crate::persistence::entities::complaint;
use crate::persistence::{complaints, tenders};

/// Locks a complaint for a change.
pub async fn lock(txn: &DatabaseTransaction, id: Uuid) -> Result<complaint::Model> {
    complaints::lock(txn, id)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("complaint {id}")))
}

/// After `ended` stops suspending its tender: another admitted complaint's suspension
/// takes over, or the tender is no longer suspended.
pub async fn hand_over_suspension(
    txn: &DatabaseTransaction,
    tender: TenderId,
    ended: Uuid,
    suspended_by: Option<Uuid>,
) -> Result<()> {
    if suspended_by != Some(ended) {
        return Ok(());
    }
    let next = complaints::suspending(txn, tender, ended)
        .await?
        .into_iter()
        .next();
    tenders::set_suspension(txn, tender, next).await?;
    Ok(())
}
