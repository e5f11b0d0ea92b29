//! The supplier register: registration, profile, search, sanctions, and the public list
//! of sanctioned suppliers.

mod get;
mod list;
mod list_sanctioned;
mod register;
mod sanction;
mod update;

pub use get::{__path_get_supplier, get_supplier};
pub use list::{__path_list_suppliers, SupplierListParams, list_suppliers};
pub use list_sanctioned::{
    __path_list_sanctioned_suppliers, SanctionedSupplier, list_sanctioned_suppliers,
};
pub use register::{__path_register_supplier, RegisterSupplierRequest, register_supplier};
pub use sanction::{__path_record_sanction, RecordSanctionRequest, record_sanction};
pub use update::{__path_update_supplier, UpdateSupplierRequest, update_supplier};

use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::auth::{Identity, Role};
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::supplier::{CompanySize, SupplierStatus, in_force, status_on};
use crate::error::ApiError;
use crate::persistence::entities::sanction as sanction_entity;
use crate::persistence::suppliers::SupplierRecord;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/suppliers")
            .route(web::post().to(register_supplier))
            .route(web::get().to(list_suppliers)),
    )
    .service(
        resource("/api/v1/suppliers/{rfc}")
            .route(web::get().to(get_supplier))
            .route(web::patch().to(update_supplier)),
    )
    .service(resource("/api/v1/suppliers/{rfc}/sanctions").route(web::post().to(record_sanction)))
    .service(
        resource("/public/v1/sanctioned-suppliers").route(web::get().to(list_sanctioned_suppliers)),
    );
}

/// A supplier in the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct Supplier {
    #[schema(example = "SAT970701NN3")]
    pub rfc: String,
    /// `moral` (legal person, 12-character RFC) or `fisica` (natural person, 13).
    pub person_type: String,
    pub legal_name: String,
    #[schema(value_type = CompanySize)]
    pub size: String,
    pub email: String,
    pub classifier_codes: Vec<String>,
    /// Derived from the sanctions and today's date.
    pub status: SupplierStatus,
    /// The registrar registered this RFC although its check digit fails.
    pub check_digit_override: bool,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every sanction ever recorded, oldest first.
    pub sanctions: Vec<Sanction>,
}

/// A sanction (inhabilitación).
#[derive(Debug, Serialize, ToSchema)]
pub struct Sanction {
    pub id: Uuid,
    /// Who imposed it (e.g. the Secretaría Anticorrupción y Buen Gobierno).
    pub authority: String,
    /// The case file or official notice.
    pub reference: String,
    pub reason: String,
    /// First day barred.
    pub starts_on: NaiveDate,
    /// Last day barred.
    pub ends_on: NaiveDate,
    pub in_force: bool,
    pub recorded_at: DateTime<Utc>,
}

impl Sanction {
    pub fn from_model(model: sanction_entity::Model, today: NaiveDate) -> Self {
        Self {
            in_force: in_force(model.starts_on, model.ends_on, today),
            id: model.id,
            authority: model.authority,
            reference: model.reference,
            reason: model.reason,
            starts_on: model.starts_on,
            ends_on: model.ends_on,
            recorded_at: model.recorded_at,
        }
    }
}

impl Supplier {
    pub fn from_record(record: SupplierRecord, today: NaiveDate) -> Self {
        let s = record.supplier;
        let status = status_on(
            record.sanctions.iter().map(|x| (x.starts_on, x.ends_on)),
            today,
        );
        Self {
            rfc: s.rfc,
            person_type: s.person_type,
            legal_name: s.legal_name,
            size: s.size,
            email: s.email,
            classifier_codes: record.classifier_codes,
            status,
            check_digit_override: s.check_digit_override,
            registered_at: s.registered_at,
            updated_at: s.updated_at,
            sanctions: record
                .sanctions
                .into_iter()
                .map(|x| Sanction::from_model(x, today))
                .collect(),
        }
    }
}

/// The RFC of a path: normalised, and accepted even with a failing check digit (the
/// registrar may have registered it so). Anything else names no supplier.
pub fn path_rfc(raw: &str) -> Result<Rfc, ApiError> {
    Rfc::parse_with(raw, CheckDigit::Override)
        .map_err(|_| ApiError::not_found(format!("supplier {raw}")))
}

/// A supplier may act on its own record only.
pub fn require_self(identity: &Identity, rfc: &Rfc) -> Result<(), ApiError> {
    let own = Rfc::parse_with(&identity.sub, CheckDigit::Override).ok();
    if own.as_ref() == Some(rfc) {
        Ok(())
    } else {
        Err(ApiError::NotYourRecord(format!(
            "your token is for {}, not {rfc}",
            identity.sub
        )))
    }
}

/// Roles that may read any supplier.
pub const READERS: &[Role] = &[Role::Officer, Role::Registrar, Role::Auditor];
