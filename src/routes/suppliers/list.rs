use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{READERS, Supplier};
use crate::auth::{Principal, Role};
use crate::domain::classifier::ClassifierCode;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::supplier::{CompanySize, SupplierStatus};
use crate::error::{ApiError, Problem};
use crate::persistence::suppliers::{self, SupplierFilter};
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

/// The longest search text accepted.
const MAX_QUERY_LEN: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SupplierListParams {
    /// Words of the legal name (any case, accents ignored), or the start of an RFC.
    pub q: Option<String>,
    /// Suppliers that list this classifier code.
    pub classifier: Option<String>,
    pub size: Option<CompanySize>,
    /// `active` or `sanctioned` today.
    pub status: Option<SupplierStatus>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Search the register (officers, the registrar, auditors; a supplier sees only itself),
/// in RFC order.
#[utoipa::path(
    get, path = "/api/v1/suppliers", tag = "suppliers",
    params(SupplierListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of suppliers", body = Page<Supplier>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`, `not_your_record` (a supplier token whose sub is not an RFC)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_suppliers(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<SupplierListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let own_only = principal.0.role == Role::Supplier;
    if !own_only {
        principal.require_any(READERS)?;
    }
    let params = params.into_inner();
    let page = PageParams {
        cursor: params.cursor.clone(),
        limit: params.limit,
    }
    .parse()?;
    if params
        .q
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_LEN)
    {
        return Err(ApiError::InvalidQuery(format!(
            "q has at most {MAX_QUERY_LEN} characters"
        )));
    }
    let classifier = params
        .classifier
        .as_deref()
        .map(|c| {
            ClassifierCode::parse(c).map_err(|e| ApiError::InvalidQuery(format!("classifier: {e}")))
        })
        .transpose()?;
    let filter = SupplierFilter {
        q: params.q.clone().filter(|q| !q.trim().is_empty()),
        classifier: classifier.as_ref().map(|c| c.as_str().to_owned()),
        size: params.size,
        status: params.status,
    };
    let today = state.today();
    let rows = if own_only {
        // A supplier sees only its own record, whatever the filters say.
        let own = Rfc::parse_with(&principal.0.sub, CheckDigit::Override)
            .map_err(|_| ApiError::NotYourRecord("your token's subject is not an RFC".into()))?;
        let mine = suppliers::get(state.reads(), &own).await?;
        mine.into_iter().filter(|_| page.after.is_none()).collect()
    } else {
        suppliers::list(
            state.reads(),
            &filter,
            today,
            page.after.as_deref(),
            page.limit + 1,
        )
        .await?
    };
    let mut kept = Vec::new();
    if let Some(q) = &params.q {
        kept.push(("q", q.clone()));
    }
    if let Some(c) = &classifier {
        kept.push(("classifier", c.to_string()));
    }
    if let Some(size) = params.size {
        kept.push(("size", size.as_str().to_owned()));
    }
    if let Some(status) = params.status {
        kept.push((
            "status",
            if status == SupplierStatus::Active {
                "active"
            } else {
                "sanctioned"
            }
            .to_owned(),
        ));
    }
    let page = Page::from_rows(rows, &page, |r| r.supplier.rfc.clone(), &req, &kept)
        .map(|r| Supplier::from_record(r, today));
    Ok(HttpResponse::Ok().json(page))
}
