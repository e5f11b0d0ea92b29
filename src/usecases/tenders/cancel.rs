//! An officer cancels a tender, with its reason, at any time before every lot is decided.
//! Its lots' auctions, if any run, close in the same transaction (the engine has halted
//! them first); its undecided lots are cancelled. Once a lot is awarded, the cancellation
//! is of the rest: the tender goes on with the lots it has awarded (SPEC §2's status
//! from its lots), so that a lot that can't be awarded never holds the others up.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::TenderId;
use crate::domain::lot::{LotStatus, tender_status};
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::usecases::auctions::close::{When, close_in};
use crate::usecases::{Change, Context, Result, UseCaseError, conclude, lock_own, reload};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    reason: &str,
    actor: &Actor,
) -> Result<TenderRecord> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    crate::usecases::not_suspended(&record)?;
    if !record.status().cancellable() {
        return Err(UseCaseError::refused(
            Code::NotCancellable,
            format!("tender {id} is {}", record.status().as_str()),
        ));
    }
    for (_, auction) in &record.auctions {
        close_in(&txn, *auction, cx.now, When::Cancelled).await?;
    }
    let undecided: Vec<u32> = record
        .lots
        .iter()
        .filter(|l| !LotStatus::from(l.status).decided())
        .filter_map(|l| u32::try_from(l.number).ok())
        .collect();
    tenders::move_lots(&txn, id, &undecided, LotStatus::Cancelled).await?;
    // With a lot awarded, the tender is what its lots make it; otherwise, cancelled.
    let partial = !record.awards.is_empty();
    let to = if partial {
        let lots: Vec<LotStatus> = record
            .lots
            .iter()
            .map(|l| match LotStatus::from(l.status) {
                s if s.decided() => s,
                _ => LotStatus::Cancelled,
            })
            .collect();
        tender_status(&lots)
    } else {
        Status::Cancelled
    };
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to,
            stamps: Stamps {
                closed: !partial,
                cancel_reason: Some(reason.to_owned()),
                ..Stamps::default()
            },
            actor,
            action: if partial {
                "tender.lots_cancelled"
            } else {
                "tender.cancelled"
            },
            fields: json!({"reason": reason, "lots": undecided}),
            // A draft was never public: its cancellation is not published either.
            release: match (partial, record.tender.published_at.is_some()) {
                (true, _) => Some(Event::LotsCancelled),
                (false, true) => Some(Event::Cancelled),
                (false, false) => None,
            },
        },
    )
    .await?;
    let record = reload(&txn, id).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
