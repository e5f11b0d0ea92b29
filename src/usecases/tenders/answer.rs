//! An officer answers a question, once; the answer is published.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::ids::{QuestionId, TenderId};
use crate::domain::tender::Status;
use crate::ocds::Event;
use crate::persistence::entities::tender_question;
use crate::persistence::tenders;
use crate::usecases::{Context, Result, UseCaseError, lock_own, record_event, release};

pub async fn run(
    cx: &Context<'_>,
    (id, question_id): (TenderId, QuestionId),
    agency: &AgencyCode,
    text: &str,
    actor: &Actor,
) -> Result<tender_question::Model> {
    let txn = cx.begin().await?;
    let record = lock_own(&txn, id, agency).await?;
    if !record.status().cancellable() || record.status() == Status::Draft {
        return Err(UseCaseError::refused(
            Code::NotAnswerable,
            format!("tender {id} is {}", record.status().as_str()),
        ));
    }
    let question = tenders::question(&txn, id, question_id)
        .await?
        .ok_or_else(|| {
            UseCaseError::NotFound(format!("tender {id} has no question {question_id}"))
        })?;
    if question.answer.is_some() {
        return Err(UseCaseError::refused(
            Code::AlreadyAnswered,
            "this question has its answer already",
        ));
    }
    let model = tenders::answer_question(&txn, question, text, &actor.sub, cx.now).await?;
    record_event(
        &txn,
        cx.now,
        actor,
        "tender.question_answered",
        id,
        json!({"question_id": question_id.to_string(), "answer": text}),
    )
    .await?;
    release::publish(&txn, cx.feed, id, Event::ClarificationAnswered, cx.now).await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(model)
}
