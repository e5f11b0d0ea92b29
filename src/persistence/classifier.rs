//! The classifier: lookups, search, upsert and CSV import.

use crate::domain::code::Code;
use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, NewEvent};
use super::entities::classifier_item::{self, Model as Item};
use crate::domain::audit::Actor;
use crate::domain::classifier::{MAX_LEVEL, NewClassifierItem};
use crate::domain::text::{fold, match_rank};
use crate::domain::validation::ValidationErrors;

/// The most matches a text search ranks; a query matching more is refused as too broad
/// rather than answered incompletely.
pub const MAX_SEARCH_CANDIDATES: u64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the query matches more than {MAX_SEARCH_CANDIDATES} items; add words or filters")]
    TooBroad,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub async fn find(conn: &impl ConnectionTrait, code: &str) -> anyhow::Result<Option<Item>> {
    classifier_item::Entity::find_by_id(code.to_owned())
        .one(conn)
        .await
        .context("reading a classifier item")
}

/// The chain of parents of `item`, root first.
pub async fn ancestors(conn: &impl ConnectionTrait, item: &Item) -> anyhow::Result<Vec<Item>> {
    let mut chain = Vec::new();
    let mut next = item.parent.clone();
    while let Some(code) = next {
        anyhow::ensure!(
            chain.len() < MAX_LEVEL as usize,
            "classifier chain deeper than {MAX_LEVEL} at {code}"
        );
        let parent = find(conn, &code)
            .await?
            .with_context(|| format!("missing parent {code}"))?;
        next = parent.parent.clone();
        chain.push(parent);
    }
    chain.reverse();
    Ok(chain)
}

/// The codes among `codes` that are not in the classifier.
pub async fn missing_codes(
    conn: &impl ConnectionTrait,
    codes: &[String],
) -> anyhow::Result<Vec<String>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let found: HashSet<String> = classifier_item::Entity::find()
        .select_only()
        .column(classifier_item::Column::Code)
        .filter(classifier_item::Column::Code.is_in(codes.iter().cloned()))
        .into_tuple::<String>()
        .all(conn)
        .await
        .context("checking classifier codes")?
        .into_iter()
        .collect();
    Ok(codes
        .iter()
        .filter(|c| !found.contains(*c))
        .cloned()
        .collect())
}

/// Filters of a classifier listing.
#[derive(Debug, Clone, Default)]
pub struct ClassifierFilter {
    /// Folded search terms; all must match.
    pub terms: Vec<String>,
    pub ict: Option<bool>,
    pub parent: Option<String>,
}

fn filter_condition(filter: &ClassifierFilter) -> Condition {
    let mut condition = Condition::all();
    for term in &filter.terms {
        // Terms are folded: letters, digits and spaces only, so no LIKE wildcard slips in.
        condition = condition.add(classifier_item::Column::SearchText.contains(term));
    }
    if let Some(ict) = filter.ict {
        condition = condition.add(classifier_item::Column::IsIct.eq(ict));
    }
    if let Some(parent) = &filter.parent {
        condition = condition.add(classifier_item::Column::Parent.eq(parent.clone()));
    }
    condition
}

/// The sort key of a search result: whole-word matches first, then by code.
pub fn search_key(rank: usize, code: &str) -> String {
    format!("{rank:03}:{code}")
}

