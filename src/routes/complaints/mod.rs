//! Complaints (inconformidades): filed by suppliers against an act of a tender, admitted
//! or rejected and resolved by the auditor, listed for their parties and, publicly, for
//! everyone (their existence from the filing; their text once closed).

use actix_web::http::header::{CONTENT_DISPOSITION, LINK, VARY};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::resource;
use crate::auth::{Auditor, Principal, Role, Supplier};
use crate::domain::code::Code;
use crate::domain::complaint::{Act, ComplaintStatus, RejectionReason};
use crate::domain::ids::AuctionId;
use crate::domain::ids::TenderId;
use crate::domain::tender::{LONG_TEXT_LEN, TITLE_LEN};
use crate::domain::text::bounded;
use crate::domain::validation::ValidationErrors;
use crate::engine::Then;
use crate::error::{ApiError, Problem};
use crate::formats::csv;
use crate::persistence::auctions;
use crate::persistence::complaints::{self, ComplaintFilter};
use crate::persistence::entities::complaint;
use crate::routes::auctions::hold_all;
use crate::routes::extract::ApiJson;
use crate::routes::negotiate;
use crate::routes::pagination::{Page, PageParams};
use crate::routes::tenders::{supplier_rfc, tender_id};
use crate::state::AppState;
use crate::usecases::complaints::decide::{self, Decision};
use crate::usecases::complaints::{file, withdraw};
use crate::usecases::{Context, UseCaseError};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/tenders/{id}/complaints").route(web::post().to(file_complaint)))
        .service(resource("/api/v1/complaints").route(web::get().to(list_complaints)))
        .service(resource("/api/v1/complaints/{id}").route(web::get().to(get_complaint)))
        .service(
            resource("/api/v1/complaints/{id}/admission").route(web::post().to(admit_complaint)),
        )
        .service(
            resource("/api/v1/complaints/{id}/rejection").route(web::post().to(reject_complaint)),
        )
        .service(
            resource("/api/v1/complaints/{id}/resolution").route(web::post().to(resolve_complaint)),
        )
        .service(
            resource("/api/v1/complaints/{id}/suspension-lift")
                .route(web::post().to(lift_suspension)),
        )
        .service(
            resource("/api/v1/complaints/{id}/withdrawal")
                .route(web::post().to(withdraw_complaint)),
        )
        .service(resource("/public/v1/complaints").route(web::get().to(public_complaints)));
}

/// A complaint as its parties (the complainant, the tender's officers) and auditors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub agency: String,
    pub act: Act,
    /// The lot of an award complaint.
    pub lot: Option<i32>,
    pub complainant_rfc: String,
    pub title: String,
    pub facts: String,
    pub request: String,
    pub status: ComplaintStatus,
    /// Admitted with a suspension of the tender, and whether it is still in force.
    pub suspends: bool,
    pub suspension_in_force: bool,
    pub filed_at: DateTime<Utc>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<RejectionReason>,
    /// The rejection's text, or the written resolution.
    pub decision: Option<String>,
    pub suspension_lifted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// What an upheld complaint changed.
    pub effects: Option<String>,
}

impl ComplaintView {
    pub fn from_model(c: complaint::Model) -> Self {
        let suspension_in_force = c.suspension_in_force();
        Self {
            id: c.id,
            tender_id: c.tender_id,
            agency: c.agency,
            act: c.act.into(),
            lot: c.lot,
            complainant_rfc: c.complainant_rfc,
            title: c.title,
            facts: c.facts,
            request: c.request,
            status: c.status.into(),
            suspends: c.suspends,
            suspension_in_force,
            filed_at: c.filed_at,
            admitted_at: c.admitted_at,
            decided_at: c.decided_at,
            rejection_reason: c
                .rejection_reason
                .as_deref()
                .and_then(RejectionReason::parse),
            decision: c.decision_text,
            suspension_lifted_at: c.suspension_lifted_at,
            withdrawn_at: c.withdrawn_at,
            effects: c.effects,
        }
    }
}

