use crate::domain::code::Code;
use actix_web::{HttpResponse, http::header::LOCATION, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{FrameworkContract, framework_id};
use crate::auth::Registrar;
use crate::domain::classifier::{ClassifierCode, UNIT_LEN};
use crate::domain::money::Money;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::tender::{LONG_TEXT_LEN, TITLE_LEN};
use crate::domain::text::bounded;
use crate::domain::validation::{ValidationErrors, check_year};
use crate::error::{ApiError, Problem};
use crate::persistence::frameworks::NewFramework;
use crate::routes::extract::ApiJson;
use crate::state::AppState;
use crate::usecases::frameworks::{adhere, create, end};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkItemRequest {
    /// An item's code, or a partida's: it then covers every item below it.
    pub classifier_code: String,
    pub unit: String,
    #[schema(value_type = String, example = "17000.00")]
    pub unit_price: Money,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkRequest {
    #[schema(example = "Contrato marco de equipo de cómputo 2026")]
    pub title: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub items: Vec<FrameworkItemRequest>,
    /// RFCs of the adhered suppliers: registered, unsanctioned.
    #[serde(default)]
    pub suppliers: Vec<String>,
}

/// Create a framework contract (registrar).
#[utoipa::path(
    post, path = "/api/v1/framework-contracts", tag = "frameworks",
    request_body = FrameworkRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = FrameworkContract),
        (status = 403, description = "`forbidden_role`: registrar only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_title`, `invalid_date`, `invalid_validity`, `items_required`, `invalid_classifier_code`, `unknown_classifier_code`, `invalid_unit`, `invalid_money`, `framework_item_duplicate`, `invalid_rfc`, `adherent_not_registered`, `adherent_sanctioned`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_framework_contract(
    state: web::Data<AppState>,
    registrar: Registrar,
    ApiJson(body): ApiJson<FrameworkRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::new();
    let title = errors.check(
        "title",
        bounded(&body.title, "title", Code::InvalidTitle, TITLE_LEN, false),
    );
    check_year(&mut errors, "valid_from", body.valid_from);
    check_year(&mut errors, "valid_until", body.valid_until);
    if body.valid_until < body.valid_from {
        errors.push(
            "valid_until",
            Code::InvalidValidity,
            "a contract is valid until on or after it starts",
        );
    }
    if body.items.is_empty() {
        errors.push(
            "items",
            Code::ItemsRequired,
            "a framework contract fixes at least one price",
        );
    }
    let mut items: Vec<(String, String, Money)> = Vec::new();
    for (i, item) in body.items.iter().enumerate() {
        let code = errors.check(
            &format!("items[{i}].classifier_code"),
            ClassifierCode::parse(&item.classifier_code),
        );
        let unit = errors.check(
            &format!("items[{i}].unit"),
            bounded(&item.unit, "unit", Code::InvalidUnit, UNIT_LEN, false),
        );
        if item.unit_price == Money::ZERO {
            errors.push(
                &format!("items[{i}].unit_price"),
                Code::InvalidMoney,
                "a fixed price is greater than zero",
            );
        }
        if let (Some(code), Some(unit)) = (code, unit) {
            if items.iter().any(|(c, ..)| c == code.as_str()) {
                errors.push(
                    &format!("items[{i}].classifier_code"),
                    Code::FrameworkItemDuplicate,
                    format!("{code} has a price already"),
                );
            }
            items.push((code.as_str().to_owned(), unit, item.unit_price));
        }
    }
    let mut suppliers: Vec<String> = Vec::new();
    for (i, rfc) in body.suppliers.iter().enumerate() {
        if let Some(rfc) = errors.check(
            &format!("suppliers[{i}]"),
            Rfc::parse_with(rfc, CheckDigit::Override),
        ) && !suppliers.iter().any(|s| s == rfc.as_str())
        {
            suppliers.push(rfc.as_str().to_owned());
        }
    }
    errors.finish()?;
    let new = NewFramework {
        title: title.unwrap_or_default(),
        valid_from: body.valid_from,
        valid_until: body.valid_until,
        items,
        suppliers,
    };
    let record = create::run(&state.context(), &new, &registrar.0.actor()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/api/v1/framework-contracts/{}", record.contract.id),
        ))
        .json(FrameworkContract::from(record)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdhesionRequest {
    pub rfc: String,
}

/// A supplier adheres to a framework contract in force (registrar).
#[utoipa::path(
    post, path = "/api/v1/framework-contracts/{id}/suppliers", tag = "frameworks",
    params(("id" = uuid::Uuid, Path, description = "The framework contract")),
    request_body = AdhesionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Adhered", body = FrameworkContract),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_adhered`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_rfc`, `adherent_not_registered`, `adherent_sanctioned`, `framework_contract_inactive`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn adhere_supplier(
    state: web::Data<AppState>,
    registrar: Registrar,
    path: web::Path<String>,
    ApiJson(body): ApiJson<AdhesionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = framework_id(&path)?;
    let mut errors = ValidationErrors::new();
    let rfc = errors.check("rfc", Rfc::parse_with(&body.rfc, CheckDigit::Override));
    errors.finish()?;
    let rfc = rfc.ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("checked RFC vanished")))?;
    let record = adhere::run(&state.context(), id, &rfc, &registrar.0.actor()).await?;
    Ok(HttpResponse::Ok().json(FrameworkContract::from(record)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRequest {
    /// The last day in force.
    pub ends_on: NaiveDate,
    pub reason: String,
}

/// End a framework contract early (registrar).
#[utoipa::path(
    post, path = "/api/v1/framework-contracts/{id}/end", tag = "frameworks",
    params(("id" = uuid::Uuid, Path, description = "The framework contract")),
    request_body = EndRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Ended", body = FrameworkContract),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_ended`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_end_date`, `invalid_reason`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn end_framework_contract(
    state: web::Data<AppState>,
    registrar: Registrar,
    path: web::Path<String>,
    ApiJson(body): ApiJson<EndRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = framework_id(&path)?;
    let mut errors = ValidationErrors::new();
    let reason = errors.check(
        "reason",
        bounded(
            &body.reason,
            "reason",
            Code::InvalidReason,
            LONG_TEXT_LEN,
            true,
        ),
    );
    errors.finish()?;
    let record = end::run(
        &state.context(),
        id,
        body.ends_on,
        &reason.unwrap_or_default(),
        &registrar.0.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(FrameworkContract::from(record)))
}
