use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{FrameworkContract, framework_id};
use crate::auth::Principal;
use crate::domain::classifier::ClassifierCode;
use crate::domain::ids::FrameworkId;
use crate::error::{ApiError, Problem};
use crate::persistence::{classifier, frameworks};
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

/// One framework contract (any authenticated role).
#[utoipa::path(
    get, path = "/api/v1/framework-contracts/{id}", tag = "frameworks",
    params(("id" = Uuid, Path, description = "The framework contract")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The contract", body = FrameworkContract),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_framework_contract(
    state: web::Data<AppState>,
    _caller: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = framework_id(&path)?;
    let record = frameworks::get(state.reads(), id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("framework contract {id}")))?;
    Ok(HttpResponse::Ok().json(FrameworkContract::from(record)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FrameworkListParams {
    /// Only contracts in force on this date.
    pub active_on: Option<NaiveDate>,
    /// Only contracts covering this classifier code: fixing a price for it or for one of
    /// its ancestors (its partida, its family), as publication checks.
    pub classifier: Option<String>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Framework contracts, newest first (any authenticated role).
#[utoipa::path(
    get, path = "/api/v1/framework-contracts", tag = "frameworks",
    params(FrameworkListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of contracts", body = Page<FrameworkContract>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_framework_contracts(
    state: web::Data<AppState>,
    _caller: Principal,
    params: web::Query<FrameworkListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = PageParams {
        cursor: params.cursor.clone(),
        limit: params.limit,
    }
    .parse()?;
    let before = page
        .after
        .as_deref()
        .map(|c| {
            c.parse::<FrameworkId>()
                .map_err(|_| ApiError::InvalidCursor)
        })
        .transpose()?;
    let classifier = params
        .classifier
        .as_deref()
        .map(|c| {
            ClassifierCode::parse(c).map_err(|e| ApiError::InvalidQuery(format!("classifier: {e}")))
        })
        .transpose()?;
    // A contract covers a code when it prices the code or one of its ancestors.
    let codes = match &classifier {
        Some(code) => {
            let mut codes = vec![code.as_str().to_owned()];
            if let Some(chain) = classifier::chains(state.reads(), &codes)
                .await?
                .remove(code.as_str())
            {
                codes.extend(chain);
            }
            Some(codes)
        }
        None => None,
    };
    let rows = frameworks::list(
        state.reads(),
        params.active_on,
        codes.as_deref(),
        before,
        page.limit + 1,
    )
    .await?;
    let mut kept = Vec::new();
    if let Some(on) = params.active_on {
        kept.push(("active_on", on.to_string()));
    }
    if let Some(c) = &classifier {
        kept.push(("classifier", c.to_string()));
    }
    let page = Page::from_rows(rows, &page, |r| r.contract.id.to_string(), &req, &kept)
        .map(FrameworkContract::from);
    Ok(HttpResponse::Ok().json(page))
}