/// A complaint as the public sees it: its existence, act, status and dates from its
/// filing (and a rejection's reason from the list); its complainant, text and resolution
/// once it is resolved (upheld or dismissed).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicComplaint {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub agency: String,
    pub act: Act,
    pub lot: Option<i32>,
    pub status: ComplaintStatus,
    pub suspension_in_force: bool,
    pub filed_at: DateTime<Utc>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Once resolved.
    pub complainant_rfc: Option<String>,
    pub title: Option<String>,
    pub facts: Option<String>,
    pub request: Option<String>,
    pub rejection_reason: Option<RejectionReason>,
    pub decision: Option<String>,
    pub effects: Option<String>,
}

impl PublicComplaint {
    fn from_view(v: ComplaintView) -> Self {
        let closed = v.status.resolved();
        Self {
            id: v.id,
            tender_id: v.tender_id,
            agency: v.agency,
            act: v.act,
            lot: v.lot,
            status: v.status,
            suspension_in_force: v.suspension_in_force,
            filed_at: v.filed_at,
            admitted_at: v.admitted_at,
            decided_at: v.decided_at,
            withdrawn_at: v.withdrawn_at,
            complainant_rfc: closed.then_some(v.complainant_rfc),
            title: closed.then_some(v.title),
            facts: closed.then_some(v.facts),
            request: closed.then_some(v.request),
            rejection_reason: v.rejection_reason,
            decision: v.decision.filter(|_| closed),
            effects: v.effects.filter(|_| closed),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRequest {
    pub act: Act,
    /// Required for an award complaint on a tender of several lots.
    #[schema(minimum = 1)]
    pub lot: Option<u32>,
    /// 5 to 300 characters.
    pub title: String,
    /// The facts, 1 to 20,000 characters.
    pub facts: String,
    /// What the complainant asks for, 1 to 20,000 characters.
    pub request: String,
}

const FILE_ERRORS: &str = "`invalid_title`, `invalid_complaint`, `complaint_out_of_time`, `act_not_happened`, `invalid_body`";

/// File a complaint against an act of a tender (suppliers): the conditions (any registered
/// supplier, until the submission deadline), the opening, the evaluation or a lot's award (a
/// supplier that bid, in the award's lot, within `LICITA_COMPLAINT_DAYS` business days of
/// the act in the legal calendar).
#[utoipa::path(
    post, path = "/api/v1/tenders/{id}/complaints", tag = "complaints",
    params(("id" = Uuid, Path, description = "The tender")),
    request_body = ComplaintRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed", body = ComplaintView),
        (status = 403, description = "`forbidden_role`, `supplier_not_registered`, `no_standing` (only a supplier that bid contests the opening, the evaluation or an award)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (no such tender, or lot)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lot_required` (an award complaint on a tender of several lots names its lot)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = FILE_ERRORS, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn file_complaint(
    state: web::Data<AppState>,
    supplier: Supplier,
    path: web::Path<String>,
    ApiJson(body): ApiJson<ComplaintRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = tender_id(&path)?;
    let rfc = supplier_rfc(&supplier)?;
    let mut errors = ValidationErrors::new();
    let title = errors.check(
        "title",
        bounded(&body.title, "title", Code::InvalidTitle, TITLE_LEN, false),
    );
    let mut text = |field: &'static str, raw: &str| {
        errors.check(
            field,
            bounded(raw, field, Code::InvalidComplaint, LONG_TEXT_LEN, true),
        )
    };
    let facts = text("facts", &body.facts);
    let request = text("request", &body.request);
    errors.finish()?;
    let model = file::run(
        &state.context(),
        id,
        &rfc,
        file::Filing {
            act: body.act,
            lot: body.lot,
            title: title.unwrap_or_default(),
            facts: facts.unwrap_or_default(),
            request: request.unwrap_or_default(),
        },
        (state.settings.complaint_days, &state.settings.calendar),
        &supplier.0.actor(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/complaints/{}", model.id)))
        .json(ComplaintView::from_model(model)))
}

fn complaint_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("complaint {raw}")))
}

/// Who may read a complaint in full: auditors, the officers of its tender's agency, and
/// its complainant. To anyone else it is not found (the public list shows what is public).
fn may_read(identity: &crate::auth::Identity, c: &complaint::Model) -> bool {
    match identity.role {
        Role::Auditor => true,
        Role::Officer => identity
            .agency
            .as_ref()
            .is_some_and(|a| a.as_str() == c.agency),
        Role::Supplier => supplier_sub(identity) == c.complainant_rfc,
        _ => false,
    }
}

