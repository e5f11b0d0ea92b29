//! Framework contracts: the registrar's records, and the view the tender rules take.

use crate::domain::code::Code;
use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, NewEvent};
use super::classifier::{ancestors, find, missing_codes};
use super::entities::{framework_contract, framework_item, framework_supplier};
use super::tenders::{TenderError, TenderRecord, eligibility};
use crate::domain::audit::Actor;
use crate::domain::framework::Framework;
use crate::domain::money::Money;
use crate::domain::supplier::Ineligible;
use crate::domain::validation::ValidationErrors;

#[derive(Debug, Clone)]
pub struct FrameworkRecord {
    pub contract: framework_contract::Model,
    pub items: Vec<framework_item::Model>,
    pub suppliers: Vec<framework_supplier::Model>,
}

impl FrameworkRecord {
    pub fn for_rules(&self) -> Framework {
        Framework {
            valid_from: self.contract.valid_from,
            valid_until: self.contract.valid_until,
            ended_on: self.contract.ended_on,
            prices: self
                .items
                .iter()
                .map(|i| {
                    (
                        i.classifier_code.clone(),
                        i.unit.clone(),
                        Money::from_centavos(i.unit_centavos).unwrap_or_default(),
                    )
                })
                .collect(),
            suppliers: self.suppliers.iter().map(|s| s.rfc.clone()).collect(),
        }
    }
}

/// A contract as the registrar writes it.
#[derive(Debug, Clone)]
pub struct NewFramework {
    pub title: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// (classifier code, unit, fixed unit price).
    pub items: Vec<(String, String, Money)>,
    pub suppliers: Vec<String>,
}

async fn complete(
    conn: &impl ConnectionTrait,
    contract: framework_contract::Model,
) -> anyhow::Result<FrameworkRecord> {
    let items = framework_item::Entity::find()
        .filter(framework_item::Column::ContractId.eq(contract.id))
        .order_by_asc(framework_item::Column::Position)
        .all(conn)
        .await
        .context("reading framework items")?;
    let suppliers = framework_supplier::Entity::find()
        .filter(framework_supplier::Column::ContractId.eq(contract.id))
        .order_by_asc(framework_supplier::Column::Rfc)
        .all(conn)
        .await
        .context("reading adhered suppliers")?;
    Ok(FrameworkRecord {
        contract,
        items,
        suppliers,
    })
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<Option<FrameworkRecord>> {
    match framework_contract::Entity::find_by_id(id)
        .one(conn)
        .await
        .context("reading a framework contract")?
    {
        Some(contract) => Ok(Some(complete(conn, contract).await?)),
        None => Ok(None),
    }
}

/// Field errors for suppliers that can't adhere on `today`.
async fn check_adherents(
    conn: &impl ConnectionTrait,
    rfcs: &[String],
    today: NaiveDate,
    field: &str,
) -> anyhow::Result<ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (i, rfc) in rfcs.iter().enumerate() {
        match eligibility(conn, rfc, today).await? {
            Some(Ineligible::NotRegistered) => errors.push(
                &format!("{field}[{i}]"),
                Code::AdherentNotRegistered,
                format!("{rfc} is not in the supplier register"),
            ),
            Some(Ineligible::Sanctioned) => errors.push(
                &format!("{field}[{i}]"),
                Code::AdherentSanctioned,
                format!("{rfc} has a sanction in force"),
            ),
            None => {}
        }
    }
    Ok(errors)
}

