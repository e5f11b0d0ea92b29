//! The public Open Contracting feeds: release packages in feed order, and one record
//! package per contracting process. No token.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::resource;
use crate::error::{ApiError, Problem};
use crate::ocds;
use crate::persistence::releases;
use crate::routes::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::startup::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/public/v1/releases").route(web::get().to(list_releases)))
        .service(resource("/public/v1/records/{ocid}").route(web::get().to(get_record)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// Resume after the releases already read: the `cursor` of the last `links.next`.
    pub cursor: Option<String>,
    /// Releases per package (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The feed position a cursor names (cursors are opaque: hex of the position).
fn position(cursor: Option<&str>) -> Result<i64, ApiError> {
    match cursor {
        None => Ok(0),
        Some(c) => hex::decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|p| *p >= 0)
            .ok_or(ApiError::InvalidCursor),
    }
}

/// Every published release, oldest first, as OCDS 1.1 release packages. `links.next` is
/// always there: it resumes after the last release of this page, so a reader that keeps
/// following it (polling once it comes back empty) sees every release exactly once, in
/// order, even while releases are being written.
#[utoipa::path(
    get, path = "/public/v1/releases", tag = "public",
    params(FeedParams),
    responses(
        (status = 200, description = "An OCDS 1.1 release package, with `links.next`", content_type = "application/json", body = Object),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_releases(
    state: web::Data<AppState>,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let after = position(params.cursor.as_deref())?;
    let rows = releases::page(&state.db, after, limit).await?;
    let last = rows.last().map_or(after, |r| r.seq);
    let bodies = rows
        .iter()
        .map(|r| serde_json::from_str(&r.body))
        .collect::<Result<Vec<serde_json::Value>, _>>()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("a stored release is not JSON: {e}")))?;
    // Links are built from LICITA_PUBLIC_URL and the parsed parameters only: nothing of
    // the request's Host, forwarded headers or raw query comes back.
    let base = state.public_url();
    let next = format!(
        "{base}/public/v1/releases?limit={limit}&cursor={}",
        hex::encode(last.to_string())
    );
    let uri = match &params.cursor {
        Some(_) => format!(
            "{base}/public/v1/releases?limit={limit}&cursor={}",
            hex::encode(after.to_string())
        ),
        None => format!("{base}/public/v1/releases?limit={limit}"),
    };
    Ok(HttpResponse::Ok().json(ocds::release_package(
        &uri,
        bodies,
        state.clock.now(),
        Some(next),
    )))
}

/// One contracting process as an OCDS 1.1 record package: every release of the `ocid`,
/// oldest first, and the compiled release (the process as it stands).
#[utoipa::path(
    get, path = "/public/v1/records/{ocid}", tag = "public",
    params(("ocid" = String, Path, description = "`LICITA_OCID_PREFIX`-tender id")),
    responses(
        (status = 200, description = "An OCDS 1.1 record package", content_type = "application/json", body = Object),
        (status = 404, description = "`not_found`: no release has this ocid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_record(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ocid = path.into_inner();
    let rows = releases::of_ocid(&state.db, &ocid).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found(format!("record {ocid}")));
    }
    let bodies = rows
        .iter()
        .map(|r| serde_json::from_str(&r.body))
        .collect::<Result<Vec<serde_json::Value>, _>>()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("a stored release is not JSON: {e}")))?;
    let uri = format!("{}/public/v1/records/{ocid}", state.public_url());
    Ok(HttpResponse::Ok().json(ocds::record_package(&uri, &ocid, bodies, state.clock.now())))
}
