use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ClassifierItem;
use crate::auth::Registrar;
use crate::domain::classifier::{NewClassifierItem, RawClassifierItem};
use crate::error::{ApiError, Problem};
use crate::persistence::classifier::{UpsertError, Upserted};
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::classifier::upsert;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsertClassifierItemRequest {
    #[schema(example = "Computadora portátil de 14 pulgadas, 16 GB de RAM, 512 GB SSD")]
    pub description: String,
    /// The parent's code (must exist); absent for a capítulo.
    pub parent: Option<String>,
    /// The expense-object partida específica (4 or 5 digits).
    pub partida: Option<String>,
    pub unit: Option<String>,
    #[serde(default)]
    pub is_ict: bool,
}

/// Create or replace one classifier item (registrar).
#[utoipa::path(
    put, path = "/api/v1/classifier/{code}", tag = "classifier",
    params(("code" = String, Path, description = "The item's code: 1 to 12 digits")),
    request_body = UpsertClassifierItemRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ClassifierItem),
        (status = 200, description = "Updated, or already so", body = ClassifierItem),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`: registrar only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_classifier_code`, `invalid_description`, `invalid_partida`, `invalid_unit`, `unknown_parent`, `classifier_cycle`, `classifier_too_deep`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upsert_classifier_item(
    state: web::Data<AppState>,
    registrar: Registrar,
    path: web::Path<String>,
    ApiJson(body): ApiJson<UpsertClassifierItemRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let item = NewClassifierItem::parse(&RawClassifierItem {
        code: &code,
        description: &body.description,
        parent: body.parent.as_deref(),
        partida: body.partida.as_deref(),
        unit: body.unit.as_deref(),
        is_ict: body.is_ict,
    })?;
    let (outcome, saved) = upsert::run(&state.context(), &item, &registrar.0.actor())
        .await
        .map_err(|e| match e {
            UpsertError::Invalid(errors) => ApiError::Validation(errors),
            UpsertError::Unexpected(e) => ApiError::from(e),
        })?;
    let mut response = match outcome {
        Upserted::Created => HttpResponse::Created(),
        Upserted::Updated | Upserted::Unchanged => HttpResponse::Ok(),
    };
    Ok(response.json(ClassifierItem::from(saved)))
}
