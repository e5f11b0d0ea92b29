//! The supplier register and sanctions.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, NewEvent};
use super::classifier::missing_codes;
use super::entities::{sanction, supplier, supplier_classifier};
use super::is_unique_violation;
use crate::domain::audit::Actor;
use crate::domain::classifier::ClassifierCode;
use crate::domain::supplier::{
    CompanySize, NewSanction, NewSupplier, SupplierStatus, SupplierUpdate,
};
use crate::domain::text::fold;

/// A supplier with its classifier codes and its sanctions (all of them, history kept).
#[derive(Debug, Clone)]
pub struct SupplierRecord {
    pub supplier: supplier::Model,
    pub classifier_codes: Vec<String>,
    pub sanctions: Vec<sanction::Model>,
}

#[derive(Debug, thiserror::Error)]
pub enum SupplierError {
    #[error("a supplier with RFC {0} is already registered")]
    Exists(String),
    #[error("supplier {0} is not registered")]
    NotFound(String),
    /// Codes not in the classifier, with their index in the request.
    #[error("unknown classifier codes")]
    UnknownCodes(Vec<(usize, String)>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

async fn check_codes(
    conn: &impl ConnectionTrait,
    codes: &[ClassifierCode],
) -> Result<(), SupplierError> {
    let raw: Vec<String> = codes.iter().map(|c| c.as_str().to_owned()).collect();
    let missing = missing_codes(conn, &raw).await?;
    if missing.is_empty() {
        return Ok(());
    }
    Err(SupplierError::UnknownCodes(
        raw.iter()
            .enumerate()
            .filter(|(_, c)| missing.contains(c))
            .map(|(i, c)| (i, c.clone()))
            .collect(),
    ))
}

async fn replace_codes(
    conn: &impl ConnectionTrait,
    rfc: &str,
    codes: &[ClassifierCode],
) -> anyhow::Result<()> {
    supplier_classifier::Entity::delete_many()
        .filter(supplier_classifier::Column::Rfc.eq(rfc))
        .exec(conn)
        .await
        .context("clearing supplier codes")?;
    if codes.is_empty() {
        return Ok(());
    }
    supplier_classifier::Entity::insert_many(codes.iter().map(|c| {
        supplier_classifier::ActiveModel {
            rfc: Set(rfc.to_owned()),
            code: Set(c.as_str().to_owned()),
        }
    }))
    .exec(conn)
    .await
    .context("inserting supplier codes")?;
    Ok(())
}

fn supplier_json(s: &supplier::Model, codes: &[ClassifierCode]) -> serde_json::Value {
    json!({
        "rfc": s.rfc,
        "legal_name": s.legal_name,
        "size": s.size,
        "email": s.email,
        "check_digit_override": s.check_digit_override,
        "classifier_codes": codes.iter().map(ClassifierCode::as_str).collect::<Vec<_>>(),
    })
}

/// Registers a supplier with its codes, and records the event.
#[tracing::instrument(skip_all, fields(rfc = %new.rfc))]
pub async fn create(
    db: &DatabaseConnection,
    new: &NewSupplier,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<SupplierRecord, SupplierError> {
    let txn = db.begin().await.context("starting a transaction")?;
    check_codes(&txn, &new.classifier_codes).await?;
    let model = supplier::ActiveModel {
        rfc: Set(new.rfc.as_str().to_owned()),
        person_type: Set(new.rfc.person_type().as_str().to_owned()),
        legal_name: Set(new.legal_name.clone()),
        search_name: Set(fold(&new.legal_name)),
        size: Set(new.size.as_str().to_owned()),
        email: Set(new.email.as_str().to_owned()),
        check_digit_override: Set(new.check_digit_override),
        registered_by: Set(actor.role.clone()),
        registered_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            SupplierError::Exists(new.rfc.to_string())
        } else {
            SupplierError::Unexpected(anyhow::Error::new(e).context("inserting the supplier"))
        }
    })?;
    replace_codes(&txn, &model.rfc, &new.classifier_codes).await?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "supplier.registered",
            entity_type: "supplier",
            entity_id: &model.rfc,
            data: supplier_json(&model, &new.classifier_codes),
        },
    )
    .await?;
    txn.commit().await.context("committing the supplier")?;
    // In code order, as every read returns them.
    let mut classifier_codes: Vec<String> = new
        .classifier_codes
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    classifier_codes.sort();
    Ok(SupplierRecord {
        classifier_codes,
        supplier: model,
        sanctions: Vec::new(),
    })
}

