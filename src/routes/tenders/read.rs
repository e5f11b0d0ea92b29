use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Tender, may_see, tender_id};
use crate::auth::{MaybePrincipal, Role};
use crate::domain::agency::AgencyCode;
use crate::domain::ids::TenderId;
use crate::domain::tender::{Procedure, Status};
use crate::error::{ApiError, Problem};
use crate::persistence::tenders::{self, TenderFilter, Visibility};
use crate::routes::pagination::{Page, PageParams};
use crate::state::AppState;

/// One tender. Published tenders are public; a draft is seen only by its agency's
/// officers and auditors (404 to anyone else).
#[utoipa::path(
    get, path = "/api/v1/tenders/{id}", tag = "tenders",
    params(("id" = Uuid, Path, description = "The tender")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The tender, with its phase now", body = Tender),
        (status = 401, description = "`invalid_token`, `token_expired`: a token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tender(
    state: web::Data<AppState>,
    MaybePrincipal(identity): MaybePrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let record = tenders::get(state.reads(), id)
        .await?
        .filter(|r| may_see(identity.as_ref(), r))
        .ok_or_else(|| ApiError::not_found(format!("tender {id}")))?;
    Ok(HttpResponse::Ok().json(Tender::from_record(record, state.clock.now())))
}

/// A day of a tender search (`YYYY-MM-DD`), between the years 1900 and 9998 so that the
/// day after it is always a date both databases compare as such.
pub fn search_day(raw: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9998).contains(&d.year()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TenderListParams {
    /// Words the title or description contains (every one of them, in any case; up to
    /// 200 characters).
    pub q: Option<String>,
    pub agency: Option<String>,
    /// A classifier code: tenders with an item under it (the code or any descendant).
    pub classifier: Option<String>,
    /// Published on or after this day (legal calendar, `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Published on or before this day (legal calendar).
    pub to: Option<String>,
    pub procedure: Option<Procedure>,
    /// draft, published, opened, evaluated, auction, awarded, contracted, cancelled, deserted.
    pub status: Option<String>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Tenders, newest first: published ones for everyone, plus drafts for their agency's
/// officers and auditors.
#[utoipa::path(
    get, path = "/api/v1/tenders", tag = "tenders",
    params(TenderListParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "One page of tenders", body = Page<Tender>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_token`, `token_expired`: a token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_tenders(
    state: web::Data<AppState>,
    MaybePrincipal(identity): MaybePrincipal,
    params: web::Query<TenderListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let page = PageParams {
        cursor: params.cursor.clone(),
        limit: params.limit,
    }
    .parse()?;
    let before = page
        .after
        .as_deref()
        .map(|c| c.parse::<TenderId>().map_err(|_| ApiError::InvalidCursor))
        .transpose()?;
    let agency = params
        .agency
        .as_deref()
        .map(|a| AgencyCode::parse(a).map_err(|e| ApiError::InvalidQuery(format!("agency: {e}"))))
        .transpose()?;
    let status = params
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s)
                .ok_or_else(|| ApiError::InvalidQuery(format!("status: unknown value {s:?}")))
        })
        .transpose()?;
    let visibility = match &identity {
        Some(id) if id.role == Role::Auditor => Visibility::All,
        Some(id) if id.role == Role::Officer => id
            .agency
            .as_ref()
            .map_or(Visibility::Public, |a| Visibility::Agency(a.clone())),
        _ => Visibility::Public,
    };
    let text = match params.q.as_deref().map(str::trim) {
        Some(q) if q.chars().count() > 200 => {
            return Err(ApiError::InvalidQuery("q: at most 200 characters".into()));
        }
        Some(q) if q.chars().any(char::is_control) => {
            return Err(ApiError::InvalidQuery("q: no control characters".into()));
        }
        Some(q) if q.split_whitespace().count() > tenders::MAX_SEARCH_WORDS => {
            return Err(ApiError::InvalidQuery(format!(
                "q: at most {} words",
                tenders::MAX_SEARCH_WORDS
            )));
        }
        Some("") | None => None,
        Some(q) => Some(q.to_owned()),
    };
    let classifier = params
        .classifier
        .as_deref()
        .map(|c| {
            crate::domain::classifier::ClassifierCode::parse(c)
                .map_err(|e| ApiError::InvalidQuery(format!("classifier: {e}")))
        })
        .transpose()?;
    let day = |name: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|d| {
                search_day(d).ok_or_else(|| {
                    ApiError::InvalidQuery(format!(
                        "{name}: a date like 2026-03-31, from 1900 to 9998"
                    ))
                })
            })
            .transpose()
    };
    let (from, to) = (day("from", &params.from)?, day("to", &params.to)?);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(ApiError::InvalidQuery(
            "`to` comes on or after `from`".into(),
        ));
    }
    let offset = state.settings.legal_offset;
    let filter = TenderFilter {
        agency: agency.clone(),
        procedure: params.procedure,
        status,
        text: text.clone(),
        classifier: classifier.clone(),
        published_from: from.and_then(|d| crate::routes::day_start(d, offset)),
        published_until: to
            .and_then(|d| d.succ_opt())
            .and_then(|d| crate::routes::day_start(d, offset)),
        taking_bids_at: None,
    };
    let rows = tenders::list(state.reads(), &visibility, &filter, before, page.limit + 1).await?;
    let now = state.clock.now();
    let mut kept = Vec::new();
    if let Some(a) = &agency {
        kept.push(("agency", a.to_string()));
    }
    if let Some(p) = params.procedure {
        kept.push(("procedure", p.as_str().to_owned()));
    }
    if let Some(s) = status {
        kept.push(("status", s.as_str().to_owned()));
    }
    if let Some(q) = text {
        kept.push(("q", q));
    }
    if let Some(c) = classifier {
        kept.push(("classifier", c.to_string()));
    }
    if let Some(d) = from {
        kept.push(("from", d.to_string()));
    }
    if let Some(d) = to {
        kept.push(("to", d.to_string()));
    }
    let page = Page::from_rows(rows, &page, |r| r.tender.id.to_string(), &req, &kept)
        .map(|r| Tender::from_record(r, now));
    Ok(HttpResponse::Ok().json(page))
}
