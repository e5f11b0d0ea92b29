//! The classifier of goods and services: public search, one item with its ancestors, and
//! the registrar's upsert and CSV import.

mod get;
mod import;
mod list;
mod upsert;

pub use get::{__path_get_classifier_item, ClassifierItemDetail, get_classifier_item};
pub use import::{__path_import_classifier, ImportParams, ImportReportResponse, import_classifier};
pub use list::{__path_list_classifier, ClassifierListParams, list_classifier};
pub use upsert::{
    __path_upsert_classifier_item, UpsertClassifierItemRequest, upsert_classifier_item,
};

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::resource;
use crate::persistence::entities::classifier_item;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/classifier").route(web::get().to(list_classifier)))
        .service(resource("/api/v1/classifier/import").route(web::post().to(import_classifier)))
        .service(
            resource("/api/v1/classifier/{code}")
                .route(web::get().to(get_classifier_item))
                .route(web::put().to(upsert_classifier_item)),
        );
}

/// One item of the classifier.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifierItem {
    #[schema(example = "51501003")]
    pub code: String,
    pub description: String,
    /// The parent's code; absent for a capítulo.
    pub parent: Option<String>,
    /// 1 capítulo, 2 concepto, 3 partida genérica, 4 partida específica, 5 item.
    pub level: i32,
    /// The expense-object partida específica (5 digits).
    pub partida: Option<String>,
    /// Unit of measure, for items.
    pub unit: Option<String>,
    /// Information and communication technology: buying it needs the ICT assent.
    pub is_ict: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<classifier_item::Model> for ClassifierItem {
    fn from(m: classifier_item::Model) -> Self {
        Self {
            code: m.code,
            description: m.description,
            parent: m.parent,
            level: m.level,
            partida: m.partida,
            unit: m.unit,
            is_ict: m.is_ict,
            updated_at: m.updated_at,
        }
    }
}
