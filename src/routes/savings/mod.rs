//! Public savings figures: what every award saved against its reference value (and,
//! under framework contracts, against the framework prices).

use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource;
use super::tenders::money_signed;
use crate::domain::agency::AgencyCode;
use crate::domain::tender::Procedure;
use crate::error::{ApiError, Problem};
use crate::persistence::awards::{self, SavingsFilter};
use crate::startup::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/public/v1/savings").route(web::get().to(savings)));
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SavingsParams {
    pub agency: Option<String>,
    pub procedure: Option<Procedure>,
    /// First day (legal calendar), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day (legal calendar), inclusive.
    pub to: Option<NaiveDate>,
}

/// Totals of one agency and procedure.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsGroup {
    pub agency: String,
    pub procedure: String,
    pub awards: i64,
    pub reference_value: String,
    pub awarded: String,
    pub savings: String,
    pub framework_savings: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsReport {
    pub awards: i64,
    pub reference_value: String,
    pub awarded: String,
    pub savings: String,
    pub framework_savings: String,
    pub groups: Vec<SavingsGroup>,
}

/// Savings of the awards, totalled and by agency and procedure, for a period (public).
#[utoipa::path(
    get, path = "/public/v1/savings", tag = "public",
    params(SavingsParams),
    responses(
        (status = 200, description = "Savings", body = SavingsReport),
        (status = 400, description = "`invalid_query`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn savings(
    state: web::Data<AppState>,
    params: web::Query<SavingsParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let agency = params
        .agency
        .as_deref()
        .map(|a| AgencyCode::parse(a).map_err(|e| ApiError::InvalidQuery(format!("agency: {e}"))))
        .transpose()?;
    if let (Some(from), Some(to)) = (params.from, params.to)
        && to < from
    {
        return Err(ApiError::InvalidQuery(
            "`to` comes on or after `from`".into(),
        ));
    }
    let offset = state.settings.legal_offset;
    let start_of = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| offset.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let filter = SavingsFilter {
        agency: agency.map(|a| a.to_string()),
        procedure: params.procedure.map(|p| p.as_str().to_owned()),
        from: params.from.and_then(start_of),
        until: params.to.and_then(|d| d.succ_opt()).and_then(start_of),
    };
    let rows = awards::savings_totals(&state.db, &filter).await?;
    let sum = |f: fn(&awards::SavingsRow) -> i64| rows.iter().map(f).sum::<i64>();
    let report = SavingsReport {
        awards: sum(|r| r.awards),
        reference_value: money_signed(sum(|r| r.reference)),
        awarded: money_signed(sum(|r| r.awarded)),
        savings: money_signed(sum(|r| r.savings)),
        framework_savings: money_signed(sum(|r| r.framework_savings)),
        groups: rows
            .iter()
            .map(|r| SavingsGroup {
                agency: r.agency.clone(),
                procedure: r.procedure.clone(),
                awards: r.awards,
                reference_value: money_signed(r.reference),
                awarded: money_signed(r.awarded),
                savings: money_signed(r.savings),
                framework_savings: money_signed(r.framework_savings),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(report))
}
