//! An officer requests an ICT assent for its agency.

use serde_json::json;

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::validation::ValidationErrors;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::classifier::missing_codes;
use crate::persistence::ict::{self, AssentRecord, NewAssent};
use crate::usecases::tenders::require_agency;
use crate::usecases::{Context, Result};

pub async fn run(
    cx: &Context<'_>,
    agency: &AgencyCode,
    new: &NewAssent,
    actor: &Actor,
) -> Result<AssentRecord> {
    let txn = cx.begin().await?;
    require_agency(&txn, agency).await?;
    let missing = missing_codes(&txn, &new.codes).await?;
    let mut errors = ValidationErrors::new();
    for (i, code) in new
        .codes
        .iter()
        .enumerate()
        .filter(|(_, c)| missing.contains(c))
    {
        errors.push(
            &format!("classifier_codes[{i}]"),
            Code::UnknownClassifierCode,
            format!("{code} is not in the classifier"),
        );
    }
    errors.finish()?;
    let record = ict::insert(&txn, agency, new, &actor.sub, cx.now).await?;
    audit::append(
        &txn,
        cx.now,
        NewEvent {
            actor,
            action: "ict_assent.requested",
            entity_type: "ict_assent",
            entity_id: &record.assent.id.to_string(),
            data: json!({
                "agency": agency.as_str(),
                "title": new.title,
                "amount": new.amount.to_string(),
                "strategic": new.strategic,
                "codes": new.codes,
            }),
        },
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(record)
}
