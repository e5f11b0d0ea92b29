//! The framework-contract repository: contracts, their fixed prices and adhered suppliers.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{framework_contract, framework_item, framework_supplier};
use crate::domain::framework::Framework;
use crate::domain::ids::FrameworkId;
use crate::domain::money::Money;

#[derive(Debug, Clone)]
pub struct FrameworkRecord {
    pub contract: framework_contract::Model,
    pub items: Vec<framework_item::Model>,
    pub suppliers: Vec<framework_supplier::Model>,
}

impl FrameworkRecord {
    pub fn id(&self) -> FrameworkId {
        FrameworkId::from_uuid(self.contract.id)
    }

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

pub async fn get(
    conn: &impl ConnectionTrait,
    id: FrameworkId,
) -> anyhow::Result<Option<FrameworkRecord>> {
    match framework_contract::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading a framework contract")?
    {
        Some(contract) => Ok(Some(complete(conn, contract).await?)),
        None => Ok(None),
    }
}

/// Writes a new contract with its fixed prices and first adhered suppliers.
pub async fn insert(
    txn: &DatabaseTransaction,
    new: &NewFramework,
    created_by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<FrameworkId> {
    let id = FrameworkId::generate();
    framework_contract::ActiveModel {
        id: Set(id.uuid()),
        title: Set(new.title.clone()),
        valid_from: Set(new.valid_from),
        valid_until: Set(new.valid_until),
        ended_on: Set(None),
        end_reason: Set(None),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .context("inserting the framework contract")?;
    framework_item::Entity::insert_many(new.items.iter().enumerate().map(
        |(i, (code, unit, price))| framework_item::ActiveModel {
            contract_id: Set(id.uuid()),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            classifier_code: Set(code.clone()),
            unit: Set(unit.clone()),
            unit_centavos: Set(price.centavos()),
        },
    ))
    .exec(txn)
    .await
    .context("inserting framework items")?;
    for rfc in &new.suppliers {
        add_supplier(txn, id, rfc, now).await?;
    }
    Ok(id)
}

/// Locks a contract's row until the transaction ends, and reads it whole.
pub async fn lock(
    txn: &DatabaseTransaction,
    id: FrameworkId,
) -> anyhow::Result<Option<FrameworkRecord>> {
    match framework_contract::Entity::find_by_id(id.uuid())
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the framework contract")?
    {
        Some(contract) => Ok(Some(complete(txn, contract).await?)),
        None => Ok(None),
    }
}

/// Records a supplier's adhesion.
pub async fn add_supplier(
    txn: &DatabaseTransaction,
    id: FrameworkId,
    rfc: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    framework_supplier::ActiveModel {
        contract_id: Set(id.uuid()),
        rfc: Set(rfc.to_owned()),
        adhered_at: Set(now),
    }
    .insert(txn)
    .await
    .context("adhering")?;
    Ok(())
}

/// Ends a contract early: `ends_on` is its last day in force.
pub async fn end(
    txn: &DatabaseTransaction,
    record: &FrameworkRecord,
    ends_on: NaiveDate,
    reason: &str,
) -> anyhow::Result<()> {
    let mut active: framework_contract::ActiveModel = record.contract.clone().into();
    active.ended_on = Set(Some(ends_on));
    active.end_reason = Set(Some(reason.to_owned()));
    active.update(txn).await.context("ending the contract")?;
    Ok(())
}

/// Contracts, newest first; optionally only those in force on a date, or pricing one of
/// `codes` (a code and its ancestors in the classifier: its partida, its family…, the
/// rule publication applies).
pub async fn list(
    conn: &impl ConnectionTrait,
    active_on: Option<NaiveDate>,
    codes: Option<&[String]>,
    before: Option<FrameworkId>,
    limit: u64,
) -> anyhow::Result<Vec<FrameworkRecord>> {
    let mut query =
        framework_contract::Entity::find().order_by_desc(framework_contract::Column::Id);
    if let Some(before) = before {
        query = query.filter(framework_contract::Column::Id.lt(before.uuid()));
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
    if let Some(codes) = codes {
        let ids: Vec<Uuid> = framework_item::Entity::find()
            .select_only()
            .column(framework_item::Column::ContractId)
            .filter(framework_item::Column::ClassifierCode.is_in(codes.iter().cloned()))
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

/// Every contract that prices one of `codes` (in force or not: the rules decide).
pub async fn pricing_any(
    conn: &impl ConnectionTrait,
    codes: &[String],
) -> anyhow::Result<Vec<FrameworkRecord>> {
    let ids: HashSet<Uuid> = framework_item::Entity::find()
        .filter(framework_item::Column::ClassifierCode.is_in(codes.iter().cloned()))
        .all(conn)
        .await
        .context("finding covering contracts")?
        .into_iter()
        .map(|i| i.contract_id)
        .collect();
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(record) = get(conn, FrameworkId::from_uuid(id)).await? {
            out.push(record);
        }
    }
    Ok(out)
}
