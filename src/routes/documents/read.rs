use actix_web::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_RANGE, ETAG, IF_NONE_MATCH, RANGE,
};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use futures_util::TryStreamExt;

use super::{Document, document_id};
use crate::auth::{Identity, Principal};
use crate::domain::document::{Ranged, file_name, range};
use crate::domain::ids::{DocumentId, TenderId};
use crate::error::{ApiError, Problem};
use crate::persistence::entities::document;
use crate::persistence::{documents, tenders};
use crate::routes::tenders::may_see;
use crate::state::AppState;

/// The document and whether the public may read it; `None` when it does not exist or
/// `identity` (none: the public) may not see it. A bid's document is not served here.
async fn visible(
    state: &AppState,
    id: DocumentId,
    identity: Option<&Identity>,
) -> Result<(document::Model, bool), ApiError> {
    let missing = || ApiError::not_found(format!("document {id}"));
    let model = documents::get(&state.db, id)
        .await?
        .filter(|d| d.bid_id.is_none())
        .ok_or_else(missing)?;
    let tender = tenders::get(&state.db, TenderId::from_uuid(model.tender_id))
        .await?
        .ok_or_else(missing)?;
    let public = tender.status() != crate::domain::tender::Status::Draft;
    if !(public || identity.is_some_and(|i| may_see(Some(i), &tender))) {
        return Err(missing());
    }
    Ok((model, public))
}

/// A document's metadata, once its tender is published.
#[utoipa::path(
    get, path = "/public/v1/documents/{id}", tag = "documents",
    params(("id" = uuid::Uuid, Path, description = "The document")),
    responses(
        (status = 200, description = "The document", body = Document),
        (status = 404, description = "`not_found`: no such document, or its tender is a draft", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_public_document(
    state: web::Data<AppState>,
    path: web::Path<String>,
    _query: web::Query<crate::routes::pagination::NoParams>,
) -> Result<HttpResponse, ApiError> {
    let (model, public) = visible(&state, document_id(&path)?, None).await?;
    Ok(HttpResponse::Ok().json(Document::from_model(model, public)))
}

/// A document's metadata: a draft's too, for the officers of its agency and auditors.
#[utoipa::path(
    get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = uuid::Uuid, Path, description = "The document")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document", body = Document),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_document(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    _query: web::Query<crate::routes::pagination::NoParams>,
) -> Result<HttpResponse, ApiError> {
    let (model, public) = visible(&state, document_id(&path)?, Some(&principal.0)).await?;
    Ok(HttpResponse::Ok().json(Document::from_model(model, public)))
}

/// A document's bytes, once its tender is published: exactly the bytes uploaded, with
/// their SHA-256 as a strong `ETag` and in `Repr-Digest`; one `Range` of bytes is served
/// as 206.
#[utoipa::path(
    get, path = "/public/v1/documents/{id}/content", tag = "documents",
    params(
        ("id" = uuid::Uuid, Path, description = "The document"),
        ("Range" = Option<String>, Header, description = "One range of bytes, `bytes=first-last`, `bytes=first-` or `bytes=-length`"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy already held: 304 when it is this one"),
    ),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream", body = Vec<u8>,
            headers(
                ("ETag" = String, description = "The SHA-256, hex, quoted"),
                ("Repr-Digest" = String, description = "`sha-256=:…:` (RFC 9530): the whole document's digest"),
                ("Content-Disposition" = String, description = "`attachment` with a safe file name"),
            )),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = Vec<u8>,
            headers(("Content-Range" = String, description = "`bytes first-last/size`"))),
        (status = 304, description = "Not modified: the `If-None-Match` copy is this document"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "`range_not_satisfiable`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn public_document_content(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    _query: web::Query<crate::routes::pagination::NoParams>,
) -> Result<HttpResponse, ApiError> {
    let (model, public) = visible(&state, document_id(&path)?, None).await?;
    content(&state, &req, model, public).await
}

/// A document's bytes, a draft's too (for the officers of its agency and auditors); as
/// the public download.
#[utoipa::path(
    get, path = "/api/v1/documents/{id}/content", tag = "documents",
    params(
        ("id" = uuid::Uuid, Path, description = "The document"),
        ("Range" = Option<String>, Header, description = "One range of bytes"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy already held"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "Not modified"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "`range_not_satisfiable`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn document_content(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    req: HttpRequest,
    _query: web::Query<crate::routes::pagination::NoParams>,
) -> Result<HttpResponse, ApiError> {
    let (model, public) = visible(&state, document_id(&path)?, Some(&principal.0)).await?;
    content(&state, &req, model, public).await
}

async fn content(
    state: &AppState,
    req: &HttpRequest,
    model: document::Model,
    public: bool,
) -> Result<HttpResponse, ApiError> {
    let size = u64::try_from(model.size_bytes).unwrap_or(0);
    let etag = format!("\"{}\"", model.sha256);
    let digest = hex::decode(&model.sha256)
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
        .unwrap_or_default();
    let cache = if public {
        // Its bytes never change.
        "public, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    let matches = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, cache))
            .finish());
    }
    let asked = req.headers().get(RANGE).and_then(|v| v.to_str().ok());
    let part = match range(asked, size) {
        Ranged::Whole => None,
        Ranged::Part { start, end } => Some((start, end)),
        Ranged::Unsatisfiable => {
            let problem = ApiError::RangeNotSatisfiable(format!(
                "the document has {size} bytes; ask for bytes 0 to {}",
                size.saturating_sub(1)
            ));
            let mut response = actix_web::ResponseError::error_response(&problem);
            if let Ok(value) = format!("bytes */{size}").parse() {
                response.headers_mut().insert(CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let stream = state
        .documents
        .read(&model.storage_key, part.map(|(s, e)| s..e + 1))
        .await?
        .map_err(|e| {
            tracing::error!(error = %e, "reading a document's bytes");
            actix_web::error::ErrorInternalServerError("the document store failed")
        });
    let mut response = match part {
        None => HttpResponse::Ok(),
        Some(_) => HttpResponse::PartialContent(),
    };
    response
        .content_type(model.media_type.as_str())
        .insert_header((ETAG, etag))
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .insert_header(("Digest", format!("SHA-256={digest}")))
        .insert_header((ACCEPT_RANGES, "bytes"))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header((
            CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                file_name(&model.title, &model.media_type)
            ),
        ));
    let length = match part {
        None => size,
        Some((start, end)) => {
            response.insert_header((CONTENT_RANGE, format!("bytes {start}-{end}/{size}")));
            end - start + 1
        }
    };
    Ok(response.no_chunking(length).streaming(stream))
}
