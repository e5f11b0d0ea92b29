//! An officer schedules the auction of an evaluated tender's lot ([`decide_schedule`]):
//! the suppliers qualified on the lot take part at their sealed totals for it, under the
//! lot's reference value; the lot, and the tender, move to the auction.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::ids::{AuctionId, TenderId};
use crate::domain::lot::{LotStatus, as_tender, tender_status};
use crate::domain::money::Money;
use crate::domain::scheduling::{Qualified, ScheduleFacts, decide_schedule};
use crate::ocds::Event;
use crate::persistence::auctions::{self, AuctionRecord, NewAuction};
use crate::persistence::bids;
use crate::persistence::entities::auction_participant;
use crate::persistence::tenders::{self, Stamps};
use crate::usecases::tenders::Rulebook;
use crate::usecases::{Change, Context, Result, conclude, lock_own, pick_lot};

/// Schedules the auction of `lot` (`None`: a one-lot tender's only lot).
pub async fn run(
    cx: &Context<'_>,
    tender: TenderId,
    lot: Option<u32>,
    agency: &AgencyCode,
    request: serde_json::Value,
    time_factor: u32,
    actor: &Actor,
) -> Result<AuctionRecord> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, tender, agency).await?;
    crate::usecases::not_suspended(&record)?;
    let lot = pick_lot(&record, lot)?;
    let qualified: Vec<Qualified> = bids::qualified_in(&txn, tender, lot)
        .await?
        .into_iter()
        .filter_map(|(b, offer)| {
            Some(Qualified {
                bid_id: b.id,
                // Opened bids carry their RFC in clear.
                rfc: b.rfc.clone().unwrap_or_default(),
                total: Money::from_centavos(offer.total_centavos).ok()?,
                received_at: b.received_at,
            })
        })
        .collect();
    let rules = Rulebook::load(&txn, &record).await?.of_lot(lot);
    let planned = record
        .tender
        .auction_settings
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let decision = decide_schedule(ScheduleFacts {
        tender,
        status: as_tender(record.status(), record.lot_status(lot)),
        qualified,
        planned: planned.as_ref(),
        request,
        now: cx.now,
        time_factor,
        reference: record.lot_reference(lot),
        framework: rules.framework.as_ref(),
        items: &rules.items,
        chains: &rules.chains,
    })?;
    let id = AuctionId::generate();
    let participants: Vec<auction_participant::Model> = decision
        .participants
        .iter()
        .enumerate()
        .map(|(i, q)| auction_participant::Model {
            auction_id: id.uuid(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            rfc: q.rfc.clone(),
            bid_id: q.bid_id,
            start_centavos: q.total.centavos(),
            final_centavos: None,
            final_rank: None,
        })
        .collect();
    let count = participants.len();
    tenders::move_lots(&txn, tender, &[lot], LotStatus::Auction).await?;
    let lots = record.lot_statuses_with(lot, LotStatus::Auction);
    let stored = auctions::insert(
        &txn,
        NewAuction {
            id,
            tender,
            lot,
            settings: decision.settings.clone(),
            ceiling: decision.ceiling,
            ends_at: decision.ends_at,
            created_by: actor.sub.clone(),
            participants,
        },
        cx.now,
    )
    .await?;
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to: tender_status(&lots),
            stamps: Stamps::default(),
            actor,
            action: "tender.auction_scheduled",
            fields: json!({
                "auction_id": id.to_string(),
                "lot": lot,
                "settings": decision.settings,
                "ceiling": decision.ceiling.to_string(),
                "participants": count,
            }),
            release: Some(Event::AuctionScheduled),
        },
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(stored)
}
