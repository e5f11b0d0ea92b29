//! The registrar imports the classifier from a CSV file: parents before children whatever
//! the file's order, all or nothing when asked.

use std::collections::HashSet;

use anyhow::Context as _;
use serde_json::json;

use crate::domain::audit::Actor;
use crate::domain::classifier::{NewClassifierItem, parents_first};
use crate::domain::code::Code;
use crate::domain::validation::ValidationErrors;
use crate::persistence::audit::{self, NewEvent};
use crate::persistence::classifier::{UpsertError, Upserted, upsert_in};
use crate::usecases::Context;

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
pub async fn run(
    cx: &Context<'_>,
    rows: Vec<(usize, NewClassifierItem)>,
    mut refused_rows: Vec<RefusedRow>,
    (atomic, file_sha256): (bool, &str),
    actor: &Actor,
) -> anyhow::Result<ImportReport> {
    let now = cx.now;
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
    let txn = cx.begin().await?;
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