/// A complaint, in full (auditors, the tender's officers, the complainant).
#[utoipa::path(
    get, path = "/api/v1/complaints/{id}", tag = "complaints",
    params(("id" = Uuid, Path, description = "The complaint")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The complaint", body = ComplaintView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_complaint(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = complaint_id(&path)?;
    let model = complaints::get(&state.db, id)
        .await?
        .filter(|c| may_read(&principal.0, c))
        .ok_or_else(|| ApiError::not_found(format!("complaint {id}")))?;
    Ok(HttpResponse::Ok().json(ComplaintView::from_model(model)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComplaintListParams {
    /// A tender's complaints only.
    pub tender: Option<Uuid>,
    /// An agency's code.
    pub agency: Option<String>,
    /// `filed`, `admitted`, `rejected`, `upheld`, `dismissed` or `withdrawn`.
    #[param(value_type = Option<ComplaintStatus>)]
    pub status: Option<String>,
    /// `conditions`, `opening`, `evaluation` or `award`.
    #[param(value_type = Option<Act>)]
    pub act: Option<String>,
    /// First day of filing (YYYY-MM-DD, legal calendar), inclusive.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day of filing (YYYY-MM-DD, legal calendar), inclusive.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The query pairs a next link keeps.
type Kept = Vec<(&'static str, String)>;

impl ComplaintListParams {
    /// The filter, and the pairs a next link keeps.
    fn parse(&self, offset: chrono::FixedOffset) -> Result<(ComplaintFilter, Kept), ApiError> {
        let mut kept = Vec::new();
        let mut filter = ComplaintFilter::default();
        if let Some(t) = self.tender {
            filter.tender = Some(TenderId::from_uuid(t));
            kept.push(("tender", t.to_string()));
        }
        if let Some(a) = &self.agency {
            let code = crate::domain::agency::AgencyCode::parse(a).map_err(|_| {
                ApiError::InvalidQuery(format!("agency: {a} is not an agency code"))
            })?;
            filter.agency = Some(code.as_str().to_owned());
            kept.push(("agency", code.as_str().to_owned()));
        }
        if let Some(s) = &self.status {
            filter.status = Some(ComplaintStatus::parse(s).ok_or_else(|| {
                ApiError::InvalidQuery(format!("status: {s} is not a complaint status"))
            })?);
            kept.push(("status", s.clone()));
        }
        if let Some(a) = &self.act {
            filter.act = Some(
                Act::parse(a)
                    .ok_or_else(|| ApiError::InvalidQuery(format!("act: {a} is not an act")))?,
            );
            kept.push(("act", a.clone()));
        }
        let day = |name: &str, raw: &str| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| ApiError::InvalidQuery(format!("{name}: {raw} is not YYYY-MM-DD")))
        };
        let start_of = |day: NaiveDate| crate::routes::day_start(day, offset);
        if let Some(raw) = &self.from {
            filter.from = start_of(day("from", raw)?);
            kept.push(("from", raw.clone()));
        }
        if let Some(raw) = &self.to {
            filter.until = day("to", raw)?.succ_opt().and_then(start_of);
            kept.push(("to", raw.clone()));
        }
        Ok((filter, kept))
    }

    fn page(&self) -> Result<(crate::routes::pagination::PageRequest, Option<Uuid>), ApiError> {
        let page = PageParams {
            cursor: self.cursor.clone(),
            limit: self.limit,
        }
        .parse()?;
        let before = page
            .after
            .as_deref()
            .map(|c| c.parse::<Uuid>().map_err(|_| ApiError::InvalidCursor))
            .transpose()?;
        Ok((page, before))
    }
}

/// The complaints a caller may read in full: every one (auditors), its agency's
/// (officers), its own (suppliers); newest first.
#[utoipa::path(
    get, path = "/api/v1/complaints", tag = "complaints",
    params(ComplaintListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of complaints", body = Page<ComplaintView>),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden_role`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_complaints(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ComplaintListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (mut filter, kept) = params.parse(state.settings.legal_offset)?;
    let (page, before) = params.page()?;
    let identity = &principal.0;
    match identity.role {
        Role::Auditor => {}
        Role::Officer => match &identity.agency {
            Some(agency) => filter.agency = Some(agency.as_str().to_owned()),
            None => {
                return Err(ApiError::InvalidToken(
                    "an officer's token names its agency".into(),
                ));
            }
        },
        Role::Supplier => filter.complainant = Some(supplier_sub(identity)),
        _ => {
            return Err(ApiError::ForbiddenRole {
                required: "auditor, officer or supplier",
            });
        }
    }
    let rows = complaints::list(&state.db, &filter, before, page.limit + 1).await?;
    let page = Page::from_rows(rows, &page, |c| c.id.to_string(), &req, &kept)
        .map(ComplaintView::from_model);
    Ok(HttpResponse::Ok().json(page))
}

fn supplier_sub(identity: &crate::auth::Identity) -> String {
    crate::domain::rfc::Rfc::parse_with(&identity.sub, crate::domain::rfc::CheckDigit::Override)
        .map(|r| r.as_str().to_owned())
        .unwrap_or_else(|_| identity.sub.to_ascii_uppercase())
}

const JSON: &str = "application/json";
const CSV: &str = "text/csv";
const OFFERED: &[&str] = &[JSON, CSV];
const CSV_HEADER: &[&str] = &[
    "complaint_id",
    "tender_id",
    "agency",
    "act",
    "lot",
    "status",
    "suspension_in_force",
    "filed_at",
    "admitted_at",
    "decided_at",
    "withdrawn_at",
    "complainant_rfc",
    "title",
    "facts",
    "request",
    "rejection_reason",
    "decision",
    "effects",
];

/// Every complaint, as the public sees it (no token): its existence, act, status and dates
/// from its filing; its complainant, text and resolution once resolved. JSON or CSV.
#[utoipa::path(
    get, path = "/public/v1/complaints", tag = "public",
    params(ComplaintListParams),
    responses(
        (status = 200, description = "One page of complaints, newest first",
            headers(
                ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, absent on the last"),
                ("Vary" = String, description = "`Accept`"),
            ),
            content(
                (Page<PublicComplaint> = "application/json"),
                (String = "text/csv", example = "complaint_id,tender_id,agency,act,lot,status,suspension_in_force,filed_at,admitted_at,decided_at,withdrawn_at,complainant_rfc,title,facts,request,rejection_reason,decision,effects\r\n"),
            )
        ),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`not_acceptable`: `Accept` excludes JSON and CSV", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn public_complaints(
    state: web::Data<AppState>,
    params: web::Query<ComplaintListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let media_type = negotiate::choose_for(&req, OFFERED)
        .and_then(|i| OFFERED.get(i))
        .copied()
        .ok_or_else(|| {
            ApiError::NotAcceptable(format!(
                "this list is served as {}; send one of them in Accept (or none)",
                OFFERED.join(", ")
            ))
        })?;
    let (filter, kept) = params.parse(state.settings.legal_offset)?;
    let (page, before) = params.page()?;
    let rows = complaints::list(&state.db, &filter, before, page.limit + 1).await?;
    let page = Page::from_rows(rows, &page, |c| c.id.to_string(), &req, &kept)
        .map(|c| PublicComplaint::from_view(ComplaintView::from_model(c)));
    let mut response = HttpResponse::Ok();
    response.insert_header((VARY, "Accept"));
    if let Some(next) = &page.links.next {
        response.insert_header((LINK, format!("<{next}>; rel=\"next\"")));
    }
    if media_type == CSV {
        let time = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_default()
        };
        let rows = page.items.iter().map(|c| {
            vec![
                c.id.to_string(),
                c.tender_id.to_string(),
                c.agency.clone(),
                c.act.as_str().to_owned(),
                c.lot.map(|l| l.to_string()).unwrap_or_default(),
                c.status.as_str().to_owned(),
                c.suspension_in_force.to_string(),
                time(Some(c.filed_at)),
                time(c.admitted_at),
                time(c.decided_at),
                time(c.withdrawn_at),
                c.complainant_rfc.clone().unwrap_or_default(),
                c.title.clone().unwrap_or_default(),
                c.facts.clone().unwrap_or_default(),
                c.request.clone().unwrap_or_default(),
                c.rejection_reason
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                c.decision.clone().unwrap_or_default(),
                c.effects.clone().unwrap_or_default(),
            ]
        });
        let body = csv::table(CSV_HEADER, rows)?;
        return Ok(response
            .content_type("text/csv; charset=utf-8; header=present")
            .insert_header((
                CONTENT_DISPOSITION,
                "attachment; filename=\"complaints.csv\"",
            ))
            .body(body));
    }
    Ok(response.json(page))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRequest {
    /// Suspend the tender until the resolution (or until the suspension is lifted).
    #[serde(default)]
    pub suspend: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectionRequest {
    pub reason: RejectionReason,
    /// 1 to 20,000 characters.
    pub text: String,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Upheld,
    Dismissed,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionRequest {
    pub outcome: Outcome,
    /// The written resolution, 1 to 20,000 characters.
    pub resolution: String,
}

async fn decide_on(
    state: &AppState,
    auditor: &Auditor,
    path: &str,
    decision: Decision,
) -> Result<HttpResponse, ApiError> {
    let id = complaint_id(path)?;
    // A step that may pause or resume the tender's live auctions holds them while it
    // commits (SPEC §4); no other does, so that nobody else can stop one.
    let complaint = complaints::get(&state.db, id).await?;
    let changes_suspension = complaint.as_ref().is_some_and(|c| {
        matches!(decision, Decision::Admit { suspend: true })
            || (c.suspension_in_force()
                && matches!(
                    decision,
                    Decision::Resolve { .. } | Decision::LiftSuspension
                ))
    });
    let held = match &complaint {
        Some(c) if changes_suspension => open_auctions_of(state, c).await?,
        _ => Vec::new(),
    };
    let actor = auditor.0.actor();
    let model = holding(state, held, async |cx| {
        decide::run(cx, id, decision.clone(), &actor).await
    })
    .await?;
    let status = ComplaintStatus::from(model.status);
    if let Some(decided) = model.decided_at.filter(|_| {
        matches!(
            status,
            ComplaintStatus::Rejected | ComplaintStatus::Upheld | ComplaintStatus::Dismissed
        )
    }) {
        let seconds = (decided - model.filed_at).num_milliseconds() as f64 / 1000.0;
        state
            .metrics
            .complaint_decision_seconds
            .with_label_values(&[status.as_str()])
            .observe(seconds.max(0.0));
    }
    Ok(HttpResponse::Ok().json(ComplaintView::from_model(model)))
}

/// The open auctions of `complaint`'s tender: those a step on it may pause or resume.
async fn open_auctions_of(
    state: &AppState,
    complaint: &complaint::Model,
) -> Result<Vec<AuctionId>, ApiError> {
    Ok(auctions::open_of_tender(&state.db, TenderId::from_uuid(complaint.tender_id)).await?)
}

/// Runs a complaint step with the tender's auctions it may pause or resume held by the
/// engine (SPEC §4): first those `held` guesses; when the step finds others (scheduled, or
/// suspended, since the guess) it is rolled back and runs again holding those.
async fn holding<T>(
    state: &AppState,
    mut held: Vec<AuctionId>,
    step: impl AsyncFn(&Context<'_>) -> Result<T, UseCaseError>,
) -> Result<T, ApiError> {
    for _ in 0..3 {
        let cx = Context {
            held: &held,
            ..state.context()
        };
        let outcome = hold_all(
            state,
            &held,
            Then::Reload,
            Box::new(|| {
                Box::pin(async {
                    match step(&cx).await {
                        Ok(done) => Ok(Ok(done)),
                        Err(UseCaseError::Unheld(wanted)) => Ok(Err(wanted)),
                        Err(other) => Err(ApiError::from(other)),
                    }
                })
            }),
        )
        .await?;
        match outcome {
            Ok(done) => return Ok(done),
            Err(wanted) => {
                tracing::info!(
                    ?wanted,
                    "a complaint step runs again with more auctions held"
                );
                for id in wanted {
                    if !held.contains(&id) {
                        held.push(id);
                    }
                }
            }
        }
    }
    Err(ApiError::from(UseCaseError::Unheld(held)))
}

fn long_text(field: &'static str, raw: &str) -> Result<String, ApiError> {
    let mut errors = ValidationErrors::new();
    let text = errors.check(
        field,
        bounded(raw, field, Code::InvalidComplaint, LONG_TEXT_LEN, true),
    );
    errors.finish()?;
    Ok(text.unwrap_or_default())
}

/// Admit a filed complaint (auditors), suspending the tender or not.
#[utoipa::path(
    post, path = "/api/v1/complaints/{id}/admission", tag = "complaints",
    params(("id" = Uuid, Path, description = "The complaint")),
    request_body = AdmissionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Admitted", body = ComplaintView),
        (status = 403, description = "`forbidden_role` (auditors only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`complaint_step_not_allowed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn admit_complaint(
    state: web::Data<AppState>,
    auditor: Auditor,
    path: web::Path<String>,
    ApiJson(body): ApiJson<AdmissionRequest>,
) -> Result<HttpResponse, ApiError> {
    decide_on(
        &state,
        &auditor,
        &path,
        Decision::Admit {
            suspend: body.suspend,
        },
    )
    .await
}

/// Reject a filed complaint (auditors), with a reason of the fixed list and its text.
#[utoipa::path(
    post, path = "/api/v1/complaints/{id}/rejection", tag = "complaints",
    params(("id" = Uuid, Path, description = "The complaint")),
    request_body = RejectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = ComplaintView),
        (status = 403, description = "`forbidden_role` (auditors only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`complaint_step_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_complaint`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reject_complaint(
    state: web::Data<AppState>,
    auditor: Auditor,
    path: web::Path<String>,
    ApiJson(body): ApiJson<RejectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let text = long_text("text", &body.text)?;
    decide_on(
        &state,
        &auditor,
        &path,
        Decision::Reject {
            reason: body.reason,
            text,
        },
    )
    .await
}

/// Resolve an admitted complaint (auditors): upheld or dismissed, with the written
/// resolution. Upheld against a lot's award, the award is annulled (unless its contract is
/// signed) and the lot returns to its award; against the conditions, the tender returns to
/// draft. The suspension ends.
#[utoipa::path(
    post, path = "/api/v1/complaints/{id}/resolution", tag = "complaints",
    params(("id" = Uuid, Path, description = "The complaint")),
    request_body = ResolutionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Resolved", body = ComplaintView),
        (status = 403, description = "`forbidden_role` (auditors only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`complaint_step_not_allowed` (filed, or closed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_complaint`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve_complaint(
    state: web::Data<AppState>,
    auditor: Auditor,
    path: web::Path<String>,
    ApiJson(body): ApiJson<ResolutionRequest>,
) -> Result<HttpResponse, ApiError> {
    let resolution = long_text("resolution", &body.resolution)?;
    decide_on(
        &state,
        &auditor,
        &path,
        Decision::Resolve {
            upheld: matches!(body.outcome, Outcome::Upheld),
            resolution,
        },
    )
    .await
}

/// Lift an admitted complaint's suspension of its tender before the resolution (auditors).
#[utoipa::path(
    post, path = "/api/v1/complaints/{id}/suspension-lift", tag = "complaints",
    params(("id" = Uuid, Path, description = "The complaint")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Lifted", body = ComplaintView),
        (status = 403, description = "`forbidden_role` (auditors only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_suspended`, `complaint_step_not_allowed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn lift_suspension(
    state: web::Data<AppState>,
    auditor: Auditor,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide_on(&state, &auditor, &path, Decision::LiftSuspension).await
}

/// Withdraw one's complaint, until its resolution (its complainant).
#[utoipa::path(
    post, path = "/api/v1/complaints/{id}/withdrawal", tag = "complaints",
    params(("id" = Uuid, Path, description = "The complaint")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = ComplaintView),
        (status = 403, description = "`forbidden_role` (suppliers only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (not one's own)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`complaint_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw_complaint(
    state: web::Data<AppState>,
    supplier: Supplier,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = complaint_id(&path)?;
    let rfc = supplier_rfc(&supplier)?;
    // Only the complainant's withdrawal of a suspending complaint holds the auctions (they
    // resume), so that nobody else can stop one.
    let held = match complaints::get(&state.db, id).await? {
        Some(c) if c.complainant_rfc == rfc.as_str() && c.suspension_in_force() => {
            open_auctions_of(&state, &c).await?
        }
        _ => Vec::new(),
    };
    let actor = supplier.0.actor();
    let model = holding(&state, held, async |cx| {
        withdraw::run(cx, id, &rfc, &actor).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(ComplaintView::from_model(model)))
}
