//! Complaints (inconformidades): filed by a supplier, admitted (with a suspension of the
//! tender or not) or rejected by an auditor, resolved, withdrawn; a file each.

pub mod decide;
pub mod file;
pub mod withdraw;

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{Context, Result, UseCaseError};
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
    cx: &Context<'_>,
    tender: TenderId,
    ended: Uuid,
    suspended_by: Option<Uuid>,
    actor: &Actor,
) -> Result<()> {
    if suspended_by != Some(ended) {
        return Ok(());
    }
    let next = complaints::suspending(txn, tender, ended)
        .await?
        .into_iter()
        .next();
    suspend(txn, cx, tender, suspended_by, next, actor).await
}

/// Records which complaint's suspension is in force on the tender (`None`: it is no
/// longer suspended). Its live auctions pause as a suspension begins, and resume with the
/// time they had left when the last one ends.
pub async fn suspend(
    txn: &DatabaseTransaction,
    cx: &Context<'_>,
    tender: TenderId,
    was: Option<Uuid>,
    next: Option<Uuid>,
    actor: &Actor,
) -> Result<()> {
    use crate::usecases::auctions::pause::{pause_tender, resume_tender};
    tenders::set_suspension(txn, tender, next).await?;
    match (was, next) {
        (None, Some(by)) => {
            pause_tender(txn, cx, tender, by, actor).await?;
        }
        (Some(_), None) => {
            resume_tender(txn, cx, tender, actor).await?;
        }
        _ => {}
    }
    Ok(())
}
