//! The auditor's steps on a complaint ([`next`]): admit it (suspending the tender or not),
//! reject it with a reason of the fixed list, resolve an admitted one (upheld or
//! dismissed, with the written resolution), lift its suspension early. Each step is
//! audited; the resolution applies what an upheld complaint changes.

use sea_orm::{DatabaseTransaction, Set};
use serde_json::json;
use uuid::Uuid;

use super::{hand_over_suspension, lock, suspend};
use crate::domain::audit::Actor;
use crate::domain::complaint::{Act, ComplaintStatus, RejectionReason, Step, next};
use crate::domain::ids::TenderId;
use crate::domain::lot::{LotStatus, tender_status};
use crate::persistence::entities::{BidStatus, complaint};
use crate::persistence::tenders::{self, Stamps, TenderRecord};
use crate::persistence::{awards, bids, complaints};
use crate::usecases::{Context, Result, lock as lock_tender, record_event};

/// What the auditor decides.
#[derive(Debug, Clone)]
pub enum Decision {
    Admit {
        suspend: bool,
    },
    Reject {
        reason: RejectionReason,
        text: String,
    },
    Resolve {
        upheld: bool,
        resolution: String,
    },
    LiftSuspension,
}

pub async fn run(
    cx: &Context<'_>,
    id: Uuid,
    decision: Decision,
    actor: &Actor,
) -> Result<complaint::Model> {
    let txn = cx.begin().await?;
    let model = lock(&txn, id).await?;
    let tender = TenderId::from_uuid(model.tender_id);
    let record = lock_tender(&txn, tender).await?;
    let status: ComplaintStatus = model.status.into();
    let suspended = model.suspension_in_force();
    let (step, upheld) = match &decision {
        Decision::Admit { .. } => (Step::Admit, false),
        Decision::Reject { .. } => (Step::Reject, false),
        Decision::Resolve { upheld, .. } => (Step::Resolve, *upheld),
        Decision::LiftSuspension => (Step::LiftSuspension, false),
    };
    let to = next(status, step, upheld, suspended)?;
    let mut active: complaint::ActiveModel = model.clone().into();
    active.status = Set(to.into());
    let mut fields = serde_json::Map::new();
    fields.insert("complaint_id".into(), id.to_string().into());
    fields.insert("to".into(), to.as_str().into());
    match decision {
        Decision::Admit { suspend } => {
            active.admitted_at = Set(Some(cx.now));
            active.suspends = Set(suspend);
            if suspend && record.tender.suspended_by.is_none() {
                self::suspend(&txn, cx, tender, None, Some(id), actor).await?;
            }
            fields.insert("suspend".into(), suspend.into());
        }
        Decision::Reject { reason, text } => {
            active.decided_at = Set(Some(cx.now));
            active.decided_by = Set(Some(actor.sub.clone()));
            active.rejection_reason = Set(Some(reason.as_str().to_owned()));
            active.decision_text = Set(Some(text));
            fields.insert("reason".into(), reason.as_str().into());
        }
        Decision::Resolve { upheld, resolution } => {
            active.decided_at = Set(Some(cx.now));
            active.decided_by = Set(Some(actor.sub.clone()));
            active.decision_text = Set(Some(resolution.clone()));
            if suspended {
                active.suspension_lifted_at = Set(Some(cx.now));
            }
            hand_over_suspension(&txn, cx, tender, id, record.tender.suspended_by, actor).await?;
            if upheld {
                let effects = apply(&txn, cx, &record, &model, &resolution, actor).await?;
                fields.insert("effects".into(), effects.clone().into());
                active.effects = Set(Some(effects));
            }
        }
        Decision::LiftSuspension => {
            active.suspension_lifted_at = Set(Some(cx.now));
            hand_over_suspension(&txn, cx, tender, id, record.tender.suspended_by, actor).await?;
        }
    }
    let saved = complaints::save(&txn, active).await?;
    record_event(
        &txn,
        cx.now,
        actor,
        match step {
            Step::Admit => "complaint.admitted",
            Step::Reject => "complaint.rejected",
            Step::Resolve => "complaint.resolved",
            Step::LiftSuspension => "complaint.suspension_lifted",
            Step::Withdraw => "complaint.withdrawn",
        },
        tender,
        serde_json::Value::Object(fields),
    )
    .await?;
    crate::usecases::release::publish(
        &txn,
        cx.feed,
        tender,
        crate::ocds::Event::ComplaintChanged,
        cx.now,
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(saved)
}

/// What an upheld complaint changes (SPEC §2), in words for the record:
/// - against a lot's award: the award is annulled unless its contract is signed (which the
///   service does not undo), the winner's bid is disqualified in the lot with the
///   resolution as the reason, and the lot returns to its evaluation (or to its closed
///   auction) for the next eligible bid;
/// - against the conditions: the tender returns to draft for the officer to amend and
///   republish, or cancel; its live bids are withdrawn (they answered the old conditions);
/// - against the opening or the evaluation (the act contested, before any auction or award
///   followed it): that act is annulled and the tender returns to the phase before it
///   (the evaluation undone with an annulled opening), the lots it deserted open again;
///   later, the officer acts on the resolution.
async fn apply(
    txn: &DatabaseTransaction,
    cx: &Context<'_>,
    record: &TenderRecord,
    complaint: &complaint::Model,
    resolution: &str,
    actor: &Actor,
) -> Result<String> {
    let tender = record.id();
    match Act::from(complaint.act) {
        Act::Award => {
            let lot = complaint
                .lot
                .and_then(|l| u32::try_from(l).ok())
                .unwrap_or(1);
            let Some(award) = record
                .award_of(lot)
                .filter(|a| Some(a.id) == complaint.award_id)
            else {
                return Ok(format!(
                    "the contested award of lot {lot} is no longer in force: nothing to annul"
                ));
            };
            if record.contract_of(lot).is_some() {
                return Ok(format!(
                    "the contract of lot {lot} is signed: the service does not undo it; the \
                     officer acts on the resolution"
                ));
            }
            awards::annul(txn, award, cx.now).await?;
            bids::disqualify_in(
                txn,
                award.bid_id,
                lot,
                &format!("Inconformidad {} fundada: {resolution}", complaint.id),
            )
            .await?;
            // The next eligible bid wins the lot; with none left, the lot is deserted.
            let left = bids::qualified_in(txn, tender, lot).await?;
            let back = if left.is_empty() {
                LotStatus::Deserted
            } else if record.auction_of(lot).is_some() {
                LotStatus::Auction
            } else {
                LotStatus::Active
            };
            tenders::move_lots(txn, tender, &[lot], back).await?;
            let lots = record.lot_statuses_with(lot, back);
            tenders::move_to(txn, record, tender_status(&lots), cx.now, Stamps::default()).await?;
            record_event(
                txn,
                cx.now,
                actor,
                "tender.award_annulled",
                tender,
                json!({"lot": lot, "award_id": award.id.to_string(), "complaint_id": complaint.id.to_string()}),
            )
            .await?;
            crate::usecases::release::publish(
                txn,
                cx.feed,
                tender,
                crate::ocds::Event::AwardAnnulled,
                cx.now,
            )
            .await?;
            Ok(if back == LotStatus::Deserted {
                format!(
                    "the award of lot {lot} is annulled and its winner's bid disqualified there; \
                     no other qualified bid is left: the lot is deserted"
                )
            } else {
                format!(
                    "the award of lot {lot} is annulled and its winner's bid disqualified there: \
                     the lot returns to its award"
                )
            })
        }
        Act::Conditions
            if record.status() != crate::domain::tender::Status::Published
                || record.tender.published_at != complaint.contested_at =>
        {
            Ok(
                "the tender has moved on from the publication contested (opened, cancelled or \
                 published again): the officer acts on the resolution"
                    .into(),
            )
        }
        Act::Conditions => {
            for bid in bids::live(txn, tender).await? {
                bids::retire(txn, bid, BidStatus::Withdrawn, cx.now).await?;
            }
            let all: Vec<u32> = record
                .lots
                .iter()
                .filter_map(|l| u32::try_from(l.number).ok())
                .collect();
            tenders::move_lots(txn, tender, &all, LotStatus::Active).await?;
            tenders::move_to(
                txn,
                record,
                crate::domain::tender::Status::Draft,
                cx.now,
                Stamps::default(),
            )
            .await?;
            record_event(
                txn,
                cx.now,
                actor,
                "tender.returned_to_draft",
                tender,
                json!({"complaint_id": complaint.id.to_string()}),
            )
            .await?;
            Ok(
                "the tender returns to draft for its officer to amend and republish, or cancel; \
                 its bids are withdrawn"
                    .into(),
            )
        }
        act @ (Act::Opening | Act::Evaluation) => {
            let opening = act == Act::Opening;
            let current = if opening {
                record.tender.opened_at
            } else {
                record.tender.evaluated_at
            };
            // Only the act contested, before any auction or award followed it.
            let annulled = awards::annulled_of(txn, tender).await?;
            if current.is_none()
                || current != complaint.contested_at
                || !record.awards.is_empty()
                || !annulled.is_empty()
                || !record.auctions.is_empty()
                || record.status() == crate::domain::tender::Status::Cancelled
            {
                return Ok(format!(
                    "the {} contested is no longer the tender's last act (an auction, an award \
                     or a cancellation followed, or it was done again): the officer acts on \
                     the resolution",
                    act.as_str()
                ));
            }
            let (to, undone) = if opening {
                bids::clear_opening(txn, tender).await?;
                (crate::domain::tender::Status::Published, "opening")
            } else {
                bids::clear_evaluation(txn, tender).await?;
                (crate::domain::tender::Status::Opened, "evaluation")
            };
            // The lots its act deserted are open again: every lot after an annulled opening,
            // those some bid offers after an annulled evaluation.
            let offered: Vec<i32> = if opening {
                Vec::new()
            } else {
                bids::lots_of_tender(txn, tender)
                    .await?
                    .iter()
                    .map(|o| o.lot)
                    .collect()
            };
            let reopened: Vec<u32> = record
                .lots
                .iter()
                .filter(|l| LotStatus::from(l.status) == LotStatus::Deserted)
                .filter(|l| opening || offered.contains(&l.number))
                .filter_map(|l| u32::try_from(l.number).ok())
                .collect();
            tenders::move_lots(txn, tender, &reopened, LotStatus::Active).await?;
            tenders::rewind(txn, record, to, opening, cx.now).await?;
            // Complaints against the act annulled (or, with the opening, against the
            // evaluation that followed it) stop suspending the tender: it is to be done again.
            let mut acts = vec![act];
            if opening {
                acts.push(Act::Evaluation);
            }
            let ended =
                complaints::end_suspensions(txn, tender, &acts, complaint.id, cx.now).await?;
            let next = complaints::suspending(txn, tender, complaint.id)
                .await?
                .into_iter()
                .next();
            suspend(txn, cx, tender, record.tender.suspended_by, next, actor).await?;
            record_event(
                txn,
                cx.now,
                actor,
                if opening {
                    "tender.opening_annulled"
                } else {
                    "tender.evaluation_annulled"
                },
                tender,
                json!({
                    "from": record.phase(cx.now).as_str(),
                    "to": crate::domain::tender::phase(to, &record.schedule(), cx.now).as_str(),
                    "complaint_id": complaint.id.to_string(),
                    "lots_reopened": reopened,
                    "suspensions_ended": ended.iter().map(Uuid::to_string).collect::<Vec<_>>(),
                }),
            )
            .await?;
            Ok(format!(
                "the {undone} is annulled: the tender returns to the phase before it, for the \
                 officer to {} again",
                if opening { "open the bids" } else { "evaluate" }
            ))
        }
    }
}
