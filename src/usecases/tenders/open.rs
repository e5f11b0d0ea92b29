//! The opening: from `opening_at` on, the officer opens the live bids; who bid and each
//! total are written in clear. No bid: the tender is deserted.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::bid::check_bid;
use crate::domain::ids::TenderId;
use crate::domain::publication::{after_opening, openable};
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::bids;
use crate::persistence::tenders::{Stamps, TenderRecord};
use crate::usecases::sealed::unseal;
use crate::usecases::{Change, Context, Result, conclude, lock_own};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    actor: &Actor,
) -> Result<TenderRecord> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    openable(id, record.status(), &record.schedule(), cx.now)?;
    let live = bids::live(&txn, id).await?;
    let items = record.domain_items();
    let mut opened = Vec::with_capacity(live.len());
    for model in live.iter().cloned() {
        let unsealed = unseal(cx.sealer, &model)?;
        let total = check_bid(&items, &unsealed.content)
            .map_err(|e| anyhow::anyhow!("a stored bid no longer checks: {e}"))?;
        opened.push(json!({"bid_id": model.id.to_string(), "rfc": unsealed.rfc}));
        bids::reveal(&txn, model, &unsealed.rfc, total).await?;
    }
    let to = after_opening(live.len());
    let deserted = to == Status::Deserted;
    let model = conclude(
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
            fields: json!({"bids": live.len(), "opened": opened}),
            release: deserted.then_some(Event::Deserted),
        },
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(TenderRecord {
        tender: model,
        ..record
    })
}
