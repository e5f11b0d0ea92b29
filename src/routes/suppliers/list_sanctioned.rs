use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::Sanction;
use crate::error::{ApiError, Problem};
use crate::persistence::suppliers;
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

/// A supplier barred today, with the sanctions in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct SanctionedSupplier {
    pub rfc: String,
    pub legal_name: String,
    pub sanctions: Vec<Sanction>,
}

/// Suppliers with a sanction in force today (public, no token), in RFC order.
#[utoipa::path(
    get, path = "/public/v1/sanctioned-suppliers", tag = "public",
    params(PageParams),
    responses(
        (status = 200, description = "One page of sanctioned suppliers", body = Page<SanctionedSupplier>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_sanctioned_suppliers(
    state: web::Data<AppState>,
    params: web::Query<PageParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = params.parse()?;
    let today = state.today();
    let rows =
        suppliers::sanctioned(state.reads(), today, page.after.as_deref(), page.limit + 1).await?;
    let page = Page::from_rows(rows, &page, |r| r.supplier.rfc.clone(), &req, &[]).map(|r| {
        SanctionedSupplier {
            rfc: r.supplier.rfc,
            legal_name: r.supplier.legal_name,
            sanctions: r
                .sanctions
                .into_iter()
                .map(|s| Sanction::from_model(s, today))
                .filter(|s| s.in_force)
                .collect(),
        }
    });
    Ok(HttpResponse::Ok().json(page))
}
