//! An officer cancels a tender, with its reason, at any time before a lot is awarded.
//! Its lots' auctions, if any run, close in the same transaction (the engine has halted
//! them first); its undecided lots are cancelled with it.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::TenderId;
use crate::domain::lot::LotStatus;
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
    if !record.status().cancellable() {
        return Err(UseCaseError::refused(
            Code::NotCancellable,
            format!("tender {id} is {}", record.status().as_str()),
        ));
    }
    if let Some(award) = record.awards.first() {
        return Err(UseCaseError::refused(
            Code::NotCancellable,
            format!("lot {} of tender {id} is awarded already", award.lot),
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
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to: Status::Cancelled,
            stamps: Stamps {
                closed: true,
                cancel_reason: Some(reason.to_owned()),
                ..Stamps::default()
            },
            actor,
            action: "tender.cancelled",
            fields: json!({"reason": reason}),
            // A draft was never public: its cancellation is not published either.
            release: record
                .tender
                .published_at
                .is_some()
                .then_some(Event::Cancelled),
        },
    )
    .await?;
    let record = reload(&txn, id).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
