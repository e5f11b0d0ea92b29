//! ICT assents: officers request them, the Digital Government Unit decides.

mod decide;
mod request;

pub use decide::*;
pub use request::*;

use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::auth::{Identity, Role};
use crate::domain::agency::AgencyCode;
use crate::domain::money::Money;
use crate::error::ApiError;
use crate::persistence::ict::AssentRecord;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/api/v1/ict-assents")
            .route(web::post().to(request_assent))
            .route(web::get().to(list_assents)),
    )
    .service(resource("/api/v1/ict-assents/{id}").route(web::get().to(get_assent)))
    .service(resource("/api/v1/ict-assents/{id}/decision").route(web::post().to(decide_assent)));
}

/// An ICT assent (dictamen).
#[derive(Debug, Serialize, ToSchema)]
pub struct IctAssent {
    pub id: Uuid,
    pub agency: String,
    pub title: String,
    pub justification: String,
    #[schema(value_type = String)]
    pub amount: Money,
    /// One of the agency's strategic projects (limited per fiscal year).
    pub strategic: bool,
    pub classifier_codes: Vec<String>,
    /// requested, approved or rejected.
    pub status: String,
    #[schema(value_type = Option<String>)]
    pub approved_amount: Option<Money>,
    pub expires_on: Option<NaiveDate>,
    pub fiscal_year: Option<i32>,
    pub decision_notes: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub requested_at: DateTime<Utc>,
}

impl From<AssentRecord> for IctAssent {
    fn from(r: AssentRecord) -> Self {
        let a = r.assent;
        Self {
            id: a.id,
            agency: a.agency,
            title: a.title,
            justification: a.justification,
            amount: Money::from_centavos(a.amount_centavos).unwrap_or_default(),
            strategic: a.strategic,
            classifier_codes: r.codes,
            status: a.status.as_str().to_owned(),
            approved_amount: a
                .approved_centavos
                .and_then(|c| Money::from_centavos(c).ok()),
            expires_on: a.expires_on,
            fiscal_year: a.fiscal_year,
            decision_notes: a.decision_notes,
            decided_at: a.decided_at,
            requested_at: a.requested_at,
        }
    }
}

/// Who may read assents: the requesting agency's officers, the ICT authority, auditors.
/// Returns the agency the reader is limited to, if any.
pub fn reader_scope(identity: &Identity) -> Result<Option<AgencyCode>, ApiError> {
    match identity.role {
        Role::IctAuthority | Role::Auditor => Ok(None),
        Role::Officer => Ok(identity.agency.clone()),
        _ => Err(ApiError::ForbiddenRole {
            required: Role::Officer.as_str(),
        }),
    }
}
