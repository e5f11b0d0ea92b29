//! The opening: from `opening_at` on, the officer opens the live bids; who bid, each
//! total and what each offers lot by lot are written in clear. A lot no bid offers is
//! deserted; with every lot deserted (no bid at all), the tender is.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::bid::{check_bid, grand_total};
use crate::domain::ids::TenderId;
use crate::domain::lot::LotStatus;
use crate::domain::publication::{after_opening, openable};
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::bids;
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::usecases::sealed::unseal;
use crate::usecases::{Change, Context, Result, conclude, lock_own, reload};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    actor: &Actor,
) -> Result<TenderRecord> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    crate::usecases::not_suspended(&record)?;
    openable(id, record.status(), &record.schedule(), cx.now)?;
    let live = bids::live(&txn, id).await?;
    let items = record.domain_items();
    let mut opened = Vec::with_capacity(live.len());
    let mut offered = std::collections::BTreeSet::new();
    for model in live.iter().cloned() {
        let unsealed = unseal(cx.sealer, &model)?;
        let totals = check_bid(&items, &unsealed.content)
            .map_err(|e| anyhow::anyhow!("a stored bid no longer checks: {e}"))?;
        let total =
            grand_total(&totals).ok_or_else(|| anyhow::anyhow!("a bid's total overflows"))?;
        offered.extend(totals.keys().copied());
        opened.push(json!({
            "bid_id": model.id.to_string(),
            "rfc": unsealed.rfc,
            "lots": totals.keys().collect::<Vec<_>>(),
        }));
        bids::reveal(&txn, model, &unsealed.rfc, &totals, total).await?;
    }
    let lots: Vec<u32> = record
        .lots
        .iter()
        .filter_map(|l| u32::try_from(l.number).ok())
        .collect();
    let (to, deserted_lots) = after_opening(&lots, &offered);
    tenders::move_lots(&txn, id, &deserted_lots, LotStatus::Deserted).await?;
    let deserted = to == Status::Deserted;
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to,
            stamps: Stamps {
                opened: true,
                closed: deserted,
                ..Stamps::default()
            },
            actor,
            action: "tender.opened",
            fields: json!({
                "bids": live.len(),
                "opened": opened,
                "deserted_lots": deserted_lots,
            }),
            release: deserted.then_some(Event::Deserted),
        },
    )
    .await?;
    let record = reload(&txn, id).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
