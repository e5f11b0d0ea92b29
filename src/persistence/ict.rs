//! ICT assents: requests, decisions, and the view the tender rules take of them.

use crate::domain::code::Code;
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, NewEvent};
use super::classifier::{ancestors, find, missing_codes};
use super::entities::{ict_assent, ict_assent_code};
use super::tenders::{TenderError, TenderRecord};
use crate::domain::audit::Actor;
use crate::domain::ict::{Assent, IctPolicy};
use crate::domain::money::Money;
use crate::domain::validation::ValidationErrors;

/// An assent with its classifier codes.
#[derive(Debug, Clone)]
pub struct AssentRecord {
    pub assent: ict_assent::Model,
    pub codes: Vec<String>,
}

impl AssentRecord {
    pub fn for_rules(&self) -> Assent {
        Assent {
            agency: self.assent.agency.clone(),
            approved: self.assent.status == "approved",
            approved_amount: self
                .assent
                .approved_centavos
                .and_then(|c| Money::from_centavos(c).ok()),
            expires_on: self.assent.expires_on,
            codes: self.codes.clone(),
        }
    }
}

/// A request, as parsed.
#[derive(Debug, Clone)]
pub struct NewAssent {
    pub title: String,
    pub justification: String,
    pub amount: Money,
    pub strategic: bool,
    pub codes: Vec<String>,
}

async fn complete(
    conn: &impl ConnectionTrait,
    models: Vec<ict_assent::Model>,
) -> anyhow::Result<Vec<AssentRecord>> {
    let mut out = Vec::with_capacity(models.len());
    for assent in models {
        let codes = ict_assent_code::Entity::find()
            .filter(ict_assent_code::Column::AssentId.eq(assent.id))
            .order_by_asc(ict_assent_code::Column::Code)
            .all(conn)
            .await
            .context("reading assent codes")?
            .into_iter()
            .map(|c| c.code)
            .collect();
        out.push(AssentRecord { assent, codes });
    }
    Ok(out)
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<Option<AssentRecord>> {
    let model = ict_assent::Entity::find_by_id(id)
        .one(conn)
        .await
        .context("reading an assent")?;
    Ok(complete(conn, model.into_iter().collect()).await?.pop())
}

/// An officer's request for an ICT assent.
pub async fn request(
    db: &DatabaseConnection,
    agency: &str,
    new: &NewAssent,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<AssentRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    super::tenders::require_agency(&txn, agency).await?;
    let missing = missing_codes(&txn, &new.codes).await?;
    if !missing.is_empty() {
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
        return Err(TenderError::Invalid(errors));
    }
    let id = Uuid::now_v7();
    ict_assent::ActiveModel {
        id: Set(id),
        agency: Set(agency.to_owned()),
        title: Set(new.title.clone()),
        justification: Set(new.justification.clone()),
        amount_centavos: Set(new.amount.centavos()),
        strategic: Set(new.strategic),
        status: Set("requested".into()),
        approved_centavos: Set(None),
        expires_on: Set(None),
        fiscal_year: Set(None),
        decision_notes: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        requested_by: Set(actor.sub.clone()),
        requested_at: Set(now),
    }
    .insert(&txn)
    .await
    .context("inserting the assent")?;
    ict_assent_code::Entity::insert_many(new.codes.iter().map(|c| ict_assent_code::ActiveModel {
        assent_id: Set(id),
        code: Set(c.clone()),
    }))
    .exec(&txn)
    .await
    .context("inserting assent codes")?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "ict_assent.requested",
            entity_type: "ict_assent",
            entity_id: &id.to_string(),
            data: json!({"agency": agency, "title": new.title, "amount": new.amount.to_string(), "strategic": new.strategic, "codes": new.codes}),
        },
    )
    .await?;
    let record = get(&txn, id).await?.context("the assent vanished")?;
    txn.commit().await.context("committing the assent")?;
    Ok(record)
}

/// The ICT authority's decision.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve {
        amount: Money,
        expires_on: NaiveDate,
        notes: Option<String>,
    },
    Reject {
        notes: String,
    },
}

