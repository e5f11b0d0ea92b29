use actix_web::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_RANGE, ETAG, IF_NONE_MATCH, RANGE,
};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use futures_util::TryStreamExt;

use super::{Document, document_id};
use crate::auth::{Identity, Principal, Role};
use crate::domain::document::{Ranged, file_name, range};
use crate::domain::ids::BidId;
use crate::domain::ids::{DocumentId, TenderId};
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::error::{ApiError, Problem};
use crate::persistence::entities::document;
use crate::persistence::{documents, tenders};
use crate::routes::tenders::may_see;
use crate::seal::StreamOpener;
use crate::state::AppState;
use crate::usecases::documents::attach_to_bid::{aad, open_meta};
use crate::usecases::sealed::owned_by;

/// The document and whether the public may read it; 404 when it does not exist or
/// `identity` (none: the public) may not see it. A bid's document is its owner's, and
/// its tender's officers' and auditors' after the opening; never the public's.
async fn visible(
    state: &AppState,
    id: DocumentId,
    identity: Option<&Identity>,
) -> Result<(document::Model, bool), ApiError> {
    let missing = || ApiError::not_found(format!("document {id}"));
    let model = documents::get(&state.db, id).await?.ok_or_else(missing)?;
    let tender = tenders::get(&state.db, TenderId::from_uuid(model.tender_id))
        .await?
        .ok_or_else(missing)?;
    if let Some(bid) = model.bid_id {
        let identity = identity.ok_or_else(missing)?;
        let staff = match identity.role {
            Role::Auditor => true,
            Role::Officer => identity
                .agency
                .as_ref()
                .is_some_and(|a| a.as_str() == tender.agency()),
            _ => false,
        };
        let owner = identity.role == Role::Supplier
            && match crate::persistence::bids::get(&state.db, BidId::from_uuid(bid)).await? {
                Some(b) => Rfc::parse_with(&identity.sub, CheckDigit::Override)
                    .ok()
                    .is_some_and(|rfc| {
                        let tag = state.sealer.bidder_tag(tender.tender.id, rfc.as_str());
                        owned_by(&b, rfc.as_str(), &tag)
                    }),
                None => false,
            };
        if owner || (staff && tender.tender.opened_at.is_some()) {
            return Ok((model, false));
        }
        return Err(missing());
    }
    // Public from the publication on (a draft cancelled unpublished keeps them private).
    let public = tender.tender.published_at.is_some();
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
        (status = 400, description = "`invalid_query`: these take no query parameter", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "`invalid_query`: these take no query parameter", body = Problem, content_type = "application/problem+json"),
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
    Ok(HttpResponse::Ok().json(opened(&state, model, public)?))
}

/// A document's view; a bid's with its sealed metadata opened.
fn opened(state: &AppState, model: document::Model, public: bool) -> Result<Document, ApiError> {
    if model.bid_id.is_none() {
        return Ok(Document::from_model(model, public));
    }
    let meta = open_meta(&state.sealer, &model)?;
    let mut view = Document::from_model(model, false);
    view.title = meta.title;
    view.media_type = meta.media_type;
    view.size = i64::try_from(meta.size).unwrap_or(i64::MAX);
    view.sha256 = meta.sha256;
    Ok(view)
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
        (status = 400, description = "`invalid_query`: these take no query parameter", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "`invalid_query`: these take no query parameter", body = Problem, content_type = "application/problem+json"),
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
    if model.bid_id.is_some() {
        return sealed_content(&state, &req, model).await;
    }
    content(&state, &req, model, public).await
}

/// A bid's document, opened as it streams from the store (no ranges: it is sealed in
/// chunks).
async fn sealed_content(
    state: &AppState,
    req: &HttpRequest,
    model: document::Model,
) -> Result<HttpResponse, ApiError> {
    use futures_util::StreamExt;
    let meta = open_meta(&state.sealer, &model)?;
    let etag = format!("\"{}\"", meta.sha256);
    if none_match(req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, "private, no-store"))
            .finish());
    }
    let opener = StreamOpener::new(
        state.sealer.clone(),
        meta.prefix_bytes()?,
        aad(DocumentId::from_uuid(model.id), "content"),
    );
    let inner = state.documents.read(&model.storage_key, None).await?;
    let stream =
        futures_util::stream::unfold((inner, Some(opener)), |(mut inner, opener)| async move {
            let mut opener = opener?;
            let step = match inner.next().await {
                Some(Ok(bytes)) => opener.push(&bytes).map(|p| (p, Some(opener))),
                Some(Err(e)) => Err(anyhow::Error::new(e)),
                None => opener.finish().map(|p| (p, None)),
            };
            Some(match step {
                Ok((plain, next)) => (Ok(bytes::Bytes::from(plain)), (inner, next)),
                Err(e) => {
                    tracing::error!(error = %e, "opening a sealed document");
                    (
                        Err(actix_web::error::ErrorInternalServerError(
                            "the sealed document could not be opened",
                        )),
                        (inner, None),
                    )
                }
            })
        });
    let digest = hex::decode(&meta.sha256)
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
        .unwrap_or_default();
    let mut response = HttpResponse::Ok();
    harden(&mut response);
    Ok(response
        .content_type(meta.media_type.as_str())
        .insert_header((ETAG, etag))
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .insert_header((ACCEPT_RANGES, "none"))
        .insert_header((CACHE_CONTROL, "private, no-store"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                file_name(&meta.title, &meta.media_type)
            ),
        ))
        .no_chunking(meta.size)
        .streaming(stream))
}

/// Whether an `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2).
fn none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers().get_all(IF_NONE_MATCH).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
            })
        })
    })
}

/// Headers every download carries: nothing in it runs in a browser on this origin.
fn harden(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"));
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
    if none_match(req, &etag) {
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
    harden(&mut response);
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
