//! An officer publishes a draft: the schedule, the invited suppliers, the ICT assent and
//! the framework-contract rule are checked now ([`decide_publication`]).

use serde_json::json;

use super::Rulebook;
use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::ids::TenderId;
use crate::domain::publication::{PublicationFacts, decide_publication};
use crate::domain::tender::{LegalPeriods, Status};
use crate::ocds::Event;
use crate::persistence::tenders::{Stamps, TenderRecord};
use crate::persistence::{frameworks, suppliers};
use crate::usecases::{Change, Context, Result, conclude, lock_own};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    periods: &LegalPeriods,
    actor: &Actor,
) -> Result<TenderRecord> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    crate::usecases::not_suspended(&record)?;
    let rules = Rulebook::load(&txn, &record).await?;
    let standings = suppliers::eligibility(&txn, &record.invited, cx.today).await?;
    let invited: Vec<(String, Option<_>)> = record
        .invited
        .iter()
        .map(|rfc| (rfc.clone(), standings.get(rfc).copied().flatten()))
        .collect();
    // The contracts that price an item's code or one of its ancestors' (the decision keeps
    // those in force).
    let mut codes = record.codes();
    codes.extend(rules.chains.iter().flatten().cloned());
    let nearby: Vec<_> = frameworks::pricing_any(&txn, &codes)
        .await?
        .iter()
        .map(|f| (f.id(), f.for_rules()))
        .collect();
    decide_publication(&PublicationFacts {
        tender: id,
        status: record.status(),
        procedure: record.procedure(),
        scope: record.scope(),
        schedule: record.schedule(),
        periods,
        now: cx.now,
        today: cx.today,
        invited: &invited,
        agency: record.agency(),
        assent: rules.assent.as_ref(),
        ict_items: &rules.ict_items,
        items: &rules.items,
        chains: &rules.chains,
        framework: rules.framework.as_ref(),
        exception: record.tender.framework_exception.is_some(),
        nearby: &nearby,
    })?;
    let model = conclude(
        &txn,
        cx,
        &record,
        Change {
            to: Status::Published,
            stamps: Stamps {
                published: true,
                ..Stamps::default()
            },
            actor,
            action: "tender.published",
            fields: json!({}),
            release: Some(Event::Published),
        },
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(TenderRecord {
        tender: model,
        ..record
    })
}
