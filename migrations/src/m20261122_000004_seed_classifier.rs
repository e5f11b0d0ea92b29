//! Loads the seed classifier (`migrations/seed/classifier.csv`): capítulos, conceptos,
//! partidas and items of a CUCOP-style classifier, every ICT partida included.
//!
//! The CSV is compiled in, so a fresh database gets the same classifier everywhere. The
//! registrar imports the full national classifier later through the API.

use std::collections::HashMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::ChronoUtc;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SEED: &str = include_str!("../seed/classifier.csv");
/// Rows per INSERT statement.
const BATCH: usize = 200;

/// Lower case, Spanish accents folded, runs of other characters turned into one space;
/// the same folding the service applies to what it stores and searches. Kept local, like
/// every identifier of a migration: this file is frozen once applied.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out
}

fn opt(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let now = ChronoUtc::now();
        let mut levels: HashMap<String, i32> = HashMap::new();
        let mut rows: Vec<[Value; 9]> = Vec::new();
        let mut reader = csv::Reader::from_reader(SEED.as_bytes());
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| DbErr::Migration(format!("seed line {line}: {e}")))?;
            let field = |n: usize| record.get(n).unwrap_or("").trim().to_owned();
            let (code, description, parent) = (field(0), field(1), opt(&field(2)));
            let level = match &parent {
                None => 1,
                Some(p) => levels.get(p).copied().map(|l| l + 1).ok_or_else(|| {
                    DbErr::Migration(format!(
                        "seed line {line}: parent {p} not defined before it"
                    ))
                })?,
            };
            levels.insert(code.clone(), level);
            let search = fold(&format!("{code} {description}"));
            rows.push([
                code.into(),
                description.into(),
                parent.into(),
                level.into(),
                opt(&field(3)).into(),
                opt(&field(4)).into(),
                (field(5) == "true").into(),
                search.into(),
                now.into(),
            ]);
        }
        for chunk in rows.chunks(BATCH) {
            let mut insert = Query::insert();
            insert.into_table("classifier_items").columns([
                "code",
                "description",
                "parent",
                "level",
                "partida",
                "unit",
                "is_ict",
                "search_text",
                "updated_at",
            ]);
            for row in chunk {
                insert
                    .values(row.clone().map(SimpleExpr::from))
                    .map_err(|e| DbErr::Migration(e.to_string()))?;
            }
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents: deepest level first.
        for level in (1..=8).rev() {
            manager
                .exec_stmt(
                    Query::delete()
                        .from_table("classifier_items")
                        .and_where(Expr::col("level").eq(level))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
