use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::ClassifierItem;
use crate::domain::classifier::ClassifierCode;
use crate::error::{ApiError, Problem};
use crate::persistence::classifier;
use crate::state::AppState;

/// An item with the chain of its ancestors, capítulo first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifierItemDetail {
    #[serde(flatten)]
    pub item: ClassifierItem,
    pub ancestors: Vec<ClassifierItem>,
}

/// One classifier item with its ancestors (public, no token).
#[utoipa::path(
    get, path = "/api/v1/classifier/{code}", tag = "classifier",
    params(("code" = String, Path, description = "The item's code")),
    responses(
        (status = 200, description = "The item", body = ClassifierItemDetail),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_classifier_item(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let raw = path.into_inner();
    let code = ClassifierCode::parse(&raw)
        .map_err(|_| ApiError::not_found(format!("classifier code {raw}")))?;
    let item = classifier::find(state.reads(), code.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("classifier code {code}")))?;
    let ancestors = classifier::ancestors(state.reads(), &item).await?;
    Ok(HttpResponse::Ok().json(ClassifierItemDetail {
        item: item.into(),
        ancestors: ancestors.into_iter().map(ClassifierItem::from).collect(),
    }))
}
