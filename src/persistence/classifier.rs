//! The classifier repository: lookups, chains of parents, search, and the upsert of one
//! item that keeps the tree whole (a parent exists, no cycle, no deeper than the limit).

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::entities::classifier_item;
pub use super::entities::classifier_item::Model as Item;
use crate::domain::classifier::{MAX_LEVEL, NewClassifierItem};
use crate::domain::code::Code;
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

/// The ancestors' codes (root first) of each of `codes` that is in the classifier, in one
/// recursive query (bounded by the classifier's depth, so even a cycle would end).
pub async fn chains(
    conn: &impl ConnectionTrait,
    codes: &[String],
) -> anyhow::Result<HashMap<String, Vec<String>>> {
    use sea_orm::sea_query::{
        Alias, CommonTableExpression, Expr, ExprTrait, Query, UnionType, WithClause,
    };
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let up = Alias::new("up");
    let (start, code, parent, depth) = (
        Alias::new("start_code"),
        Alias::new("code"),
        Alias::new("parent"),
        Alias::new("depth"),
    );
    let mut base = Query::select()
        .expr_as(Expr::col(classifier_item::Column::Code), start.clone())
        .column(classifier_item::Column::Code)
        .column(classifier_item::Column::Parent)
        .expr_as(Expr::val(0i32), depth.clone())
        .from(classifier_item::Entity)
        .and_where(Expr::col(classifier_item::Column::Code).is_in(codes.iter().cloned()))
        .to_owned();
    let step = Query::select()
        .column((up.clone(), start.clone()))
        .column((classifier_item::Entity, classifier_item::Column::Code))
        .column((classifier_item::Entity, classifier_item::Column::Parent))
        .expr(Expr::col((up.clone(), depth.clone())).add(1i32))
        .from(classifier_item::Entity)
        .inner_join(
            up.clone(),
            Expr::col((classifier_item::Entity, classifier_item::Column::Code))
                .equals((up.clone(), parent.clone())),
        )
        .and_where(Expr::col((up.clone(), depth.clone())).lt(MAX_LEVEL))
        .to_owned();
    let cte = CommonTableExpression::new()
        .query(base.union(UnionType::All, step).to_owned())
        .columns([start.clone(), code.clone(), parent, depth.clone()])
        .table_name(up.clone())
        .to_owned();
    let query = Query::select()
        .column(start.clone())
        .column(code.clone())
        .column(depth.clone())
        .from(up)
        .order_by(start.clone(), sea_orm::Order::Asc)
        .order_by(depth, sea_orm::Order::Desc)
        .to_owned()
        .with(WithClause::new().recursive(true).cte(cte).to_owned());
    // Each code found has its own row at depth 0 (so a code with no parent still has an
    // empty chain), then its ancestors from the root down.
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for row in conn
        .query_all(&query)
        .await
        .context("reading classifier chains")?
    {
        let of: String = row.try_get("", "start_code").context("a chain's start")?;
        let chain = out.entry(of).or_default();
        let level: i32 = row.try_get("", "depth").context("a chain's depth")?;
        if level > 0 {
            chain.push(row.try_get("", "code").context("a chain's code")?);
        }
    }
    Ok(out)
}

/// Each of `codes` found in the classifier, with its ICT flag.
pub async fn ict_flags(
    conn: &impl ConnectionTrait,
    codes: &[String],
) -> anyhow::Result<HashMap<String, bool>> {
    Ok(classifier_item::Entity::find()
        .filter(classifier_item::Column::Code.is_in(codes.iter().cloned()))
        .all(conn)
        .await
        .context("reading classifier items")?
        .into_iter()
        .map(|c| (c.code, c.is_ict))
        .collect())
}

/// Each of `codes` found in the classifier, with its description.
pub async fn descriptions(
    conn: &impl ConnectionTrait,
    codes: &[String],
) -> anyhow::Result<HashMap<String, String>> {
    Ok(classifier_item::Entity::find()
        .filter(classifier_item::Column::Code.is_in(codes.iter().cloned()))
        .all(conn)
        .await
        .context("reading classifier descriptions")?
        .into_iter()
        .map(|c| (c.code, c.description))
        .collect())
}