pub async fn create(
    db: &DatabaseConnection,
    new: &NewFramework,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<FrameworkRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let codes: Vec<String> = new.items.iter().map(|(c, ..)| c.clone()).collect();
    let missing = missing_codes(&txn, &codes).await?;
    let mut errors = check_adherents(&txn, &new.suppliers, today, "suppliers").await?;
    for (i, code) in codes
        .iter()
        .enumerate()
        .filter(|(_, c)| missing.contains(c))
    {
        errors.push(
            &format!("items[{i}].classifier_code"),
            Code::UnknownClassifierCode,
            format!("{code} is not in the classifier"),
        );
    }
    errors.finish().map_err(TenderError::Invalid)?;
    let id = Uuid::now_v7();
    framework_contract::ActiveModel {
        id: Set(id),
        title: Set(new.title.clone()),
        valid_from: Set(new.valid_from),
        valid_until: Set(new.valid_until),
        ended_on: Set(None),
        end_reason: Set(None),
        created_by: Set(actor.sub.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .context("inserting the framework contract")?;
    framework_item::Entity::insert_many(new.items.iter().enumerate().map(
        |(i, (code, unit, price))| framework_item::ActiveModel {
            contract_id: Set(id),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            classifier_code: Set(code.clone()),
            unit: Set(unit.clone()),
            unit_centavos: Set(price.centavos()),
        },
    ))
    .exec(&txn)
    .await
    .context("inserting framework items")?;
    if !new.suppliers.is_empty() {
        framework_supplier::Entity::insert_many(new.suppliers.iter().map(|rfc| {
            framework_supplier::ActiveModel {
                contract_id: Set(id),
                rfc: Set(rfc.clone()),
                adhered_at: Set(now),
            }
        }))
        .exec(&txn)
        .await
        .context("inserting adhered suppliers")?;
    }
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "framework_contract.created",
            entity_type: "framework_contract",
            entity_id: &id.to_string(),
            data: json!({
                "title": new.title,
                "valid_from": new.valid_from.to_string(),
                "valid_until": new.valid_until.to_string(),
                "items": new.items.iter().map(|(c, u, p)| json!({"classifier_code": c, "unit": u, "unit_price": p.to_string()})).collect::<Vec<_>>(),
                "suppliers": new.suppliers,
            }),
        },
    )
    .await?;
    let record = get(&txn, id).await?.context("the contract vanished")?;
    txn.commit()
        .await
        .context("committing the framework contract")?;
    Ok(record)
}

async fn lock(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
) -> Result<FrameworkRecord, TenderError> {
    let contract = framework_contract::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the framework contract")?
        .ok_or_else(|| TenderError::Missing(format!("framework contract {id} not found")))?;
    Ok(complete(txn, contract).await?)
}

/// A supplier adheres to the contract.
pub async fn adhere(
    db: &DatabaseConnection,
    id: Uuid,
    rfc: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<FrameworkRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock(&txn, id).await?;
    if record.suppliers.iter().any(|s| s.rfc == rfc) {
        return Err(TenderError::Conflict(
            Code::AlreadyAdhered,
            format!("{rfc} adheres to {id} already"),
        ));
    }
    if !record.for_rules().active_on(today) {
        return Err(TenderError::Conflict(
            Code::FrameworkContractInactive,
            format!("framework contract {id} is not in force"),
        ));
    }
    check_adherents(&txn, &[rfc.to_owned()], today, "rfc")
        .await?
        .finish()
        .map_err(|mut e| {
            for error in &mut e.0 {
                error.field = "rfc".into();
            }
            TenderError::Invalid(e)
        })?;
    framework_supplier::ActiveModel {
        contract_id: Set(id),
        rfc: Set(rfc.to_owned()),
        adhered_at: Set(now),
    }
    .insert(&txn)
    .await
    .context("adhering")?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "framework_contract.adhered",
            entity_type: "framework_contract",
            entity_id: &id.to_string(),
            data: json!({"rfc": rfc}),
        },
    )
    .await?;
    let record = get(&txn, id).await?.context("the contract vanished")?;
    txn.commit().await.context("committing the adhesion")?;
    Ok(record)
}

