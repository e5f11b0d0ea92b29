//! An officer records the signed contract ([`decide_contract`]): its amount is the
//! award's; the tender becomes `contracted`.

use anyhow::Context as _;
use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::contract::{AwardFigures, ContractTerms, decide_contract};
use crate::domain::ids::TenderId;
use crate::domain::money::Money;
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::awards;
use crate::persistence::entities::contract;
use crate::persistence::tenders::{Stamps, TenderRecord};
use crate::usecases::{Change, Context, Result, conclude, lock_own};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    terms: &ContractTerms,
    actor: &Actor,
) -> Result<(TenderRecord, contract::Model)> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    let figures = record.award.as_ref().map(|a| AwardFigures {
        amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
        awarded_at: a.awarded_at,
    });
    decide_contract(
        id,
        record.status(),
        figures,
        terms,
        cx.today,
        cx.legal_offset,
    )?;
    let award = record
        .award
        .as_ref()
        .context("an awarded tender without its award")?;
    let model = awards::insert_contract(&txn, award, terms, &actor.sub, cx.now).await?;
    let updated = conclude(
        &txn,
        cx,
        &record,
        Change {
            to: Status::Contracted,
            stamps: Stamps::default(),
            actor,
            action: "tender.contracted",
            fields: json!({
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
    txn.commit().await.context("committing the contract")?;
    Ok((
        TenderRecord {
            tender: updated,
            contract: Some(model.clone()),
            ..record
        },
        model,
    ))
}
