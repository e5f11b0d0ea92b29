//! The observers' portal (SPEC §5b): server-rendered HTML in Spanish, no JavaScript,
//! one stylesheet. It shows what the public feeds show and nothing more: each page is
//! built from the same public views (`routes::tenders::Tender`, the public awards list,
//! the sanctions register), so a sealed price never reaches it before the opening. Each
//! page links its machine-readable twin, and answers `If-None-Match` with a 304.

mod charts;
mod format;
mod pages;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub use format::{pesos, signed_pesos};

/// The stylesheet and the icon, built into the binary.
const STYLESHEET: &str = include_str!("../../static/licita.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(get_or_head().to(pages::home)))
        .service(web::resource("/licitaciones").route(get_or_head().to(pages::search)))
        .service(web::resource("/licitaciones/{id}").route(get_or_head().to(pages::tender)))
        .service(web::resource("/proveedores/{rfc}").route(get_or_head().to(pages::supplier)))
        .service(web::resource("/ahorros").route(get_or_head().to(pages::savings)))
        .service(web::resource("/dependencias/{code}").route(get_or_head().to(pages::agency)))
        .service(web::resource("/sancionados").route(get_or_head().to(pages::sanctioned)))
        .service(web::resource("/auditoria").route(get_or_head().to(pages::audit)))
        .service(web::resource("/static/licita.css").route(get_or_head().to(stylesheet)))
        .service(web::resource("/favicon.svg").route(get_or_head().to(favicon)))
        .service(web::resource("/favicon.ico").route(get_or_head().to(favicon)));
}

/// GET, and HEAD (the same answer without its body).
fn get_or_head() -> actix_web::Route {
    use actix_web::guard;
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, "text/css; charset=utf-8", STYLESHEET)
}

async fn favicon(req: HttpRequest) -> HttpResponse {
    asset(&req, "image/svg+xml", FAVICON)
}

/// A built-in file: cached for a day, revalidated by its digest.
fn asset(req: &HttpRequest, content_type: &str, body: &'static str) -> HttpResponse {
    cached(req, content_type, "public, max-age=86400", body.to_owned())
}

/// A rendered page (public data that changes as the procedures go on): revalidated each
/// minute by its digest.
fn page(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, ApiError> {
    let html = template
        .render()
        .map_err(|e| ApiError::from(anyhow::Error::new(e).context("rendering a portal page")))?;
    if !status.is_success() {
        // A precondition is checked only for a page that is there (RFC 9110 §13.2.1).
        let mut response = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(response);
    }
    Ok(cached(
        req,
        "text/html; charset=utf-8",
        "public, max-age=60",
        html,
    ))
}

/// `body` with its strong `ETag` (the SHA-256 of the bytes), or 304 when the client holds
/// it already.
fn cached(
    req: &HttpRequest,
    content_type: &str,
    cache_control: &str,
    body: String,
) -> HttpResponse {
    let digest = Sha256::digest(body.as_bytes());
    let tag = format!("\"{}\"", hex::encode(digest.get(..16).unwrap_or_default()));
    let held = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == tag || t == "*")
        });
    let mut response = if held {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok().content_type(content_type).body(body)
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