/// Up to `limit` items after the cursor key `after`. Without search terms the order is
/// by code; with terms, by (rank, code) where rank counts terms found only inside words.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &ClassifierFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(String, Item)>, SearchError> {
    let mut query = classifier_item::Entity::find().filter(filter_condition(filter));
    if filter.terms.is_empty() {
        if let Some(after) = after {
            query = query.filter(classifier_item::Column::Code.gt(after));
        }
        let rows = query
            .order_by_asc(classifier_item::Column::Code)
            .limit(limit)
            .all(conn)
            .await
            .context("listing the classifier")?;
        return Ok(rows.into_iter().map(|i| (i.code.clone(), i)).collect());
    }
    let candidates = query
        .order_by_asc(classifier_item::Column::Code)
        .limit(MAX_SEARCH_CANDIDATES + 1)
        .all(conn)
        .await
        .context("searching the classifier")?;
    if candidates.len() as u64 > MAX_SEARCH_CANDIDATES {
        return Err(SearchError::TooBroad);
    }
    let mut ranked: Vec<(String, Item)> = candidates
        .into_iter()
        .filter_map(|item| {
            match_rank(&item.search_text, &filter.terms)
                .map(|rank| (search_key(rank, &item.code), item))
        })
        .filter(|(key, _)| after.is_none_or(|after| key.as_str() > after))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    ranked.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(ranked)
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    /// Field-level refusals (unknown parent, cycle), as for a request body.
    #[error(transparent)]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn refused(field: &str, code: Code, message: String) -> UpsertError {
    let mut errors = ValidationErrors::new();
    errors.push(field, code, message);
    UpsertError::Invalid(errors)
}

/// Creates or updates one item (within the caller's transaction). A parent must exist and
/// may not be the item itself or one of its descendants; when an item moves, the levels
/// of its descendants follow.
pub async fn upsert_in(
    conn: &impl ConnectionTrait,
    item: &NewClassifierItem,
    now: DateTime<Utc>,
) -> Result<(Upserted, Item), UpsertError> {
    let code = item.code.as_str();
    let level = match &item.parent {
        None => 1,
        Some(parent_code) => {
            let parent = find(conn, parent_code.as_str()).await?.ok_or_else(|| {
                refused(
                    "parent",
                    Code::UnknownParent,
                    format!("parent {parent_code} is not in the classifier"),
                )
            })?;
            let chain = ancestors(conn, &parent).await?;
            if chain.iter().any(|a| a.code == code) {
                return Err(refused(
                    "parent",
                    Code::ClassifierCycle,
                    format!("{parent_code} descends from {code}: that would make a cycle"),
                ));
            }
            parent.level + 1
        }
    };
    let below = match find(conn, code).await? {
        Some(current) if current.level != level => subtree_height(conn, code).await?,
        _ => 0,
    };
    if level + below > MAX_LEVEL {
        return Err(refused(
            "parent",
            Code::ClassifierTooDeep,
            format!("the classifier has at most {MAX_LEVEL} levels"),
        ));
    }
    let search_text = fold(&format!("{code} {}", item.description));
    let existing = find(conn, code).await?;
    let wanted = Item {
        code: code.to_owned(),
        description: item.description.clone(),
        parent: item.parent.as_ref().map(|p| p.as_str().to_owned()),
        level,
        partida: item.partida.clone(),
        unit: item.unit.clone(),
        is_ict: item.is_ict,
        search_text,
        updated_at: now,
    };
    match existing {
        Some(current)
            if Item {
                updated_at: now,
                ..current.clone()
            } == wanted =>
        {
            Ok((Upserted::Unchanged, current))
        }
        Some(current) => {
            let moved = current.level != wanted.level;
            // Every column is written; the key stays as it is.
            let mut active = classifier_item::ActiveModel::from(wanted.clone()).reset_all();
            active.code = sea_orm::ActiveValue::Unchanged(wanted.code.clone());
            let saved = active
                .update(conn)
                .await
                .context("updating a classifier item")?;
            if moved {
                relevel_descendants(conn, &saved).await?;
            }
            Ok((Upserted::Updated, saved))
        }
        None => {
            let active: classifier_item::ActiveModel = wanted.into();
            let saved = active
                .insert(conn)
                .await
                .context("inserting a classifier item")?;
            Ok((Upserted::Created, saved))
        }
    }
}

