//! The ICT authority decides a request, once ([`decide_request`]). An approved strategic
//! project counts against the agency's limit for the fiscal year of the decision.

use serde_json::json;

use crate::domain::audit::Actor;
use crate::domain::ict::{Decision, IctPolicy, decide_request};
use crate::domain::ids::AssentId;
use crate::domain::money::Money;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::entities::AssentStatus;
use crate::persistence::ict::{self, AssentRecord, Decided};
use crate::usecases::{Context, Result, UseCaseError};

pub async fn run(
    cx: &Context<'_>,
    id: AssentId,
    decision: &Decision,
    policy: &IctPolicy,
    actor: &Actor,
) -> Result<AssentRecord> {
    let txn = cx.begin().await?;
    // Decisions queue behind one lock so that two approvals cannot both take the last
    // strategic place.
    audit::lock_head(&txn).await?;
    let current = ict::lock(&txn, id)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("ICT assent {id} not found")))?;
    let fiscal_year = policy.fiscal_year(cx.today);
    let held = if current.strategic {
        ict::strategic_held(&txn, &current.agency, fiscal_year).await?
    } else {
        0
    };
    decide_request(
        id,
        (current.status != AssentStatus::Requested).then(|| current.status.as_str()),
        current.strategic,
        decision,
        (&current.agency, held, fiscal_year),
        policy,
    )?;
    let decided = match decision {
        Decision::Approve {
            amount,
            expires_on,
            notes,
        } => Decided {
            status: AssentStatus::Approved,
            approved: Some(*amount),
            expires_on: Some(*expires_on),
            fiscal_year: Some(fiscal_year),
            notes: notes.clone(),
            decided_by: actor.sub.clone(),
        },
        Decision::Reject { notes } => Decided {
            status: AssentStatus::Rejected,
            approved: None,
            expires_on: None,
            fiscal_year: None,
            notes: Some(notes.clone()),
            decided_by: actor.sub.clone(),
        },
    };
    let record = ict::write_decision(&txn, current, decided, cx.now).await?;
    let model = &record.assent;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "ict_assent.decided",
            entity_type: "ict_assent",
            entity_id: &id.to_string(),
            data: json!({
                "status": model.status.as_str(),
                "approved_amount": model.approved_centavos.and_then(|c| Money::from_centavos(c).ok()).map(|m| m.to_string()),
                "expires_on": model.expires_on.map(|d| d.to_string()),
                "notes": model.decision_notes,
            }),
        },
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
