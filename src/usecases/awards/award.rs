//! An officer awards a lot of a tender after its evaluation (and the lot's auction): the
//! service picks the winner among the bids qualified on the lot and checks every rule of
//! SPEC §3 on the lot ([`pick`], [`settle`]), over facts loaded here in one transaction. A
//! barred winner refuses the award with the bar's code, unless the officer gives a reason
//! to pass over barred bids. The tender's status follows its lots.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::award::{AwardFacts, Candidate, Contender, IctFacts, pick, settle};
use crate::domain::ids::TenderId;
use crate::domain::lot::{LotStatus, as_tender, tender_status};
use crate::domain::money::Money;
use crate::domain::rejection::Rejection;
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::auctions::{self, AuctionRecord};
use crate::persistence::awards::{self, NewAward};
use crate::persistence::entities::{award, bid, bid_lot};
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::persistence::{audit, bids, suppliers};
use crate::usecases::sealed::unseal;
use crate::usecases::tenders::Rulebook;
use crate::usecases::{Change, Context, Result, conclude, lock_own, pick_lot, reload};

/// Awards `lot` (`None`: a one-lot tender's only lot).
pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    lot: Option<u32>,
    agency: &AgencyCode,
    pass_over_reason: Option<&str>,
    actor: &Actor,
) -> Result<(TenderRecord, award::Model)> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    crate::usecases::not_suspended(&record)?;
    let lot = pick_lot(&record, lot)?;
    let status = as_tender(record.status(), record.lot_status(lot));
    let auction = match status {
        Status::Auction => auctions::of_lot(&txn, id, lot).await?,
        _ => None,
    };
    let qualified = if matches!(status, Status::Evaluated | Status::Auction) {
        bids::qualified_in(&txn, id, lot).await?
    } else {
        Vec::new()
    };
    let rfcs: Vec<String> = qualified
        .iter()
        .filter_map(|(b, _)| b.rfc.clone())
        .collect();
    let standings = suppliers::eligibility(&txn, &rfcs, cx.today).await?;
    let contenders: Vec<Contender> = qualified
        .iter()
        .filter_map(|(b, offer)| {
            let candidate = at_final_price(b, offer, auction.as_ref())?;
            Some(Contender {
                standing: standings.get(&candidate.rfc).copied().flatten(),
                sealed_total: Money::from_centavos(offer.total_centavos).unwrap_or(candidate.total),
                // Only the winner's envelope is opened, once it is known.
                lines: Vec::new(),
                candidate,
            })
        })
        .collect();
    let rules = Rulebook::load(&txn, &record).await?.of_lot(lot);
    // The lot's items, by their positions in the tender.
    let positions: Vec<i32> = record
        .items
        .iter()
        .filter(|i| u32::try_from(i.lot).ok() == Some(lot))
        .map(|i| i.position)
        .collect();
    let mut facts = AwardFacts {
        tender: id,
        status,
        auction_closed: auction.as_ref().map(AuctionRecord::is_closed),
        contenders,
        items: &rules.items,
        chains: &rules.chains,
        reference: record.lot_reference(lot),
        framework: rules.framework.as_ref(),
        ict: IctFacts {
            assent: rules.assent.as_ref(),
            agency: record.agency(),
            items: &rules.ict_items,
            spent: Money::ZERO,
        },
        pass_over: pass_over_reason.is_some(),
        today: cx.today,
    };
    let mut picked = pick(&facts)?;
    let (won, _) = qualified
        .iter()
        .find(|(b, _)| b.id == picked.winner.candidate.bid_id)
        .context("the winning bid vanished")?;
    // The winner's prices for the lot's items, numbered 1.. within the lot.
    let sealed = unseal(cx.sealer, won)?.content.prices;
    picked.winner.lines = positions
        .iter()
        .enumerate()
        .filter_map(|(i, position)| {
            let line = sealed
                .iter()
                .find(|l| i32::try_from(l.position).ok() == Some(*position))?;
            Some((u32::try_from(i + 1).ok()?, line.unit_price))
        })
        .collect();
    // An assent's amount is spent across every ICT award that cites it (this tender's
    // other lots' included). Awards citing one assent are serialised on the audit chain's
    // head (every award takes it anyway), so two at once can't both spend the same
    // remainder.
    if let Some(assent) = record.assent_id()
        && !rules.ict_items.is_empty()
    {
        audit::lock_head(&txn).await?;
        let mut citing = tenders::citing_assent(&txn, assent, id).await?;
        citing.push(id);
        facts.ict.spent = awards::awarded_in(&txn, &citing).await?;
    }
    let decision = settle(&facts, picked).map_err(|r| in_tender(r, &positions))?;
    let winner = &decision.winner;
    let passed_over: Vec<serde_json::Value> = decision
        .passed_over
        .iter()
        .map(|(c, bar)| json!({"bid_id": c.bid_id.to_string(), "rfc": c.rfc, "bar": bar.code()}))
        .collect();
    let pass_over_reason = pass_over_reason
        .filter(|_| !passed_over.is_empty())
        .map(str::to_owned);
    let model = awards::insert(
        &txn,
        NewAward {
            tender: id,
            lot,
            bid: winner.bid_id,
            rfc: winner.rfc.clone(),
            agency: record.agency().to_owned(),
            procedure: record.procedure().as_str().to_owned(),
            amount: winner.total,
            reference: record.lot_reference(lot),
            savings: decision.savings,
            framework_savings: decision.framework_savings,
            pass_over_reason: pass_over_reason.clone(),
            passed_over: serde_json::Value::Array(passed_over.clone()).to_string(),
            awarded_by: actor.sub.clone(),
            items: serde_json::Value::Array(
                decision
                    .unit_prices
                    .iter()
                    .zip(&positions)
                    .map(|(price, position)| {
                        json!({"position": position, "unit_price_centavos": price.centavos()})
                    })
                    .collect(),
            )
            .to_string(),
        },
        cx.now,
    )
    .await?;
    tenders::move_lots(&txn, id, &[lot], LotStatus::Awarded).await?;
    let lots = record.lot_statuses_with(lot, LotStatus::Awarded);
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to: tender_status(&lots),
            stamps: Stamps::default(),
            actor,
            action: "tender.awarded",
            fields: json!({
                "lot": lot,
                "bid_id": winner.bid_id.to_string(),
                "rfc": winner.rfc,
                "amount": winner.total.to_string(),
                "savings": Money::from_centavos(decision.savings.max(0)).unwrap_or_default().to_string(),
                "passed_over": passed_over,
                "pass_over_reason": pass_over_reason,
            }),
            release: Some(Event::Awarded),
        },
    )
    .await?;
    let record = reload(&txn, id).await?;
    txn.commit().await.context("committing the award")?;
    Ok((record, model))
}

