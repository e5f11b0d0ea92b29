//! An officer awards a tender after its evaluation (and auction): the service picks the
//! winner and checks every rule of SPEC §3 in one decision ([`decide`]), over facts loaded
//! here in one transaction. A barred winner refuses the award with the bar's code, unless
//! the officer gives a reason to pass over barred bids.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::award::{AwardFacts, Candidate, Contender, IctFacts, pick, settle};
use crate::domain::ids::TenderId;
use crate::domain::money::Money;
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::auctions::{self, AuctionRecord};
use crate::persistence::awards::{self, NewAward};
use crate::persistence::entities::{award, bid};
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::persistence::{audit, bids, suppliers};
use crate::usecases::sealed::unseal;
use crate::usecases::tenders::Rulebook;
use crate::usecases::{Change, Context, Result, conclude, lock_own};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    pass_over_reason: Option<&str>,
    actor: &Actor,
) -> Result<(TenderRecord, award::Model)> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    let auction = match record.status() {
        Status::Auction => auctions::of_tender(&txn, id).await?,
        _ => None,
    };
    let qualified = if matches!(record.status(), Status::Evaluated | Status::Auction) {
        bids::qualified(&txn, id).await?
    } else {
        Vec::new()
    };
    let rfcs: Vec<String> = qualified.iter().filter_map(|b| b.rfc.clone()).collect();
    let standings = suppliers::eligibility(&txn, &rfcs, cx.today).await?;
    let contenders: Vec<Contender> = qualified
        .iter()
        .filter_map(|b| {
            let candidate = at_final_price(b, auction.as_ref())?;
            Some(Contender {
                standing: standings.get(&candidate.rfc).copied().flatten(),
                sealed_total: b
                    .total_centavos
                    .and_then(|c| Money::from_centavos(c).ok())
                    .unwrap_or(candidate.total),
                // Only the winner's envelope is opened, once it is known.
                lines: Vec::new(),
                candidate,
            })
        })
        .collect();
    let rules = Rulebook::load(&txn, &record).await?;
    let mut facts = AwardFacts {
        tender: id,
        status: record.status(),
        auction_closed: auction.as_ref().map(AuctionRecord::is_closed),
        contenders,
        items: &rules.items,
        chains: &rules.chains,
        reference: record.reference(),
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
    let won = qualified
        .iter()
        .find(|b| b.id == picked.winner.candidate.bid_id)
        .context("the winning bid vanished")?;
    picked.winner.lines = unseal(cx.sealer, won)?
        .content
        .prices
        .iter()
        .map(|l| (l.position, l.unit_price))
        .collect();
    // An assent's amount is spent across every award that cites it. Awards citing one
    // assent are serialised on the audit chain's head (every award takes it anyway), so
    // two at once can't both spend the same remainder.
    if let Some(assent) = record.assent_id()
        && !rules.ict_items.is_empty()
    {
        audit::lock_head(&txn).await?;
        let others = tenders::citing_assent(&txn, assent, id).await?;
        facts.ict.spent = awards::awarded_in(&txn, &others).await?;
    }
    let decision = settle(&facts, picked)?;
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
            bid: winner.bid_id,
            rfc: winner.rfc.clone(),
            agency: record.agency().to_owned(),
            procedure: record.procedure().as_str().to_owned(),
            amount: winner.total,
            reference: record.reference(),
            savings: decision.savings,
            framework_savings: decision.framework_savings,
            pass_over_reason: pass_over_reason.clone(),
            passed_over: serde_json::Value::Array(passed_over.clone()).to_string(),
            awarded_by: actor.sub.clone(),
            items: serde_json::Value::Array(
                decision
                    .unit_prices
                    .iter()
                    .enumerate()
                    .map(|(i, price)| {
                        json!({"position": i + 1, "unit_price_centavos": price.centavos()})
                    })
                    .collect(),
            )
            .to_string(),
        },
        cx.now,
    )
    .await?;
    let updated = conclude(
        &txn,
        cx,
        &record,
        Change {
            to: Status::Awarded,
            stamps: Stamps::default(),
            actor,
            action: "tender.awarded",
            fields: json!({
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
    txn.commit().await.context("committing the award")?;
    Ok((
        TenderRecord {
            tender: updated,
            award: Some(model.clone()),
            ..record
        },
        model,
    ))
}

/// A qualified bid at its final price: its sealed total, or after an auction its last
/// auction price, given when its last auction bid was placed.
fn at_final_price(b: &bid::Model, auction: Option<&AuctionRecord>) -> Option<Candidate> {
    let rfc = b.rfc.clone()?;
    let sealed = Money::from_centavos(b.total_centavos?).ok()?;
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
