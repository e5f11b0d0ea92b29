use actix_web::{HttpRequest, HttpResponse, http::header::LOCATION, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Document, document_id};
use crate::auth::Officer;
use crate::domain::code::Code;
use crate::domain::document::{DocumentKind, accepted_media_type, parse_title};
use crate::domain::validation::ValidationErrors;
use crate::error::{ApiError, Problem};
use crate::routes::extract::check_length;
use crate::routes::tenders::tender_id;
use crate::state::AppState;
use crate::usecases::documents::attach::{self, Attachment};

/// What an upload's headers must say, checked before a byte is read: an accepted media
/// type (returned), the bytes as they are, and a declared length within the limit.
fn upload_headers(
    req: &HttpRequest,
    limits: &crate::settings::DocumentSettings,
) -> Result<String, ApiError> {
    let raw_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = accepted_media_type(raw_type, &limits.media_types).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "a document is one of {} (got {raw_type:?})",
            limits.media_types.join(", ")
        ))
    })?;
    identity_encoding(req)?;
    check_length(req, usize::try_from(limits.max_bytes).unwrap_or(usize::MAX))?;
    Ok(media_type)
}

/// A document is sent as its bytes: a compressed body would be stored compressed.
fn identity_encoding(req: &HttpRequest) -> Result<(), ApiError> {
    match req
        .headers()
        .get(actix_web::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        None | Some("identity") => Ok(()),
        Some(other) => Err(ApiError::UnsupportedMediaType(format!(
            "send the document's bytes as they are (Content-Encoding {other:?} is not taken)"
        ))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttachParams {
    /// The document's title.
    pub title: String,
    /// What it is: `call` (the convocatoria and its bases), `technical_annex`,
    /// `clarifications_minutes`, `opening_minutes`, `evaluation_report`, `award_notice`,
    /// `contract` or `other`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: String,
    /// The id of an earlier document of the tender that this one replaces.
    pub supersedes: Option<String>,
}

/// Attach a document to a tender (officers of its agency): the file's bytes are the body,
/// sent with their `Content-Type`. Private while the tender is a draft; public, and
/// published in its OCDS record, from the publication on. A document never changes: send
/// a new one naming the one it `supersedes`.
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/documents", tag = "documents",
    params(("id" = uuid::Uuid, Path, description = "The tender"), AttachParams),
    request_body(description = "The file's bytes, with their media type (one of `LICITA_DOCUMENT_TYPES`)", content(
        (Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "application/zip"), (Vec<u8> = "text/csv"), (Vec<u8> = "text/plain"),
    )),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored and recorded", body = Document),
        (status = 400, description = "`invalid_query`, `incomplete_body`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than `LICITA_MAX_DOCUMENT_BYTES`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a media type `LICITA_DOCUMENT_TYPES` does not list", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_title`, `invalid_document_type`, `unknown_document`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn attach_document(
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<String>,
    params: web::Query<AttachParams>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let limits = &state.settings.documents;
    let mut errors = ValidationErrors::new();
    let title = parse_title(&params.title, &mut errors);
    let kind = DocumentKind::parse_tender(params.kind.trim());
    if kind.is_none() {
        errors.push(
            "type",
            Code::InvalidDocumentType,
            "one of call, technical_annex, clarifications_minutes, opening_minutes, \
             evaluation_report, award_notice, contract, other",
        );
    }
    let supersedes = match params.supersedes.as_deref() {
        None => None,
        Some(raw) => match document_id(raw.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push("supersedes", Code::UnknownDocument, "not a document id");
                None
            }
        },
    };
    errors.finish()?;
    let media_type = upload_headers(&req, limits)?;
    let (Some(title), Some(kind)) = (title, kind) else {
        return Err(ApiError::Unexpected(anyhow::anyhow!(
            "checked fields vanished"
        )));
    };
    let (model, public) = attach::run(
        &state.context(),
        &state.documents,
        (id, &officer.agency),
        Attachment {
            kind,
            title,
            media_type,
            supersedes,
        },
        payload,
        (limits.max_bytes, &officer.identity.actor()),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/documents/{}", model.id)))
        .json(Document::from_model(model, public)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BidAttachParams {
    /// The document's title (sealed with the bid).
    pub title: String,
}

/// Attach a document to one's live sealed bid, until the submission deadline: the file's
/// bytes are the body, with their `Content-Type`. It is sealed with the bid — encrypted at
/// rest, title, type, size and digest included — and read only by its owner before the
/// opening, by the tender's officers and auditors after it (`GET /api/v1/documents/{id}`).
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/bids/{bid_id}/documents", tag = "documents",
    params(
        ("id" = uuid::Uuid, Path, description = "The tender"),
        ("bid_id" = uuid::Uuid, Path, description = "One's live bid"),
        BidAttachParams,
    ),
    request_body(description = "The file's bytes, with their media type (one of `LICITA_DOCUMENT_TYPES`)", content(
        (Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "application/zip"), (Vec<u8> = "text/csv"), (Vec<u8> = "text/plain"),
    )),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sealed, stored and recorded", body = Document),
        (status = 400, description = "`invalid_query`, `incomplete_body`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such tender, or no bid of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`submission_closed`, `bid_not_live`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_title`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn attach_bid_document(
    state: web::Data<AppState>,
    supplier: crate::auth::Supplier,
    path: web::Path<(String, String)>,
    params: web::Query<BidAttachParams>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (id, bid_id) = path.into_inner();
    let id = tender_id(&id)?;
    let bid_id: crate::domain::ids::BidId = bid_id
        .parse()
        .map_err(|_| ApiError::not_found(format!("bid {bid_id}")))?;
    let rfc = crate::routes::tenders::supplier_rfc(&supplier)?;
    let limits = &state.settings.documents;
    let mut errors = ValidationErrors::new();
    let title = parse_title(&params.title, &mut errors);
    errors.finish()?;
    let media_type = upload_headers(&req, limits)?;
    let title =
        title.ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("checked title vanished")))?;
    let mut model = crate::usecases::documents::attach_to_bid::run(
        &state.context(),
        (&state.documents, &state.sealer),
        (id, bid_id, &rfc),
        crate::usecases::documents::attach_to_bid::BidAttachment {
            title: title.clone(),
            media_type: media_type.clone(),
        },
        payload,
        limits.max_bytes,
    )
    .await?;
    // Its owner sees what it sent; the row holds it sealed.
    let meta = crate::usecases::documents::attach_to_bid::open_meta(&state.sealer, &model)?;
    model.title = meta.title;
    model.media_type = meta.media_type;
    let mut view = Document::from_model(model, false);
    view.size = i64::try_from(meta.size).unwrap_or(i64::MAX);
    view.sha256 = meta.sha256;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/documents/{}", view.id)))
        .json(view))
}
