use actix_web::{HttpRequest, HttpResponse, web};

use super::Agency;
use crate::error::{ApiError, Problem};
use crate::persistence::agencies;
use crate::routes::pagination::{Page, PageParams};
use crate::startup::AppState;

/// List buying units in code order (public, no token).
#[utoipa::path(
    get, path = "/public/v1/agencies", tag = "agencies",
    params(PageParams),
    responses(
        (status = 200, description = "One page of agencies", body = Page<Agency>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_agencies(
    state: web::Data<AppState>,
    params: web::Query<PageParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = params.parse()?;
    let rows = agencies::list(&state.db, page.after.as_deref(), page.limit + 1).await?;
    let page = Page::from_rows(rows, &page, |a| a.code.clone(), &req, &[]).map(Agency::from);
    Ok(HttpResponse::Ok().json(page))
}