/// A bid qualified on the lot at its final price there: its sealed total for the lot, or
/// after the lot's auction its last auction price, given when its last auction bid was
/// placed.
fn at_final_price(
    b: &bid::Model,
    offer: &bid_lot::Model,
    auction: Option<&AuctionRecord>,
) -> Option<Candidate> {
    let rfc = b.rfc.clone()?;
    let sealed = Money::from_centavos(offer.total_centavos).ok()?;
    let (total, priced_at): (Money, DateTime<Utc>) =
        match auction.and_then(|a| Some((a, a.participants.iter().find(|p| p.bid_id == b.id)?))) {
            None => (sealed, b.received_at),
            Some((auction, participant)) => {
                let price = Money::from_centavos(participant.final_centavos?).ok()?;
                let at = auction
                    .bids
                    .iter()
                    .rev()
                    .find(|ab| ab.rfc == participant.rfc)
                    .map_or(b.received_at, |ab| ab.placed_at);
                (price, at)
            }
        };
    Some(Candidate {
        bid_id: b.id,
        rfc,
        total,
        priced_at,
    })
}

/// A refusal naming the lot's items (`items[i]`, the i-th of the lot) names them as the
/// tender numbers them (`items[position - 1]`, as its view lists them).
fn in_tender(rejection: Rejection, positions: &[i32]) -> Rejection {
    let Rejection::Fields(mut errors) = rejection else {
        return rejection;
    };
    for error in &mut errors.0 {
        let Some((index, tail)) = error
            .field
            .strip_prefix("items[")
            .and_then(|rest| rest.split_once(']'))
        else {
            continue;
        };
        if let Some(position) = index.parse::<usize>().ok().and_then(|i| positions.get(i)) {
            error.field = format!("items[{}]{tail}", position - 1);
        }
    }
    Rejection::Fields(errors)
}
