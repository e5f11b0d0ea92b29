//! An officer replaces a draft's content; only drafts are edited.

use super::{draft_json, item_flags};
use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::TenderId;
use crate::domain::tender::{Status, TenderDraft};
use crate::persistence::tenders::{self, TenderRecord};
use crate::usecases::{Context, Result, UseCaseError, lock, lock_own, record_event};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    agency: &AgencyCode,
    draft: &TenderDraft,
    actor: &Actor,
) -> Result<TenderRecord> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    if record.status() != Status::Draft {
        return Err(UseCaseError::refused(
            Code::NotADraft,
            format!(
                "tender {id} is {}; only drafts are edited",
                record.status().as_str()
            ),
        ));
    }
    let flags = item_flags(&txn, draft).await?;
    tenders::update_draft(&txn, &record, (draft, &flags), cx.now).await?;
    record_event(&txn, cx.now, actor, "tender.updated", id, draft_json(draft)).await?;
    let record = lock(&txn, id).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
