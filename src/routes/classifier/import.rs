use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Registrar;
use crate::domain::classifier::{NewClassifierItem, RawClassifierItem, parse_flag};
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Code, Problem, ProblemField};
use crate::routes::extract::{check_length, media_type, read_limited};
use crate::state::AppState;
use crate::usecases::classifier::import::{self, ImportReport, RefusedRow};

/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 200_000;
const REQUIRED: [&str; 2] = ["code", "description"];
const KNOWN: [&str; 6] = ["code", "description", "parent", "partida", "unit", "is_ict"];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// All or nothing: when any row is refused, nothing is written and the answer is 422
    /// `import_refused` listing the refused rows. Default false: valid rows are applied.
    #[serde(default)]
    pub atomic: bool,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportResponse {
    /// Whether the valid rows were written.
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    /// Rows identical to what was there already (sending the same file twice changes nothing).
    pub unchanged: usize,
    pub refused: Vec<RefusedRowResponse>,
    /// SHA-256 of the file, as recorded in the audit log.
    pub sha256: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedRowResponse {
    /// The line in the file (the header is line 1).
    #[schema(minimum = 2)]
    pub line: usize,
    pub code: String,
    pub errors: Vec<ProblemField>,
}

fn fields(errors: &ValidationErrors) -> Vec<ProblemField> {
    errors
        .0
        .iter()
        .map(|e| ProblemField {
            field: e.field.clone(),
            code: e.code.as_str().to_owned(),
            message: e.message.clone(),
        })
        .collect()
}

/// Import classifier items from CSV (registrar): `text/csv`, a header row naming the
/// columns `code`, `description` and optionally `parent`, `partida`, `unit`, `is_ict`, in
/// any order. Rows are checked one by one; parents may come anywhere in the file. A row
/// has as many fields as the header (else `invalid_csv_row`). A file names each code
/// once: a row repeating the code of an earlier line is refused (`duplicate_code`) and
/// the earlier line alone counts, so the same file sent twice gives the same refusals and
/// changes nothing the second time.
#[utoipa::path(
    post, path = "/api/v1/classifier/import", tag = "classifier",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "code,description,parent,partida,unit,is_ict"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report: valid rows applied, refused rows listed with reasons", body = ImportReportResponse),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`: registrar only", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large` (LICITA_MAX_IMPORT_BYTES)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: send text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_csv` (no header, missing columns, not UTF-8, too many rows), `import_refused` (atomic, with the refused rows as fields `line N: field`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_classifier(
    state: web::Data<AppState>,
    registrar: Registrar,
    params: web::Query<ImportParams>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (essence, raw_type) = media_type(&req);
    if essence != "text/csv" {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the file as text/csv (got {raw_type:?})"
        )));
    }
    let limit = state.settings.max_import_bytes;
    check_length(&req, limit)?;
    let within = std::time::Duration::from_secs(state.settings.import_timeout_s);
    let body = read_limited(&mut payload, limit, within).await?;
    let sha256 = hex::encode(Sha256::digest(&body));
    let (rows, refused) = parse_csv(&body)?;
    tracing::info!(rows = rows.len(), refused = refused.len(), %sha256, "classifier import");
    let report = import::run(
        &state.context(),
        rows,
        refused,
        (params.atomic, &sha256),
        &registrar.0.actor(),
    )
    .await?;
    if !report.applied {
        return Err(import_refused(&report));
    }
    Ok(HttpResponse::Ok().json(ImportReportResponse {
        applied: report.applied,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        refused: report
            .refused
            .into_iter()
            .map(|r| RefusedRowResponse {
                line: r.line,
                code: r.code,
                errors: fields(&r.errors),
            })
            .collect(),
        sha256,
    }))
}

fn import_refused(report: &ImportReport) -> ApiError {
    let mut errors = ValidationErrors::new();
    for row in &report.refused {
        for e in &row.errors.0 {
            errors.push(
                &format!("line {}: {}", row.line, e.field),
                e.code,
                e.message.clone(),
            );
        }
    }
    ApiError::Rejected {
        code: Code::ImportRefused,
        detail: format!(
            "{} row(s) were refused; nothing was imported",
            report.refused.len()
        ),
        fields: errors,
    }
}

fn invalid_csv(detail: String) -> ApiError {
    ApiError::Rejected {
        code: Code::InvalidCsv,
        detail,
        fields: ValidationErrors::new(),
    }
}

type Parsed = (Vec<(usize, NewClassifierItem)>, Vec<RefusedRow>);

/// Parses the file into items, and the rows refused on their own.
fn parse_csv(body: &[u8]) -> Result<Parsed, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body)
        .map_err(|e| invalid_csv(format!("the file is not UTF-8: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| invalid_csv(format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for required in REQUIRED {
        if !headers.iter().any(|h| h == required) {
            return Err(invalid_csv(format!(
                "the header row lacks the column `{required}` (columns: {})",
                KNOWN.join(", ")
            )));
        }
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let columns: Vec<Option<usize>> = KNOWN.iter().map(|name| column(name)).collect();
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    // The line on which each code first appears, refused or not.
    let mut first_lines: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_IMPORT_ROWS {
            return Err(invalid_csv(format!(
                "an import holds at most {MAX_IMPORT_ROWS} rows"
            )));
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let mut errors = ValidationErrors::new();
                errors.push("row", Code::InvalidCsvRow, e.to_string());
                refused.push(RefusedRow {
                    line,
                    code: String::new(),
                    errors,
                });
                continue;
            }
        };
        let get = |k: usize| {
            columns
                .get(k)
                .copied()
                .flatten()
                .and_then(|c| record.get(c))
        };
        let code = get(0).unwrap_or("").trim().to_owned();
        let mut errors = ValidationErrors::new();
        if !code.is_empty() {
            if let Some(first) = first_lines.get(&code) {
                errors.push(
                    "code",
                    Code::DuplicateCode,
                    format!("{code} is already on line {first}; a file names each code once"),
                );
                refused.push(RefusedRow { line, code, errors });
                continue;
            }
            first_lines.insert(code.clone(), line);
        }
        // A value holding an unquoted comma shifts every column after it, and a short row
        // would silently leave its parent out: a row has as many fields as the header.
        if record.len() != headers.len() {
            errors.push(
                "row",
                Code::InvalidCsvRow,
                format!(
                    "the row has {} fields and the header {}; quote a value that holds a comma",
                    record.len(),
                    headers.len()
                ),
            );
            refused.push(RefusedRow { line, code, errors });
            continue;
        }
        let is_ict = match get(5).map(parse_flag) {
            None => false,
            Some(Some(flag)) => flag,
            Some(None) => {
                errors.push("is_ict", Code::InvalidFlag, "is_ict is true or false");
                false
            }
        };
        let parsed = NewClassifierItem::parse(&RawClassifierItem {
            code: &code,
            description: get(1).unwrap_or(""),
            parent: get(2),
            partida: get(3),
            unit: get(4),
            is_ict,
        });
        match parsed {
            Ok(item) if errors.is_empty() => rows.push((line, item)),
            Ok(_) => refused.push(RefusedRow { line, code, errors }),
            Err(mut e) => {
                e.0.extend(errors.0);
                refused.push(RefusedRow {
                    line,
                    code,
                    errors: e,
                });
            }
        }
    }
    Ok((rows, refused))
}
