//! A supplier files a complaint against an act of a tender ([`decide_filing`]): the
//! conditions until the submission deadline (any registered supplier), the opening, the
//! evaluation or a lot's award within the window of business days after it (a supplier
//! that bid; in the award's lot).

use serde_json::json;
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::complaint::{Act, Calendar, FilingFacts, Standing, decide_filing};
use crate::domain::ids::TenderId;
use crate::domain::rfc::Rfc;
use crate::domain::supplier::Ineligible;
use crate::domain::tender::Status;
use crate::domain::validation::ValidationErrors;
use crate::persistence::complaints::{self, NewComplaint};
use crate::persistence::entities::complaint;
use crate::persistence::{bids, suppliers};
use crate::usecases::{Context, Result, UseCaseError, lock, pick_lot, record_event};

/// What the supplier writes.
#[derive(Debug, Clone)]
pub struct Filing {
    pub act: Act,
    pub lot: Option<u32>,
    pub title: String,
    pub facts: String,
    pub request: String,
}

pub async fn run(
    cx: &Context<'_>,
    id: TenderId,
    rfc: &Rfc,
    filing: Filing,
    (days, calendar): (u32, &Calendar),
    actor: &Actor,
) -> Result<complaint::Model> {
    let txn = cx.begin().await?;
    let record = lock(&txn, id).await?;
    if record.status() == Status::Draft {
        return Err(UseCaseError::tender_not_found(id));
    }
    let lot = match (filing.act, filing.lot) {
        (Act::Award, lot) => Some(pick_lot(&record, lot)?),
        (_, None) => None,
        (act, Some(_)) => {
            let mut errors = ValidationErrors::new();
            errors.push(
                "lot",
                Code::InvalidComplaint,
                format!("a complaint against the {} names no lot", act.as_str()),
            );
            return Err(UseCaseError::Invalid(errors));
        }
    };
    let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&cx.legal_offset).date_naive();
    let act_day = match filing.act {
        Act::Conditions => None,
        Act::Opening => record.tender.opened_at.map(day),
        Act::Evaluation => record.tender.evaluated_at.map(day),
        Act::Award => lot
            .and_then(|l| record.award_of(l))
            .map(|a| day(a.awarded_at)),
    };
    let registered = !matches!(
        suppliers::eligibility(&txn, &[rfc.as_str().to_owned()], cx.today)
            .await?
            .remove(rfc.as_str())
            .flatten(),
        Some(Ineligible::NotRegistered)
    );
    // Opened bids carry their RFC in clear; before the opening nobody has "bid" publicly.
    let own: Vec<Uuid> = bids::live(&txn, id)
        .await?
        .into_iter()
        .filter(|b| b.rfc.as_deref() == Some(rfc.as_str()))
        .map(|b| b.id)
        .collect();
    let bid = match lot {
        Some(lot) => bids::lots_of_tender(&txn, id)
            .await?
            .iter()
            .any(|o| own.contains(&o.bid_id) && u32::try_from(o.lot).ok() == Some(lot)),
        None => !own.is_empty(),
    };
    decide_filing(&FilingFacts {
        act: filing.act,
        act_day,
        deadline_day: day(record.tender.submission_deadline),
        deadline_passed: cx.now >= record.tender.submission_deadline,
        today: cx.today,
        standing: Standing { registered, bid },
        days,
        calendar,
    })?;
    let model = complaints::insert(
        &txn,
        NewComplaint {
            id: uuid_at(cx.now),
            tender: id,
            agency: record.agency().to_owned(),
            act: filing.act,
            lot,
            award: lot.and_then(|l| record.award_of(l)).map(|a| a.id),
            contested_at: match filing.act {
                Act::Conditions => record.tender.published_at,
                Act::Opening => record.tender.opened_at,
                Act::Evaluation => record.tender.evaluated_at,
                Act::Award => lot.and_then(|l| record.award_of(l)).map(|a| a.awarded_at),
            },
            complainant: rfc.as_str().to_owned(),
            title: filing.title,
            facts: filing.facts,
            request: filing.request,
        },
        cx.now,
    )
    .await?;
    record_event(
        &txn,
        cx.now,
        actor,
        "complaint.filed",
        id,
        json!({
            "complaint_id": model.id.to_string(),
            "act": filing.act.as_str(),
            "lot": lot,
        }),
    )
    .await?;
    crate::usecases::release::publish(
        &txn,
        cx.feed,
        id,
        crate::ocds::Event::ComplaintChanged,
        cx.now,
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(model)
}

/// A time-ordered id (UUIDv7) stamped with the service's time, so that the lists' order
/// by id agrees with the filing times.
fn uuid_at(now: chrono::DateTime<chrono::Utc>) -> Uuid {
    let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        seconds,
        now.timestamp_subsec_nanos(),
    ))
}
