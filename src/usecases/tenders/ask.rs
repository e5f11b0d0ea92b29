//! A supplier asks a question during the clarification period.

use serde_json::json;

use super::require_participant;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::TenderId;
use crate::domain::rfc::Rfc;
use crate::domain::tender::Phase;
use crate::persistence::entities::tender_question;
use crate::persistence::tenders;
use crate::usecases::{Context, Result, UseCaseError, lock, record_event};

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    rfc: &Rfc,
    question: &str,
) -> Result<tender_question::Model> {
    let txn = cx.begin().await?;
    let record = lock(&txn, id).await?;
    require_participant(&txn, &record, rfc, cx.today).await?;
    if record.phase(cx.now) != Phase::Clarification {
        return Err(UseCaseError::refused(
            Code::ClarificationClosed,
            format!(
                "questions are taken until {}",
                record.tender.clarifications_until.to_rfc3339()
            ),
        ));
    }
    let model = tenders::insert_question(&txn, id, rfc.as_str(), question, cx.now).await?;
    let actor = Actor {
        role: "supplier".into(),
        sub: rfc.as_str().to_owned(),
    };
    record_event(
        &txn,
        cx.now,
        &actor,
        "tender.question_asked",
        id,
        json!({"question_id": model.id.to_string()}),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(model)
}