/// How many levels lie below `code` (0 for a leaf), looked at one generation at a time.
async fn subtree_height(conn: &impl ConnectionTrait, code: &str) -> anyhow::Result<i32> {
    let mut frontier = vec![code.to_owned()];
    let mut height = 0;
    while !frontier.is_empty() {
        anyhow::ensure!(
            height <= MAX_LEVEL,
            "the classifier below {code} is deeper than {MAX_LEVEL}"
        );
        frontier = classifier_item::Entity::find()
            .select_only()
            .column(classifier_item::Column::Code)
            .filter(classifier_item::Column::Parent.is_in(frontier))
            .into_tuple::<String>()
            .all(conn)
            .await
            .context("reading descendants")?;
        if !frontier.is_empty() {
            height += 1;
        }
    }
    Ok(height)
}

async fn relevel_descendants(conn: &impl ConnectionTrait, root: &Item) -> anyhow::Result<()> {
    let mut frontier = vec![(root.code.clone(), root.level)];
    while let Some((code, level)) = frontier.pop() {
        let children = classifier_item::Entity::find()
            .filter(classifier_item::Column::Parent.eq(code))
            .all(conn)
            .await?;
        for child in children {
            anyhow::ensure!(
                level < MAX_LEVEL,
                "moving the item makes the classifier deeper than {MAX_LEVEL}"
            );
            frontier.push((child.code.clone(), level + 1));
            let mut active: classifier_item::ActiveModel = child.into();
            active.level = Set(level + 1);
            active.update(conn).await?;
        }
    }
    Ok(())
}

/// Upserts one item in its own transaction, with its audit event.
pub async fn upsert(
    db: &DatabaseConnection,
    item: &NewClassifierItem,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Upserted, Item), UpsertError> {
    let txn = db.begin().await.context("starting a transaction")?;
    // Classifier writes queue behind one lock, so that two concurrent moves cannot both
    // pass the cycle check.
    audit::lock_head(&txn).await?;
    let (outcome, saved) = upsert_in(&txn, item, now).await?;
    if outcome != Upserted::Unchanged {
        audit::append(
            &txn,
            now,
            NewEvent {
                actor,
                action: "classifier.item_saved",
                entity_type: "classifier_item",
                entity_id: &saved.code,
                data: item_json(&saved),
            },
        )
        .await?;
    }
    txn.commit()
        .await
        .context("committing the classifier item")?;
    Ok((outcome, saved))
}

fn item_json(item: &Item) -> serde_json::Value {
    json!({
        "code": item.code,
        "description": item.description,
        "parent": item.parent,
        "partida": item.partida,
        "unit": item.unit,
        "is_ict": item.is_ict,
    })
}

/// One row of an import that was refused.
#[derive(Debug, Clone)]
pub struct RefusedRow {
    pub line: usize,
    pub code: String,
    pub errors: ValidationErrors,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: Vec<RefusedRow>,
    /// False when nothing was written (all-or-nothing with a refused row).
    pub applied: bool,
}

