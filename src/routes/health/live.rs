use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// The process is alive and answering; `sandbox` says whether it runs in the sandbox
/// (legal periods zero, made-up data: nothing in it is a real procurement).
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Object, example = json!({"status": "ok", "sandbox": false})))
)]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok", "sandbox": state.settings.sandbox }))
}
