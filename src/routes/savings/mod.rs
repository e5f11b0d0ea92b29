//! Public savings figures: what every award saved against its reference value (and,
//! under framework contracts, against the framework prices).

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource;
use super::tenders::money_signed;
use crate::domain::agency::AgencyCode;
use crate::domain::tender::Procedure;
use crate::error::{ApiError, Problem};
use crate::persistence::awards::{self, SavingsFilter};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/public/v1/savings").route(web::get().to(savings)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SavingsParams {
    pub agency: Option<String>,
    pub procedure: Option<Procedure>,
    /// First day (legal calendar), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day (legal calendar), inclusive.
    pub to: Option<NaiveDate>,
    /// Also break the totals down by `month`, `quarter` or `year` (legal calendar).
    pub period: Option<Period>,
}

/// A period of the legal calendar to total savings by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    /// The label of the period `day` falls in: `2026-12`, `2026-Q4`, `2026`.
    pub fn label(self, day: NaiveDate) -> String {
        use chrono::Datelike;
        match self {
            Period::Month => format!("{:04}-{:02}", day.year(), day.month()),
            Period::Quarter => format!("{:04}-Q{}", day.year(), day.month0() / 3 + 1),
            Period::Year => format!("{:04}", day.year()),
        }
    }
}

/// Totals of one agency and procedure (and period, when asked).
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsGroup {
    /// With `period`: `2026-12`, `2026-Q4` or `2026`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
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

/// Savings of the awards, totalled and by agency and procedure — and by month, quarter or
/// year with `period` — between two dates (public).
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
    let mut periods: Option<Vec<String>> = None;
    let start_of = |day: NaiveDate| crate::routes::day_start(day, offset);
    let filter = SavingsFilter {
        agency,
        procedure: params.procedure,
        from: params.from.and_then(start_of),
        until: params.to.and_then(|d| d.succ_opt()).and_then(start_of),
    };
    let rows = match params.period {
        None => awards::savings_totals(state.reads(), &filter).await?,
        Some(period) => {
            let mut totals: std::collections::BTreeMap<
                (String, String, String),
                awards::SavingsRow,
            > = std::collections::BTreeMap::new();
            for e in awards::savings_entries(state.reads(), &filter).await? {
                let label = period.label(e.awarded_at.with_timezone(&offset).date_naive());
                let row = totals
                    .entry((label, e.agency.clone(), e.procedure.clone()))
                    .or_insert_with(|| awards::SavingsRow {
                        agency: e.agency.clone(),
                        procedure: e.procedure.clone(),
                        awards: 0,
                        reference: 0,
                        awarded: 0,
                        savings: 0,
                        framework_savings: 0,
                    });
                row.awards += 1;
                row.reference += e.reference;
                row.awarded += e.awarded;
                row.savings += e.savings;
                row.framework_savings += e.framework_savings;
            }
            let (labels, rows): (Vec<String>, Vec<awards::SavingsRow>) = totals
                .into_iter()
                .map(|((label, _, _), row)| (label, row))
                .unzip();
            periods = Some(labels);
            rows
        }
    };
    let sum = |f: fn(&awards::SavingsRow) -> i64| rows.iter().map(f).sum::<i64>();
    let report = SavingsReport {
        awards: sum(|r| r.awards),
        reference_value: money_signed(sum(|r| r.reference)),
        awarded: money_signed(sum(|r| r.awarded)),
        savings: money_signed(sum(|r| r.savings)),
        framework_savings: money_signed(sum(|r| r.framework_savings)),
        groups: rows
            .iter()
            .enumerate()
            .map(|(i, r)| SavingsGroup {
                period: periods.as_ref().and_then(|p| p.get(i).cloned()),
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
