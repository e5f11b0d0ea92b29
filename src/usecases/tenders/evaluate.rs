//! The officer marks every opened bid qualified or not, with a reason for each refusal
//! ([`decide_evaluation`]). No qualified bid: the tender is deserted.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::ids::TenderId;
use crate::domain::publication::{Verdict, decide_evaluation};
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::bids;
use crate::persistence::entities::bid;
use crate::persistence::tenders::{Stamps, TenderRecord};
use crate::usecases::{Change, Context, Result, conclude, lock_own};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    verdicts: &[Verdict],
    actor: &Actor,
) -> Result<(TenderRecord, Vec<bid::Model>)> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    let live = if record.status() == Status::Opened {
        bids::live(&txn, id).await?
    } else {
        Vec::new()
    };
    let live_ids: Vec<uuid::Uuid> = live.iter().map(|b| b.id).collect();
    let outcome = decide_evaluation(id, record.status(), &live_ids, verdicts)?;
    let mut judged = Vec::with_capacity(live.len());
    for model in live {
        let Some(v) = verdicts.iter().find(|v| v.bid_id == model.id) else {
            continue;
        };
        let reason = v.reason.clone().filter(|r| !r.trim().is_empty());
        judged.push(bids::judge(&txn, model, v.qualified, reason, cx.now).await?);
    }
    let deserted = outcome.status == Status::Deserted;
    let model = conclude(
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
                "evaluations": judged
                    .iter()
                    .map(|b| json!({
                        "bid_id": b.id.to_string(),
                        "qualified": b.qualified,
                        "reason": b.evaluation_reason,
                    }))
                    .collect::<Vec<_>>(),
            }),
            release: deserted.then_some(Event::Deserted),
        },
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok((
        TenderRecord {
            tender: model,
            ..record
        },
        judged,
    ))
}
