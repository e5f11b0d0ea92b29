use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ClassifierItem;
use crate::domain::classifier::ClassifierCode;
use crate::domain::text::fold;
use crate::error::{ApiError, Problem};
use crate::persistence::classifier::{self, ClassifierFilter, SearchError};
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

/// The longest search text, and the most words, accepted.
const MAX_QUERY_LEN: usize = 200;
const MAX_TERMS: usize = 8;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ClassifierListParams {
    /// Words to find in the code or description: any case, accents ignored ("computo"
    /// finds "Cómputo"); whole-word matches rank first.
    pub q: Option<String>,
    /// Only ICT (`true`) or only non-ICT (`false`) items.
    pub ict: Option<bool>,
    /// Only the direct children of this code.
    pub parent: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Search or browse the classifier (public, no token). Without `q`, in code order.
#[utoipa::path(
    get, path = "/api/v1/classifier", tag = "classifier",
    params(ClassifierListParams),
    responses(
        (status = 200, description = "One page of items", body = Page<ClassifierItem>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_classifier(
    state: web::Data<AppState>,
    params: web::Query<ClassifierListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let page = PageParams {
        cursor: params.cursor.clone(),
        limit: params.limit,
    }
    .parse()?;
    let q = params.q.as_deref().unwrap_or("");
    if q.chars().count() > MAX_QUERY_LEN {
        return Err(ApiError::InvalidQuery(format!(
            "q has at most {MAX_QUERY_LEN} characters"
        )));
    }
    let terms: Vec<String> = fold(q)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if terms.len() > MAX_TERMS {
        return Err(ApiError::InvalidQuery(format!(
            "q has at most {MAX_TERMS} words"
        )));
    }
    let parent = params
        .parent
        .as_deref()
        .map(|p| {
            ClassifierCode::parse(p).map_err(|e| ApiError::InvalidQuery(format!("parent: {e}")))
        })
        .transpose()?;
    let filter = ClassifierFilter {
        terms,
        ict: params.ict,
        parent: parent.as_ref().map(|p| p.as_str().to_owned()),
    };
    let rows = classifier::list(
        state.reads(),
        &filter,
        page.after.as_deref(),
        page.limit + 1,
    )
    .await
    .map_err(|e| match e {
        SearchError::TooBroad => ApiError::InvalidQuery(e.to_string()),
        SearchError::Unexpected(e) => ApiError::from(e),
    })?;
    let mut kept = Vec::new();
    if let Some(q) = &params.q {
        kept.push(("q", q.clone()));
    }
    if let Some(ict) = params.ict {
        kept.push(("ict", ict.to_string()));
    }
    if let Some(parent) = &parent {
        kept.push(("parent", parent.to_string()));
    }
    let page = Page::from_rows(rows, &page, |(key, _)| key.clone(), &req, &kept)
        .map(|(_, item)| ClassifierItem::from(item));
    Ok(HttpResponse::Ok().json(page))
}
