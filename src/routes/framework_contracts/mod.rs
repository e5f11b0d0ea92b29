//! Framework contracts (registrar): fixed prices and adhered suppliers.

mod manage;
mod read;

pub use manage::*;
pub use read::*;

use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::domain::ids::FrameworkId;
use crate::domain::money::Money;
use crate::error::ApiError;
use crate::persistence::frameworks::FrameworkRecord;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/framework-contracts")
            .route(web::post().to(create_framework_contract))
            .route(web::get().to(list_framework_contracts)),
    )
    .service(
        resource("/api/v1/framework-contracts/{id}").route(web::get().to(get_framework_contract)),
    )
    .service(
        resource("/api/v1/framework-contracts/{id}/suppliers")
            .route(web::post().to(adhere_supplier)),
    )
    .service(
        resource("/api/v1/framework-contracts/{id}/end")
            .route(web::post().to(end_framework_contract)),
    );
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkItem {
    pub position: i32,
    pub classifier_code: String,
    pub unit: String,
    #[schema(value_type = String, example = "17000.00")]
    pub unit_price: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdheredSupplier {
    pub rfc: String,
    pub adhered_at: DateTime<Utc>,
}

/// A framework contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkContract {
    pub id: Uuid,
    pub title: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Its last day in force, when ended early.
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub items: Vec<FrameworkItem>,
    pub suppliers: Vec<AdheredSupplier>,
    pub created_at: DateTime<Utc>,
}

impl From<FrameworkRecord> for FrameworkContract {
    fn from(r: FrameworkRecord) -> Self {
        let c = r.contract;
        Self {
            id: c.id,
            title: c.title,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            ended_on: c.ended_on,
            end_reason: c.end_reason,
            items: r
                .items
                .into_iter()
                .map(|i| FrameworkItem {
                    position: i.position,
                    classifier_code: i.classifier_code,
                    unit: i.unit,
                    unit_price: Money::from_centavos(i.unit_centavos).unwrap_or_default(),
                })
                .collect(),
            suppliers: r
                .suppliers
                .into_iter()
                .map(|s| AdheredSupplier {
                    rfc: s.rfc,
                    adhered_at: s.adhered_at,
                })
                .collect(),
            created_at: c.created_at,
        }
    }
}

pub fn framework_id(raw: &str) -> Result<FrameworkId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("framework contract {raw}")))
}
