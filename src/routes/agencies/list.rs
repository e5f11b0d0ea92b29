use actix_web::{HttpRequest, HttpResponse, web};

use super::Agency;
use crate::error::{ApiError, Problem};
use crate::persistence::agencies;
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AgencyListParams {
    /// Only the agency with this code (the `Location` of a new agency points here).
    pub code: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// List buying units in code order (public, no token).
#[utoipa::path(
    get, path = "/public/v1/agencies", tag = "agencies",
    params(AgencyListParams),
    responses(
        (status = 200, description = "One page of agencies", body = Page<Agency>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_agencies(
    state: web::Data<AppState>,
    params: web::Query<AgencyListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let page = PageParams {
        cursor: params.cursor,
        limit: params.limit,
    }
    .parse()?;
    let code = params
        .code
        .as_deref()
        .map(|c| {
            crate::domain::agency::AgencyCode::parse(c)
                .map_err(|e| ApiError::InvalidQuery(format!("code: {e}")))
        })
        .transpose()?;
    let rows = agencies::list(
        state.reads(),
        code.as_ref().map(|c| c.as_str()),
        page.after.as_deref(),
        page.limit + 1,
    )
    .await?;
    let kept: Vec<(&str, String)> = code
        .iter()
        .map(|c| ("code", c.as_str().to_owned()))
        .collect();
    let page = Page::from_rows(rows, &page, |a| a.code.clone(), &req, &kept).map(Agency::from);
    Ok(HttpResponse::Ok().json(page))
}
