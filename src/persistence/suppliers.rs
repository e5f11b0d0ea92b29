//! The supplier-register repository: suppliers, their classifier codes and sanctions.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::{sanction, supplier, supplier_classifier};
use crate::domain::classifier::ClassifierCode;
use crate::domain::rfc::Rfc;
use crate::domain::supplier::{
    CompanySize, Ineligible, NewSanction, NewSupplier, SupplierStatus, SupplierUpdate,
    eligibility as supplier_eligibility,
};
use crate::domain::text::fold;

/// A supplier with its classifier codes and its sanctions (all of them, history kept).
#[derive(Debug, Clone)]
pub struct SupplierRecord {
    pub supplier: supplier::Model,
    pub classifier_codes: Vec<String>,
    pub sanctions: Vec<sanction::Model>,
}

/// Replaces a supplier's classifier codes.
pub async fn replace_codes(
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

/// Writes a new supplier (not its codes); a unique violation means the RFC is taken.
pub async fn insert(
    txn: &DatabaseTransaction,
    new: &NewSupplier,
    registered_by: &str,
    now: DateTime<Utc>,
) -> Result<supplier::Model, DbErr> {
    supplier::ActiveModel {
        rfc: Set(new.rfc.as_str().to_owned()),
        person_type: Set(new.rfc.person_type().as_str().to_owned()),
        legal_name: Set(new.legal_name.clone()),
        search_name: Set(fold(&new.legal_name)),
        size: Set(new.size.as_str().to_owned()),
        email: Set(new.email.as_str().to_owned()),
        check_digit_override: Set(new.check_digit_override),
        registered_by: Set(registered_by.to_owned()),
        registered_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
}

/// Loads the codes and sanctions of the given suppliers.
pub async fn complete(
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

pub async fn get(conn: &impl ConnectionTrait, rfc: &Rfc) -> anyhow::Result<Option<SupplierRecord>> {
    let Some(model) = supplier::Entity::find_by_id(rfc.as_str().to_owned())
        .one(conn)
        .await
        .context("reading a supplier")?
    else {
        return Ok(None);
    };
    Ok(complete(conn, vec![model]).await?.pop())
}

/// Reads a supplier's row, locked until the transaction ends.
pub async fn lock(txn: &DatabaseTransaction, rfc: &Rfc) -> anyhow::Result<Option<supplier::Model>> {
    supplier::Entity::find_by_id(rfc.as_str().to_owned())
        .lock_exclusive()
        .one(txn)
        .await
        .context("reading the supplier")
}

/// Changes a supplier's profile (not its codes).
pub async fn update(
    txn: &DatabaseTransaction,
    current: supplier::Model,
    change: &SupplierUpdate,
    now: DateTime<Utc>,
) -> anyhow::Result<supplier::Model> {
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
    active.update(txn).await.context("updating the supplier")
}

/// Whether each of `rfcs` may take part on `on`: registered and free of sanctions in force
/// (two queries, however many).
pub async fn eligibility(
    conn: &impl ConnectionTrait,
    rfcs: &[String],
    on: NaiveDate,
) -> anyhow::Result<HashMap<String, Option<Ineligible>>> {
    if rfcs.is_empty() {
        return Ok(HashMap::new());
    }
    let registered: std::collections::HashSet<String> = supplier::Entity::find()
        .select_only()
        .column(supplier::Column::Rfc)
        .filter(supplier::Column::Rfc.is_in(rfcs.iter().cloned()))
        .into_tuple::<String>()
        .all(conn)
        .await
        .context("reading the register")?
        .into_iter()
        .collect();
    let mut periods: HashMap<String, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    for s in sanction::Entity::find()
        .filter(sanction::Column::Rfc.is_in(rfcs.iter().cloned()))
        .all(conn)
        .await
        .context("reading sanctions")?
    {
        periods
            .entry(s.rfc)
            .or_default()
            .push((s.starts_on, s.ends_on));
    }
    Ok(rfcs
        .iter()
        .map(|rfc| {
            let standing = supplier_eligibility(
                registered.contains(rfc),
                periods.get(rfc).into_iter().flatten().copied(),
                on,
            );
            (rfc.clone(), standing)
        })
        .collect())
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

/// Writes a sanction.
pub async fn insert_sanction(
    txn: &DatabaseTransaction,
    rfc: &Rfc,
    new: &NewSanction,
    recorded_by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<sanction::Model> {
    sanction::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        rfc: Set(rfc.as_str().to_owned()),
        authority: Set(new.authority.clone()),
        reference: Set(new.reference.clone()),
        reason: Set(new.reason.clone()),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        recorded_by: Set(recorded_by.to_owned()),
        recorded_at: Set(now),
    }
    .insert(txn)
    .await
    .context("inserting the sanction")
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

/// The register's rows of `rfcs` (those registered), in no particular order.
pub async fn models(
    conn: &impl ConnectionTrait,
    rfcs: &[String],
) -> anyhow::Result<Vec<supplier::Model>> {
    if rfcs.is_empty() {
        return Ok(Vec::new());
    }
    supplier::Entity::find()
        .filter(supplier::Column::Rfc.is_in(rfcs.iter().cloned()))
        .all(conn)
        .await
        .context("reading suppliers")
}
