use actix_web::HttpResponse;

use crate::error::ApiError;

/// The OpenAPI 3.1 document of this API (the same as `api-spec/openapi.json`).
pub async fn openapi_json() -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::json()?))
}
