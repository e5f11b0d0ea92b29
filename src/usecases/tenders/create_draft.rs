//! An officer writes a new draft for its agency.

use super::{draft_json, item_flags, require_agency};
use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::ids::TenderId;
use crate::domain::tender::TenderDraft;
use crate::persistence::tenders::{self, TenderRecord};
use crate::usecases::{Context, Result, lock, record_event};

pub async fn run(
    cx: &Context<'_>,
    agency: &AgencyCode,
    draft: &TenderDraft,
    actor: &Actor,
) -> Result<TenderRecord> {
    let txn = cx.begin().await?;
    require_agency(&txn, agency).await?;
    let flags = item_flags(&txn, draft).await?;
    let id = TenderId::generate();
    tenders::insert_draft(&txn, id, agency, (draft, &flags), &actor.sub, cx.now).await?;
    record_event(&txn, cx.now, actor, "tender.created", id, draft_json(draft)).await?;
    let record = lock(&txn, id).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
