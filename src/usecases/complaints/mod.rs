//! Complaints (inconformidades): filed by a supplier, admitted (with a suspension of the
//! tender or not) or rejected by an auditor, resolved, withdrawn; a file each.

pub mod decide;
pub mod file;
pub mod withdraw;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{Result, UseCaseError};
use crate::domain::audit::Actor;
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
/// takes over, or the tender is no longer suspended (and its auctions resume).
pub async fn hand_over_suspension(
    txn: &DatabaseTransaction,
    tender: TenderId,
    ended: Uuid,
    suspended_by: Option<Uuid>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    if suspended_by != Some(ended) {
        return Ok(());
    }
    let next = complaints::suspending(txn, tender, ended)
        .await?
        .into_iter()
        .next();
    suspend(txn, tender, suspended_by, next, now, actor).await
}

/// Records which complaint's suspension is in force on the tender (`None`: it is no
/// longer suspended). Its live auctions pause as a suspension begins, and resume with the
/// time they had left when the last one ends.
pub async fn suspend(
    txn: &DatabaseTransaction,
    tender: TenderId,
    was: Option<Uuid>,
    next: Option<Uuid>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    tenders::set_suspension(txn, tender, next).await?;
    match (was, next) {
        (None, Some(by)) => {
            crate::usecases::auctions::pause::pause_tender(txn, tender, by, now, actor).await?;
        }
        (Some(_), None) => {
            crate::usecases::auctions::pause::resume_tender(txn, tender, now, actor).await?;
        }
        _ => {}
    }
    Ok(())
}
