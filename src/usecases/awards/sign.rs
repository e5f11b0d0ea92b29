//! An officer records a lot's signed contract ([`decide_contract`]): its amount is the
//! lot's award; the lot becomes `contracted`, and the tender once every awarded lot is.

use anyhow::Context as _;
use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::contract::{AwardFigures, ContractTerms, decide_contract};
use crate::domain::ids::TenderId;
use crate::domain::lot::{LotStatus, as_tender, tender_status};
use crate::domain::money::Money;
use crate::ocds::Event;
use crate::persistence::awards;
use crate::persistence::entities::contract;
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::usecases::{Change, Context, Result, conclude, lock_own, pick_lot, reload};

/// Records the contract of `lot` (`None`: a one-lot tender's only lot).
pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    lot: Option<u32>,
    agency: &AgencyCode,
    terms: &ContractTerms,
    actor: &Actor,
) -> Result<(TenderRecord, contract::Model)> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    crate::usecases::not_suspended(&record)?;
    let lot = pick_lot(&record, lot)?;
    let award = record.award_of(lot);
    let figures = award.map(|a| AwardFigures {
        amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
        awarded_at: a.awarded_at,
    });
    let status = as_tender(record.status(), record.lot_status(lot));
    decide_contract(id, status, figures, terms, cx.today, cx.legal_offset)?;
    let award = award.context("an awarded lot without its award")?;
    let model = awards::insert_contract(&txn, award, terms, &actor.sub, cx.now).await?;
    tenders::move_lots(&txn, id, &[lot], LotStatus::Contracted).await?;
    let lots = record.lot_statuses_with(lot, LotStatus::Contracted);
    conclude(
        &txn,
        cx,
        &record,
        Change {
            to: tender_status(&lots),
            stamps: Stamps::default(),
            actor,
            action: "tender.contracted",
            fields: json!({
                "lot": lot,
                "contract_id": model.id.to_string(),
                "amount": terms.amount.to_string(),
                "signed_on": terms.signed_on.to_string(),
                "starts_on": terms.starts_on.to_string(),
                "ends_on": terms.ends_on.to_string(),
            }),
            release: Some(Event::Contracted),
        },
    )
    .await?;
    let record = reload(&txn, id).await?;
    txn.commit().await.context("committing the contract")?;
    Ok((record, model))
}