/// Ends a contract early: `ends_on` is its last day in force.
pub async fn end(
    db: &DatabaseConnection,
    id: Uuid,
    ends_on: NaiveDate,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<FrameworkRecord, TenderError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let record = lock(&txn, id).await?;
    if record.contract.ended_on.is_some() {
        return Err(TenderError::Conflict(
            Code::AlreadyEnded,
            format!("framework contract {id} has ended already"),
        ));
    }
    if ends_on < today
        || ends_on < record.contract.valid_from
        || ends_on > record.contract.valid_until
    {
        let mut errors = ValidationErrors::new();
        errors.push(
            "ends_on",
            Code::InvalidEndDate,
            "an early end falls within the contract's validity, today or later (never retroactively)",
        );
        return Err(TenderError::Invalid(errors));
    }
    let mut active: framework_contract::ActiveModel = record.contract.clone().into();
    active.ended_on = Set(Some(ends_on));
    active.end_reason = Set(Some(reason.to_owned()));
    active.update(&txn).await.context("ending the contract")?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "framework_contract.ended",
            entity_type: "framework_contract",
            entity_id: &id.to_string(),
            data: json!({"ends_on": ends_on.to_string(), "reason": reason}),
        },
    )
    .await?;
    let record = get(&txn, id).await?.context("the contract vanished")?;
    txn.commit().await.context("committing the end")?;
    Ok(record)
}

/// Contracts, newest first; optionally only those in force on a date, or covering a code:
/// fixing a price for it or for one of its ancestors in the classifier (its partida, its
/// family…), the rule publication applies.
pub async fn list(
    conn: &impl ConnectionTrait,
    active_on: Option<NaiveDate>,
    classifier: Option<&str>,
    before: Option<Uuid>,
    limit: u64,
) -> anyhow::Result<Vec<FrameworkRecord>> {
    let mut query =
        framework_contract::Entity::find().order_by_desc(framework_contract::Column::Id);
    if let Some(before) = before {
        query = query.filter(framework_contract::Column::Id.lt(before));
    }
    if let Some(on) = active_on {
        query = query
            .filter(framework_contract::Column::ValidFrom.lte(on))
            .filter(framework_contract::Column::ValidUntil.gte(on))
            .filter(
                sea_orm::Condition::any()
                    .add(framework_contract::Column::EndedOn.is_null())
                    .add(framework_contract::Column::EndedOn.gte(on)),
            );
    }
    if let Some(code) = classifier {
        let mut codes = vec![code.to_owned()];
        if let Some(item) = find(conn, code).await? {
            codes.extend(ancestors(conn, &item).await?.into_iter().map(|a| a.code));
        }
        let ids: Vec<Uuid> = framework_item::Entity::find()
            .select_only()
            .column(framework_item::Column::ContractId)
            .filter(framework_item::Column::ClassifierCode.is_in(codes))
            .into_tuple()
            .all(conn)
            .await?;
        query = query.filter(framework_contract::Column::Id.is_in(ids));
    }
    let mut out = Vec::new();
    for contract in query
        .limit(limit)
        .all(conn)
        .await
        .context("listing framework contracts")?
    {
        out.push(complete(conn, contract).await?);
    }
    Ok(out)
}

/// The ancestors' codes of each of the tender's items.
pub async fn item_ancestors(
    conn: &impl ConnectionTrait,
    record: &TenderRecord,
) -> anyhow::Result<Vec<Vec<String>>> {
    let mut out = Vec::with_capacity(record.items.len());
    for item in &record.items {
        out.push(match find(conn, &item.classifier_code).await? {
            Some(found) => ancestors(conn, &found)
                .await?
                .into_iter()
                .map(|a| a.code)
                .collect(),
            None => Vec::new(),
        });
    }
    Ok(out)
}

/// Contracts in force on `on` that cover any of the tender's items.
pub async fn covering(
    conn: &impl ConnectionTrait,
    record: &TenderRecord,
    chains: &[Vec<String>],
    on: NaiveDate,
) -> anyhow::Result<Vec<Uuid>> {
    let mut codes: HashSet<String> = record
        .items
        .iter()
        .map(|i| i.classifier_code.clone())
        .collect();
    codes.extend(chains.iter().flatten().cloned());
    let ids: HashSet<Uuid> = framework_item::Entity::find()
        .filter(framework_item::Column::ClassifierCode.is_in(codes))
        .all(conn)
        .await
        .context("finding covering contracts")?
        .into_iter()
        .map(|i| i.contract_id)
        .collect();
    let mut active = Vec::new();
    for id in ids {
        if let Some(record) = get(conn, id).await?
            && record.for_rules().active_on(on)
        {
            active.push(id);
        }
    }
    active.sort();
    Ok(active)
}