/// Loads the codes and sanctions of the given suppliers.
async fn complete(
    conn: &impl ConnectionTrait,
    suppliers: Vec<supplier::Model>,
) -> anyhow::Result<Vec<SupplierRecord>> {
    let rfcs: Vec<String> = suppliers.iter().map(|s| s.rfc.clone()).collect();
    let mut codes: HashMap<String, Vec<String>> = HashMap::new();
    let mut sanctions: HashMap<String, Vec<sanction::Model>> = HashMap::new();
    if !rfcs.is_empty() {
        for row in supplier_classifier::Entity::find()
            .filter(supplier_classifier::Column::Rfc.is_in(rfcs.clone()))
            .order_by_asc(supplier_classifier::Column::Code)
            .all(conn)
            .await
            .context("reading supplier codes")?
        {
            codes.entry(row.rfc).or_default().push(row.code);
        }
        for row in sanction::Entity::find()
            .filter(sanction::Column::Rfc.is_in(rfcs))
            .order_by_asc(sanction::Column::StartsOn)
            .order_by_asc(sanction::Column::RecordedAt)
            .all(conn)
            .await
            .context("reading sanctions")?
        {
            sanctions.entry(row.rfc.clone()).or_default().push(row);
        }
    }
    Ok(suppliers
        .into_iter()
        .map(|s| SupplierRecord {
            classifier_codes: codes.remove(&s.rfc).unwrap_or_default(),
            sanctions: sanctions.remove(&s.rfc).unwrap_or_default(),
            supplier: s,
        })
        .collect())
}

pub async fn get(conn: &impl ConnectionTrait, rfc: &str) -> anyhow::Result<Option<SupplierRecord>> {
    let Some(model) = supplier::Entity::find_by_id(rfc.to_owned())
        .one(conn)
        .await
        .context("reading a supplier")?
    else {
        return Ok(None);
    };
    Ok(complete(conn, vec![model]).await?.pop())
}

/// Changes a supplier's profile and records the event.
#[tracing::instrument(skip_all, fields(rfc = %rfc))]
pub async fn update(
    db: &DatabaseConnection,
    rfc: &str,
    change: &SupplierUpdate,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<SupplierRecord, SupplierError> {
    let txn = db.begin().await.context("starting a transaction")?;
    let current = supplier::Entity::find_by_id(rfc.to_owned())
        .lock_exclusive()
        .one(&txn)
        .await
        .context("reading the supplier")?
        .ok_or_else(|| SupplierError::NotFound(rfc.to_owned()))?;
    let mut active: supplier::ActiveModel = current.into();
    if let Some(name) = &change.legal_name {
        active.legal_name = Set(name.clone());
        active.search_name = Set(fold(name));
    }
    if let Some(size) = change.size {
        active.size = Set(size.as_str().to_owned());
    }
    if let Some(email) = &change.email {
        active.email = Set(email.as_str().to_owned());
    }
    active.updated_at = Set(now);
    let model = active.update(&txn).await.context("updating the supplier")?;
    if let Some(codes) = &change.classifier_codes {
        check_codes(&txn, codes).await?;
        replace_codes(&txn, rfc, codes).await?;
    }
    let record = complete(&txn, vec![model])
        .await?
        .pop()
        .context("the supplier vanished")?;
    let codes: Vec<ClassifierCode> = record
        .classifier_codes
        .iter()
        .filter_map(|c| ClassifierCode::parse(c).ok())
        .collect();
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "supplier.updated",
            entity_type: "supplier",
            entity_id: rfc,
            data: supplier_json(&record.supplier, &codes),
        },
    )
    .await?;
    txn.commit().await.context("committing the supplier")?;
    Ok(record)
}

/// Filters of the supplier list.
#[derive(Debug, Clone, Default)]
pub struct SupplierFilter {
    /// Matches an RFC prefix, or every folded word in the legal name.
    pub q: Option<String>,
    pub classifier: Option<String>,
    pub size: Option<CompanySize>,
    pub status: Option<SupplierStatus>,
}

