//! Who the caller is, as the service sees its token: a quick check for a person trying
//! the API or an integrator wiring up an identity provider.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::resource;
use crate::auth::Principal;
use crate::error::Problem;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/me").route(web::get().to(whoami)));
}

/// The caller's identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub sub: String,
    /// supplier, officer, ict_authority, registrar or auditor.
    pub role: String,
    /// The officer's agency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
}

/// The caller's identity, from its token (any role).
#[utoipa::path(
    get, path = "/api/v1/me", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The verified identity", body = Me),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn whoami(Principal(identity): Principal) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        sub: identity.sub,
        role: identity.role.as_str().to_owned(),
        agency: identity.agency.map(|a| a.to_string()),
    })
}
