//! The officer judges every opened bid in each lot it offers, qualified or not, with a
//! reason for each refusal ([`decide_evaluation`]). A lot on which no bid qualified is
//! deserted; with every lot deserted, the tender is.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::ids::TenderId;
use crate::domain::lot::LotStatus;
use crate::domain::publication::{Offer, Verdict, decide_evaluation};
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::bids;
use crate::persistence::entities::bid;
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::usecases::{Change, Context, Result, conclude, lock_own, reload};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    verdicts: &[Verdict],
    actor: &Actor,
) -> Result<(TenderRecord, Vec<bid::Model>)> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    crate::usecases::not_suspended(&record)?;
    let (live, offered) = if record.status() == Status::Opened {
        (
            bids::live(&txn, id).await?,
            bids::lots_of_tender(&txn, id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let offers: Vec<Offer> = live
        .iter()
        .map(|b| Offer {
            bid_id: b.id,
            lots: offered
                .iter()
                .filter(|o| o.bid_id == b.id)
                .filter_map(|o| u32::try_from(o.lot).ok())
                .collect(),
        })
        .collect();
    let open_lots: Vec<u32> = record
        .lots
        .iter()
        .filter(|l| LotStatus::from(l.status) == LotStatus::Active)
        .filter_map(|l| u32::try_from(l.number).ok())
        .collect();
    let outcome = decide_evaluation(id, record.status(), &open_lots, &offers, verdicts)?;
    let mut judged = Vec::with_capacity(live.len());
    for model in live {
        let lots: Vec<(u32, bool, Option<String>)> = outcome
            .judgements
            .iter()
            .filter(|j| j.bid_id == model.id)
            .map(|j| (j.lot, j.qualified, j.reason.clone()))
            .collect();
        judged.push(bids::judge(&txn, model, &lots, cx.now).await?);
    }
    tenders::move_lots(&txn, id, &outcome.deserted, LotStatus::Deserted).await?;
    let deserted = outcome.status == Status::Deserted;
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to: outcome.status,
            stamps: Stamps {
                evaluated: true,
                closed: deserted,
                ..Stamps::default()
            },
            actor,
            action: "tender.evaluated",
            fields: json!({
                "qualified": outcome.qualified,
                "not_qualified": outcome.not_qualified,
                "deserted_lots": outcome.deserted,
                "evaluations": outcome
                    .judgements
                    .iter()
                    .map(|j| json!({
                        "bid_id": j.bid_id.to_string(),
                        "lot": j.lot,
                        "qualified": j.qualified,
                        "reason": j.reason,
                    }))
                    .collect::<Vec<_>>(),
            }),
            release: deserted.then_some(Event::Deserted),
        },
    )
    .await?;
    let record = reload(&txn, id).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok((record, judged))
}
