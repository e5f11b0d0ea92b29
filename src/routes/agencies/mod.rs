//! Buying units: the registrar adds them; anyone may list them.

mod create;
mod list;
mod update;

pub use create::{__path_create_agency, CreateAgencyRequest, create_agency};
pub use list::{__path_list_agencies, list_agencies};
pub use update::{__path_update_agency, UpdateAgencyRequest, update_agency};

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::resource;
use crate::persistence::entities::agency;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/agencies").route(web::post().to(create_agency)))
        .service(resource("/api/v1/agencies/{code}").route(web::patch().to(update_agency)))
        .service(resource("/public/v1/agencies").route(web::get().to(list_agencies)));
}

/// A buying unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agency {
    #[schema(example = "SHCP")]
    pub code: String,
    #[schema(example = "Secretaría de Hacienda y Crédito Público")]
    pub name: String,
    /// Its RFC, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<agency::Model> for Agency {
    fn from(model: agency::Model) -> Self {
        Self {
            code: model.code,
            name: model.name,
            rfc: model.rfc,
            created_at: model.created_at,
        }
    }
}