/// Imports parsed rows in one transaction, parents before children whatever the file's
/// order. `rows` name each code once (the parser refuses repeats). With `atomic`, one
/// refused row means nothing is written. An event is recorded only when something changed.
pub async fn import(
    db: &DatabaseConnection,
    rows: Vec<(usize, NewClassifierItem)>,
    mut refused_rows: Vec<RefusedRow>,
    atomic: bool,
    file_sha256: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    // A code refused only because a later line repeats it keeps its first, valid row: it
    // is not a refused parent.
    let valid: HashSet<&str> = rows.iter().map(|(_, item)| item.code.as_str()).collect();
    let mut refused_codes: HashSet<String> = refused_rows
        .iter()
        .filter(|r| !valid.contains(r.code.as_str()))
        .map(|r| r.code.clone())
        .collect();
    let ordered = parents_first(rows);
    let txn = db.begin().await.context("starting the import")?;
    audit::lock_head(&txn).await?;
    for (line, item) in ordered {
        if let Some(parent) = &item.parent
            && refused_codes.contains(parent.as_str())
        {
            let mut errors = ValidationErrors::new();
            errors.push(
                "parent",
                Code::UnknownParent,
                format!("parent {parent} was refused in this file"),
            );
            refused_codes.insert(item.code.to_string());
            refused_rows.push(RefusedRow {
                line,
                code: item.code.to_string(),
                errors,
            });
            continue;
        }
        match upsert_in(&txn, &item, now).await {
            Ok((Upserted::Created, _)) => report.created += 1,
            Ok((Upserted::Updated, _)) => report.updated += 1,
            Ok((Upserted::Unchanged, _)) => report.unchanged += 1,
            Err(UpsertError::Invalid(errors)) => {
                refused_codes.insert(item.code.to_string());
                refused_rows.push(RefusedRow {
                    line,
                    code: item.code.to_string(),
                    errors,
                });
            }
            Err(UpsertError::Unexpected(e)) => return Err(e),
        }
    }
    refused_rows.sort_by_key(|r| r.line);
    report.refused = refused_rows;
    if atomic && !report.refused.is_empty() {
        txn.rollback().await.context("rolling back the import")?;
        return Ok(ImportReport {
            applied: false,
            ..report
        });
    }
    if report.created + report.updated > 0 {
        audit::append(
            &txn,
            now,
            NewEvent {
                actor,
                action: "classifier.imported",
                entity_type: "classifier_import",
                entity_id: file_sha256,
                data: json!({
                    "sha256": file_sha256,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "refused": report.refused.len(),
                }),
            },
        )
        .await?;
    }
    txn.commit().await.context("committing the import")?;
    report.applied = true;
    Ok(report)
}

/// Orders rows so that a row whose parent is in the file comes after that parent; rows
/// keep the file's order otherwise. Rows caught in a cycle within the file come last
/// (their upsert refuses them).
fn parents_first(rows: Vec<(usize, NewClassifierItem)>) -> Vec<(usize, NewClassifierItem)> {
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, item))| (item.code.to_string(), i))
        .collect();
    let mut placed = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        // Walk up through the file's own rows to the first one already placed, then place
        // from the top down. Iterative (a file may hold a chain of any length) and linear
        // overall: each row joins one walk only.
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(i);
        while let Some(at) = next {
            if placed[at] || !seen.insert(at) {
                break;
            }
            chain.push(at);
            next = rows[at]
                .1
                .parent
                .as_ref()
                .and_then(|p| index.get(p.as_str()).copied());
        }
        for at in chain.into_iter().rev() {
            if !placed[at] {
                placed[at] = true;
                order.push(at);
            }
        }
    }
    let mut slots: Vec<Option<(usize, NewClassifierItem)>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::classifier::RawClassifierItem;

    fn item(code: &'static str, parent: Option<&'static str>) -> NewClassifierItem {
        NewClassifierItem::parse(&RawClassifierItem {
            code,
            description: "Artículo",
            parent,
            partida: None,
            unit: None,
            is_ict: false,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parents_come_before_children_whatever_the_file_order() {
        let rows = vec![
            (2, item("21101001", Some("21101"))),
            (3, item("21101", Some("211"))),
            (4, item("211", None)),
        ];
        let order: Vec<usize> = parents_first(rows)
            .into_iter()
            .map(|(line, _)| line)
            .collect();
        assert_eq!(order, [4, 3, 2]);
    }

    #[test]
    fn a_long_chain_in_a_file_is_ordered_without_recursion() {
        let codes: Vec<&'static str> = (0..50_000)
            .map(|i| &*Box::leak(format!("{}", 100_000_000 + i).into_boxed_str()))
            .collect();
        let rows: Vec<_> = codes
            .iter()
            .enumerate()
            .map(|(i, code)| (i + 2, item(code, (i > 0).then(|| codes[i - 1]))))
            .rev()
            .collect();
        assert_eq!(parents_first(rows).len(), 50_000, "every row is kept");
    }
}