/// Decides a request, once. An approved strategic project counts against the agency's
/// limit for the fiscal year of the decision.
pub async fn decide(
    db: &DatabaseConnection,
    id: Uuid,
    decision: &Decision,
    policy: &IctPolicy,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<AssentRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    // Decisions queue behind one lock so that two approvals cannot both take the last
    // strategic place.
    audit::lock_head(&txn).await?;
    let current = ict_assent::Entity::find_by_id(id)
        .one(&txn)
        .await
        .context("reading the assent")?
        .ok_or_else(|| TenderError::Missing(format!("ICT assent {id} not found")))?;
    if current.status != "requested" {
        return Err(TenderError::Conflict(
            Code::AlreadyDecided,
            format!("ICT assent {id} is {} already", current.status),
        ));
    }
    let fiscal_year = policy.fiscal_year(today);
    let mut active: ict_assent::ActiveModel = current.clone().into();
    match decision {
        Decision::Approve {
            amount,
            expires_on,
            notes,
        } => {
            if current.strategic {
                let held = ict_assent::Entity::find()
                    .filter(ict_assent::Column::Agency.eq(current.agency.clone()))
                    .filter(ict_assent::Column::Strategic.eq(true))
                    .filter(ict_assent::Column::Status.eq("approved"))
                    .filter(ict_assent::Column::FiscalYear.eq(fiscal_year))
                    .count(&txn)
                    .await
                    .context("counting strategic projects")?;
                if held >= u64::from(policy.strategic_limit) {
                    let mut errors = ValidationErrors::new();
                    errors.push(
                        "decision",
                        Code::StrategicLimitReached,
                        format!("{} holds {held} approved strategic projects in fiscal year {fiscal_year}; the limit is {}", current.agency, policy.strategic_limit),
                    );
                    return Err(TenderError::Invalid(errors));
                }
            }
            active.status = Set("approved".into());
            active.approved_centavos = Set(Some(amount.centavos()));
            active.expires_on = Set(Some(*expires_on));
            active.fiscal_year = Set(Some(fiscal_year));
            active.decision_notes = Set(notes.clone());
        }
        Decision::Reject { notes } => {
            active.status = Set("rejected".into());
            active.decision_notes = Set(Some(notes.clone()));
        }
    }
    active.decided_by = Set(Some(actor.sub.clone()));
    active.decided_at = Set(Some(now));
    let model = active.update(&txn).await.context("deciding the assent")?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "ict_assent.decided",
            entity_type: "ict_assent",
            entity_id: &id.to_string(),
            data: json!({
                "status": model.status,
                "approved_amount": model.approved_centavos.and_then(|c| Money::from_centavos(c).ok()).map(|m| m.to_string()),
                "expires_on": model.expires_on.map(|d| d.to_string()),
                "notes": model.decision_notes,
            }),
        },
    )
    .await?;
    let record = complete(&txn, vec![model])
        .await?
        .pop()
        .context("the assent vanished")?;
    txn.commit().await.context("committing the decision")?;
    Ok(record)
}

/// One page of assents, newest first: an agency's, or every agency's.
pub async fn list(
    conn: &impl ConnectionTrait,
    agency: Option<&str>,
    before: Option<Uuid>,
    limit: u64,
) -> anyhow::Result<Vec<AssentRecord>> {
    let mut query = ict_assent::Entity::find()
        .order_by_desc(ict_assent::Column::Id)
        .limit(limit);
    if let Some(agency) = agency {
        query = query.filter(ict_assent::Column::Agency.eq(agency));
    }
    if let Some(before) = before {
        query = query.filter(ict_assent::Column::Id.lt(before));
    }
    complete(conn, query.all(conn).await.context("listing assents")?).await
}

/// The tender's ICT items, each with its ancestors' codes.
pub async fn ict_items(
    conn: &impl ConnectionTrait,
    record: &TenderRecord,
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let mut out = Vec::new();
    for item in record.items.iter().filter(|i| i.is_ict) {
        let chain = match find(conn, &item.classifier_code).await? {
            Some(found) => ancestors(conn, &found)
                .await?
                .into_iter()
                .map(|a| a.code)
                .collect(),
            None => Vec::new(),
        };
        out.push((item.classifier_code.clone(), chain));
    }
    Ok(out)
}

/// The ICT rule for a tender on a date (and, at the award, for its amount): the failing
/// rule's code and message, if any.
pub async fn check_tender(
    conn: &impl ConnectionTrait,
    record: &TenderRecord,
    on: NaiveDate,
    amount: Option<Money>,
) -> anyhow::Result<Option<(Code, String)>> {
    let items = ict_items(conn, record).await?;
    if items.is_empty() {
        return Ok(None);
    }
    let assent = match record.tender.ict_assent_id {
        Some(id) => get(conn, id).await?.map(|r| r.for_rules()),
        None => None,
    };
    // An assent's amount is spent across every award that cites it.
    let amount = match (amount, record.tender.ict_assent_id) {
        (Some(amount), Some(assent_id)) => {
            // Awards citing one assent are serialised on the audit chain's head (every award
            // takes it anyway), so two at once can't both spend the same remainder.
            super::audit::lock_head(conn).await?;
            let used = used_by_other_awards(conn, assent_id, record.tender.id).await?;
            Some(
                amount
                    .checked_add(used)
                    .unwrap_or(Money::from_centavos(crate::domain::money::MAX_CENTAVOS)?),
            )
        }
        (amount, _) => amount,
    };
    Ok(
        crate::domain::ict::check_assent(
            assent.as_ref(),
            &record.tender.agency,
            &items,
            on,
            amount,
        )
        .err()
        .map(|problem| (problem.code(), problem.message())),
    )
}

/// What earlier awards citing `assent_id` (other than `tender_id`'s) have spent of it.
async fn used_by_other_awards(
    conn: &impl ConnectionTrait,
    assent_id: Uuid,
    tender_id: Uuid,
) -> anyhow::Result<Money> {
    use super::entities::{award, tender};
    let tenders: Vec<Uuid> = tender::Entity::find()
        .select_only()
        .column(tender::Column::Id)
        .filter(tender::Column::IctAssentId.eq(assent_id))
        .filter(tender::Column::Id.ne(tender_id))
        .into_tuple()
        .all(conn)
        .await
        .context("finding tenders under the assent")?;
    if tenders.is_empty() {
        return Ok(Money::ZERO);
    }
    let amounts: Vec<i64> = award::Entity::find()
        .select_only()
        .column(award::Column::AmountCentavos)
        .filter(award::Column::TenderId.is_in(tenders))
        .into_tuple()
        .all(conn)
        .await
        .context("summing awards under the assent")?;
    let total = amounts
        .iter()
        .try_fold(0i64, |sum, a| sum.checked_add(*a))
        .context("awards overflow")?;
    Ok(Money::from_centavos(
        total.min(crate::domain::money::MAX_CENTAVOS),
    )?)
}