fn in_force_on(today: NaiveDate) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(sanction::Entity)
        .and_where(
            Expr::col((sanction::Entity, sanction::Column::Rfc))
                .equals((supplier::Entity, supplier::Column::Rfc)),
        )
        .and_where(Expr::col((sanction::Entity, sanction::Column::StartsOn)).lte(today))
        .and_where(Expr::col((sanction::Entity, sanction::Column::EndsOn)).gte(today))
        .to_owned()
}

/// One page of suppliers in RFC order after `after`.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &SupplierFilter,
    today: NaiveDate,
    after: Option<&str>,
    limit: u64,
) -> anyhow::Result<Vec<SupplierRecord>> {
    let mut condition = Condition::all();
    if let Some(q) = &filter.q {
        let mut by_name = Condition::all();
        let terms: Vec<String> = fold(q)
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        for term in &terms {
            by_name = by_name.add(supplier::Column::SearchName.contains(term));
        }
        let prefix: String = q.trim().to_uppercase();
        let mut either = Condition::any();
        if !terms.is_empty() {
            either = either.add(by_name);
        }
        if !prefix.is_empty() && prefix.chars().all(|c| c.is_alphanumeric() || c == '&') {
            either = either.add(supplier::Column::Rfc.starts_with(prefix));
        }
        condition = condition.add(either);
    }
    if let Some(code) = &filter.classifier {
        condition = condition.add(
            supplier::Column::Rfc.in_subquery(
                Query::select()
                    .column(supplier_classifier::Column::Rfc)
                    .from(supplier_classifier::Entity)
                    .and_where(supplier_classifier::Column::Code.eq(code.clone()))
                    .to_owned(),
            ),
        );
    }
    if let Some(size) = filter.size {
        condition = condition.add(supplier::Column::Size.eq(size.as_str()));
    }
    match filter.status {
        Some(SupplierStatus::Sanctioned) => {
            condition = condition.add(Expr::exists(in_force_on(today)))
        }
        Some(SupplierStatus::Active) => {
            condition = condition.add(Expr::exists(in_force_on(today)).not())
        }
        None => {}
    }
    if let Some(after) = after {
        condition = condition.add(supplier::Column::Rfc.gt(after));
    }
    let rows = supplier::Entity::find()
        .filter(condition)
        .order_by_asc(supplier::Column::Rfc)
        .limit(limit)
        .all(conn)
        .await
        .context("listing suppliers")?;
    complete(conn, rows).await
}

/// Records a sanction and its event.
#[tracing::instrument(skip_all, fields(rfc = %rfc))]
pub async fn add_sanction(
    db: &DatabaseConnection,
    rfc: &str,
    new: &NewSanction,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<sanction::Model, SupplierError> {
    let txn = db.begin().await.context("starting a transaction")?;
    supplier::Entity::find_by_id(rfc.to_owned())
        .one(&txn)
        .await
        .context("reading the supplier")?
        .ok_or_else(|| SupplierError::NotFound(rfc.to_owned()))?;
    let model = sanction::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        rfc: Set(rfc.to_owned()),
        authority: Set(new.authority.clone()),
        reference: Set(new.reference.clone()),
        reason: Set(new.reason.clone()),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        recorded_by: Set(actor.sub.clone()),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await
    .context("inserting the sanction")?;
    audit::append(
        &txn,
        now,
        NewEvent {
            actor,
            action: "supplier.sanctioned",
            entity_type: "supplier",
            entity_id: rfc,
            data: json!({
                "sanction_id": model.id.to_string(),
                "authority": model.authority,
                "reference": model.reference,
                "reason": model.reason,
                "starts_on": model.starts_on.to_string(),
                "ends_on": model.ends_on.to_string(),
            }),
        },
    )
    .await?;
    txn.commit().await.context("committing the sanction")?;
    Ok(model)
}

/// Suppliers with a sanction in force on `today`, in RFC order after `after`.
pub async fn sanctioned(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
    after: Option<&str>,
    limit: u64,
) -> anyhow::Result<Vec<SupplierRecord>> {
    let filter = SupplierFilter {
        status: Some(SupplierStatus::Sanctioned),
        ..Default::default()
    };
    list(conn, &filter, today, after, limit).await
}
