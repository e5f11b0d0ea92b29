//! The portal's pages: each loads public facts, shapes them for its template (money, dates
//! and names already written in Spanish), and renders it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::FixedOffset;
use serde::Deserialize;

use super::format::{self, pesos, when};
use super::page;
use crate::domain::agency::AgencyCode;
use crate::domain::ids::TenderId;
use crate::domain::lot::LotStatus;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::tender::{Procedure, Status};
use crate::error::ApiError;
use crate::persistence::awards::{self, AwardFilter, ListedAward, SavingsFilter};
use crate::persistence::tenders::{self, TenderFilter, TenderRecord, Visibility};
use crate::persistence::{agencies, audit, releases, suppliers};
use crate::routes::tenders::Tender;
use crate::state::AppState;

/// Tenders a search page shows.
const PAGE_SIZE: u64 = 20;

/// Keeps the first `limit` of rows read as `limit + 1`; whether there were more.
fn keep_first<T>(rows: &mut Vec<T>, limit: u64) -> bool {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    more
}

/// A tender in a list.
struct TenderRow {
    id: String,
    title: String,
    agency_code: String,
    /// The unit's name (its code if it has none on record).
    agency: String,
    procedure: &'static str,
    phase: &'static str,
    reference: String,
    deadline: String,
    deadline_machine: String,
}

impl TenderRow {
    /// The rows of `records`, with their units' names (one query).
    async fn all(
        state: &AppState,
        records: &[TenderRecord],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Self>, ApiError> {
        let codes: Vec<&str> = records.iter().map(|r| r.tender.agency.as_str()).collect();
        let names = agencies::names_of(state.reads(), &codes).await?;
        let offset = state.settings.legal_offset;
        Ok(records
            .iter()
            .map(|r| Self::of(r, &names, now, offset))
            .collect())
    }

    fn of(
        record: &TenderRecord,
        names: &std::collections::HashMap<String, String>,
        now: chrono::DateTime<chrono::Utc>,
        offset: FixedOffset,
    ) -> Self {
        let schedule = record.schedule();
        let code = &record.tender.agency;
        Self {
            id: record.tender.id.to_string(),
            title: record.tender.title.clone(),
            agency_code: code.clone(),
            agency: names.get(code).unwrap_or(code).clone(),
            procedure: format::procedure(record.procedure()),
            phase: format::phase(record.phase(now)),
            reference: format::signed_pesos(record.lots.iter().map(|l| l.reference_centavos).sum()),
            deadline: when(schedule.submission_deadline, offset),
            deadline_machine: format::machine_time(schedule.submission_deadline, offset),
        }
    }
}

/// An award in a list.
struct AwardRow {
    tender_id: String,
    tender_title: String,
    lot: String,
    agency: String,
    rfc: String,
    supplier: String,
    amount: String,
    savings: String,
    date: String,
}

impl AwardRow {
    fn of(listed: &ListedAward, offset: FixedOffset) -> Self {
        let a = &listed.award;
        Self {
            tender_id: a.tender_id.to_string(),
            tender_title: listed.tender_title.clone(),
            lot: if listed.lots_in_tender > 1 {
                format!("Partida {}: {}", a.lot, listed.lot_title)
            } else {
                String::new()
            },
            agency: listed.agency_name.clone(),
            rfc: a.rfc.clone(),
            supplier: listed.legal_name.clone(),
            amount: format::signed_pesos(a.amount_centavos),
            savings: format::signed_pesos(a.savings_centavos),
            date: when(a.awarded_at, offset),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct Home {
    awards: i64,
    awarded: String,
    savings: String,
    open: Vec<TenderRow>,
    latest: Vec<AwardRow>,
}

pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let offset = state.settings.legal_offset;
    let totals = awards::savings_totals(state.reads(), &SavingsFilter::default()).await?;
    let open_filter = TenderFilter {
        status: Some(Status::Published),
        taking_bids_at: Some(now),
        ..TenderFilter::default()
    };
    let open = TenderRow::all(
        &state,
        &tenders::list(state.reads(), &Visibility::Public, &open_filter, None, 10).await?,
        now,
    )
    .await?;
    let latest = awards::public_list(state.reads(), &AwardFilter::default(), None, 10)
        .await?
        .iter()
        .map(|a| AwardRow::of(a, offset))
        .collect();
    page(
        &req,
        StatusCode::OK,
        &Home {
            awards: totals.iter().map(|t| t.awards).sum(),
            awarded: format::signed_pesos(totals.iter().map(|t| t.awarded).sum()),
            savings: format::signed_pesos(totals.iter().map(|t| t.savings).sum()),
            open,
            latest,
        },
    )
}

/// The search form's fields, as a browser sends them (an empty field: no filter).
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    classifier: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    cursor: Option<String>,
}

/// A choice of a select, and whether it is the one chosen.
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "portal/search.html")]
struct Search {
    q: String,
    agency: String,
    classifier: String,
    from: String,
    to: String,
    procedures: Vec<Choice>,
    statuses: Vec<Choice>,
    error: Option<String>,
    rows: Vec<TenderRow>,
    next: Option<String>,
    csv_twin: String,
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Draft => "Borrador",
        Status::Published => "Publicada",
        Status::Opened => "Proposiciones abiertas",
        Status::Evaluated => "Evaluada",
        Status::Auction => "En subasta",
        Status::Awarded => "Adjudicada",
        Status::Contracted => "Contratada",
        Status::Cancelled => "Cancelada",
        Status::Deserted => "Desierta",
    }
}

pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    // A browser sends each field once; a repeated one counts by its first value.
    let params = match serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()) {
        Ok(pairs) => {
            let mut first = serde_json::Map::new();
            for (k, v) in pairs {
                first.entry(k).or_insert(serde_json::Value::String(v));
            }
            serde_json::from_value::<SearchParams>(serde_json::Value::Object(first))
                .unwrap_or_default()
        }
        Err(_) => {
            errors.push("La búsqueda no se pudo leer.".to_owned());
            SearchParams::default()
        }
    };
    let text: String = params
        .q
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let text = text.as_str();
    if text.split_whitespace().count() > tenders::MAX_SEARCH_WORDS {
        errors.push(format!(
            "La búsqueda toma a lo más {} palabras.",
            tenders::MAX_SEARCH_WORDS
        ));
    }
    let agency = match params.agency.trim() {
        "" => None,
        raw => AgencyCode::parse(raw)
            .map_err(|_| {
                errors
                    .push("La clave de la dependencia lleva solo letras, dígitos y guiones.".into())
            })
            .ok(),
    };
    let procedure = match params.procedure.as_str() {
        "" => None,
        raw => Procedure::parse(raw).or_else(|| {
            errors.push(format!("Procedimiento desconocido: {raw}"));
            None
        }),
    };
    let status = match params.status.as_str() {
        "" => None,
        raw => Status::parse(raw)
            .filter(|s| *s != Status::Draft)
            .or_else(|| {
                errors.push(format!("Estado desconocido: {raw}"));
                None
            }),
    };
    let classifier = match params.classifier.trim() {
        "" => None,
        raw => crate::domain::classifier::ClassifierCode::parse(raw)
            .map_err(|_| errors.push("La clave del clasificador lleva de 1 a 12 dígitos.".into()))
            .ok(),
    };
    let mut day = |label: &str, raw: &str| match raw.trim() {
        "" => None,
        raw => crate::routes::tenders::search_day(raw).or_else(|| {
            errors.push(format!("{label}: una fecha como 2026-03-31."));
            None
        }),
    };
    let from = day("Desde", &params.from);
    let to = day("Hasta", &params.to);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        errors.push("La fecha «hasta» va después de «desde».".into());
    }
    let before = match params.cursor.as_deref().map(str::parse::<TenderId>) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            errors.push("La página pedida no existe.".into());
            None
        }
        None => None,
    };
    let now = state.clock.now();
    let offset = state.settings.legal_offset;
    let filter = TenderFilter {
        agency: agency.clone(),
        procedure,
        status,
        text: (!text.is_empty()).then(|| text.to_owned()),
        classifier: classifier.clone(),
        published_from: from.and_then(|d| crate::routes::day_start(d, offset)),
        published_until: to
            .and_then(|d| d.succ_opt())
            .and_then(|d| crate::routes::day_start(d, offset)),
        taking_bids_at: None,
    };
    let (rows, next) = if errors.is_empty() {
        let mut found = tenders::list(
            state.reads(),
            &Visibility::Public,
            &filter,
            before,
            PAGE_SIZE + 1,
        )
        .await?;
        let more = keep_first(&mut found, PAGE_SIZE);
        let next = more
            .then(|| found.last().map(|r| r.tender.id.to_string()))
            .flatten()
            .map(|cursor| {
                let mut query: Vec<(&str, &str)> = vec![
                    ("q", text),
                    ("agency", params.agency.trim()),
                    ("procedure", &params.procedure),
                    ("status", &params.status),
                    ("classifier", params.classifier.trim()),
                    ("from", params.from.trim()),
                    ("to", params.to.trim()),
                ];
                query.retain(|(_, v)| !v.is_empty());
                query.push(("cursor", &cursor));
                format!(
                    "/licitaciones?{}",
                    serde_urlencoded::to_string(&query).unwrap_or_default()
                )
            });
        (TenderRow::all(&state, &found, now).await?, next)
    } else {
        (Vec::new(), None)
    };
    let mut api_query: Vec<(&str, String)> = Vec::new();
    if let Some(a) = &agency {
        api_query.push(("agency", a.to_string()));
    }
    if let Some(p) = procedure {
        api_query.push(("procedure", p.as_str().to_owned()));
    }
    if let Some(s) = status {
        api_query.push(("status", s.as_str().to_owned()));
    }
    if !text.is_empty() {
        api_query.push(("q", text.to_owned()));
    }
    if let Some(c) = &classifier {
        api_query.push(("classifier", c.to_string()));
    }
    if let Some(d) = from {
        api_query.push(("from", d.to_string()));
    }
    if let Some(d) = to {
        api_query.push(("to", d.to_string()));
    }
    let view = Search {
        q: text.to_owned(),
        agency: params.agency.trim().to_owned(),
        classifier: params.classifier.trim().to_owned(),
        from: from.map(|d| d.to_string()).unwrap_or_default(),
        to: to.map(|d| d.to_string()).unwrap_or_default(),
        procedures: [
            Procedure::Open,
            Procedure::Invitation,
            Procedure::DirectAward,
            Procedure::FrameworkOrder,
        ]
        .into_iter()
        .map(|p| Choice {
            value: p.as_str(),
            label: format::procedure(p),
            selected: procedure == Some(p),
        })
        .collect(),
        statuses: Status::ALL
            .into_iter()
            .filter(|s| *s != Status::Draft)
            .map(|s| Choice {
                value: s.as_str(),
                label: status_label(s),
                selected: status == Some(s),
            })
            .collect(),
        error: (!errors.is_empty()).then(|| errors.join(" ")),
        rows,
        next,
        csv_twin: format!(
            "/api/v1/tenders?{}",
            serde_urlencoded::to_string(&api_query).unwrap_or_default()
        ),
    };
    let code = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(&req, code, &view)
}

struct ItemRow {
    position: i32,
    code: String,
    quantity: i64,
    unit: String,
    max_unit_price: String,
    ict: bool,
}

struct LotSection {
    number: i32,
    title: String,
    description: String,
    status: &'static str,
    reference: String,
    items: Vec<ItemRow>,
    award: Option<LotAward>,
    contract: Option<String>,
    auction_id: Option<String>,
    auction: Option<AuctionChart>,
}

/// A lot's auction, once the lot is awarded (its history is public then): each
/// participant's price over the auction's running time, and the same in a table.
struct AuctionChart {
    svg: String,
    rows: Vec<AuctionRow>,
}

struct AuctionRow {
    participant: String,
    start: String,
    last: String,
    bids: usize,
}

/// The chart of auction `id`, anonymised as the public history is (`P1`, `P2`… by
/// position).
async fn auction_chart(state: &AppState, id: uuid::Uuid) -> Result<Option<AuctionChart>, ApiError> {
    let snapshot = state.engine.snapshot(id).await?;
    let auction = &snapshot.state;
    let start = auction.rules.starts_at;
    let mut series = Vec::new();
    let mut rows = Vec::new();
    let prices = auction.prices();
    for (p, sealed) in auction.start_prices.iter().enumerate() {
        let name = format!("P{}", p + 1);
        let mut points = vec![(0.0, sealed.centavos() as f64 / 100.0)];
        let mine: Vec<_> = auction.bids.iter().filter(|b| b.participant == p).collect();
        points.extend(mine.iter().map(|b| {
            (
                (b.at - start).num_milliseconds().max(0) as f64 / 1000.0,
                b.amount.centavos() as f64 / 100.0,
            )
        }));
        rows.push(AuctionRow {
            participant: name.clone(),
            start: pesos(*sealed),
            last: prices.get(p).map(|m| pesos(*m)).unwrap_or_default(),
            bids: mine.len(),
        });
        series.push((name, points));
    }
    Ok(super::charts::lines(
        "Precio de cada participante a lo largo de la subasta",
        &series,
    )
    .map(|svg| AuctionChart { svg, rows }))
}

struct LotAward {
    rfc: String,
    amount: String,
    savings: String,
    date: String,
}

struct DocumentRow {
    id: String,
    title: String,
    kind: String,
    size: String,
    date: String,
}

struct ComplaintRow {
    act: String,
    status: &'static str,
    filed: String,
    suspends: bool,
}

struct ReleaseRow {
    date: String,
    machine: String,
    what: &'static str,
}

#[derive(Template)]
#[template(path = "portal/tender.html")]
struct TenderPage {
    id: String,
    title: String,
    description: String,
    agency_code: String,
    /// The unit's name (its code if it has none on record).
    agency: String,
    procedure: &'static str,
    phase: &'static str,
    reference: String,
    clarifications_until: String,
    submission_deadline: String,
    opening_at: String,
    cancel_reason: Option<String>,
    suspended: bool,
    lots: Vec<LotSection>,
    several_lots: bool,
    documents: Vec<DocumentRow>,
    complaints: Vec<ComplaintRow>,
    timeline: Vec<ReleaseRow>,
    ocid: String,
}

fn release_label(tag: &str) -> &'static str {
    match tag {
        "tender" => "Publicación de la convocatoria",
        "tenderAmendment" => "Modificación de la convocatoria",
        "tenderUpdate" => "Actualización del procedimiento",
        "tenderCancellation" => "Cancelación",
        "award" => "Fallo",
        "awardUpdate" => "Actualización del fallo",
        "awardCancellation" => "Cancelación del fallo",
        "contract" => "Firma del contrato",
        "contractUpdate" => "Actualización del contrato",
        _ => "Actualización",
    }
}

/// A page that is not there (an unknown or unpublished tender, a supplier with nothing
/// public).
#[derive(Template)]
#[template(path = "portal/not_found.html")]
struct NotFound {
    what: String,
}

fn not_found(req: &HttpRequest, what: &str) -> Result<HttpResponse, ApiError> {
    page(
        req,
        StatusCode::NOT_FOUND,
        &NotFound {
            what: what.to_owned(),
        },
    )
}

pub async fn tender(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Ok(id) = path.parse::<TenderId>() else {
        return not_found(&req, "la licitación");
    };
    let Some(record) = tenders::get(state.reads(), id)
        .await?
        .filter(|r| r.tender.published_at.is_some())
    else {
        return not_found(&req, "la licitación");
    };
    let now = state.clock.now();
    let offset = state.settings.legal_offset;
    let ocid = crate::ocds::ocid(&state.feed.prefix, id);
    let timeline = releases::of_ocid(state.reads(), &ocid)
        .await?
        .iter()
        .map(|r| ReleaseRow {
            date: when(r.date, offset),
            machine: format::machine_time(r.date, offset),
            what: release_label(&r.tag),
        })
        .collect();
    let view = Tender::from_record(record, now);
    let lots = view
        .lots
        .iter()
        .map(|l| LotSection {
            number: l.number,
            title: l.title.clone(),
            description: l.description.clone().unwrap_or_default(),
            status: format::lot_status(l.status),
            reference: pesos(l.reference_value),
            items: view
                .items
                .iter()
                .filter(|i| i.lot == l.number)
                .map(|i| ItemRow {
                    position: i.position,
                    code: i.classifier_code.clone(),
                    quantity: i.quantity,
                    unit: i.unit.clone(),
                    max_unit_price: pesos(i.max_unit_price),
                    ict: i.is_ict,
                })
                .collect(),
            award: l.award.as_ref().map(|a| LotAward {
                rfc: a.rfc.clone(),
                amount: pesos(a.amount),
                savings: format::signed_pesos(a.reference_value.centavos() - a.amount.centavos()),
                date: when(a.awarded_at, offset),
            }),
            contract: l.contract.as_ref().map(|c| {
                format!(
                    "{}, firmado el {}, vigente del {} al {}",
                    pesos(c.amount),
                    format::day(c.signed_on),
                    format::day(c.starts_on),
                    format::day(c.ends_on)
                )
            }),
            auction_id: l.auction_id.map(|a| a.to_string()),
            auction: None,
        })
        .collect::<Vec<_>>();
    let mut lots = lots;
    for (section, lot) in lots.iter_mut().zip(&view.lots) {
        if let (Some(id), LotStatus::Awarded | LotStatus::Contracted) = (lot.auction_id, lot.status)
        {
            section.auction = auction_chart(&state, id).await?;
        }
    }
    let agency = agencies::names_of(state.reads(), &[view.agency.as_str()])
        .await?
        .remove(&view.agency)
        .unwrap_or_else(|| view.agency.clone());
    let page_view = TenderPage {
        id: view.id.to_string(),
        title: view.title.clone(),
        description: view.description.clone(),
        agency_code: view.agency.clone(),
        agency,
        procedure: format::procedure(view.procedure),
        phase: format::phase(view.phase),
        reference: pesos(view.reference_value),
        clarifications_until: when(view.schedule.clarifications_until, offset),
        submission_deadline: when(view.schedule.submission_deadline, offset),
        opening_at: when(view.schedule.opening_at, offset),
        cancel_reason: view.cancel_reason.clone(),
        suspended: view.suspended_by.is_some(),
        several_lots: lots.len() > 1,
        lots,
        documents: view
            .documents
            .iter()
            .map(|d| DocumentRow {
                id: d.id.to_string(),
                title: d.title.clone(),
                kind: format::document_kind(d.kind).to_owned(),
                size: format::size(d.size),
                date: when(d.uploaded_at, offset),
            })
            .collect(),
        complaints: view
            .complaints
            .iter()
            .map(|c| ComplaintRow {
                act: match c.lot {
                    Some(lot) if view.lots.len() > 1 => {
                        format!("{} de la partida {lot}", format::act(c.act))
                    }
                    _ => format::act(c.act).to_owned(),
                },
                status: format::complaint_status(c.status),
                filed: when(c.filed_at, offset),
                suspends: c.suspension_in_force,
            })
            .collect(),
        timeline,
        ocid,
    };
    page(&req, StatusCode::OK, &page_view)
}

struct SanctionRow {
    authority: String,
    reason: String,
    period: String,
    /// Vigente, Próxima or Concluida.
    state: &'static str,
}

#[derive(Template)]
#[template(path = "portal/supplier.html")]
struct SupplierPage {
    /// More awards than the page lists: the total is of those listed.
    truncated: bool,
    rfc: String,
    name: String,
    awards: Vec<AwardRow>,
    total: String,
    sanctions: Vec<SanctionRow>,
}

/// The awards a supplier's page lists (the feed has them all).
const SUPPLIER_AWARDS: u64 = 200;

pub async fn supplier(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Ok(rfc) = Rfc::parse_with(path.trim(), CheckDigit::Override) else {
        return not_found(&req, "el proveedor");
    };
    let Some(record) = suppliers::get(state.reads(), &rfc).await? else {
        return not_found(&req, "el proveedor");
    };
    let offset = state.settings.legal_offset;
    let today = state.today();
    let filter = AwardFilter {
        rfc: Some(rfc.clone()),
        ..AwardFilter::default()
    };
    let mut won = awards::public_list(state.reads(), &filter, None, SUPPLIER_AWARDS + 1).await?;
    let truncated = keep_first(&mut won, SUPPLIER_AWARDS);
    // Only what is public already: its awards and its sanctions. A supplier with neither
    // has no page (registration alone is not published).
    if won.is_empty() && record.sanctions.is_empty() {
        return not_found(&req, "el proveedor");
    }
    let view = SupplierPage {
        truncated,
        rfc: rfc.to_string(),
        name: record.supplier.legal_name.clone(),
        total: format::signed_pesos(won.iter().map(|a| a.award.amount_centavos).sum()),
        awards: won.iter().map(|a| AwardRow::of(a, offset)).collect(),
        sanctions: record
            .sanctions
            .iter()
            .rev()
            .map(|s| SanctionRow {
                authority: s.authority.clone(),
                reason: s.reason.clone(),
                period: format!(
                    "del {} al {}",
                    format::day(s.starts_on),
                    format::day(s.ends_on)
                ),
                state: if crate::domain::supplier::in_force(s.starts_on, s.ends_on, today) {
                    "Vigente"
                } else if s.starts_on > today {
                    "Próxima"
                } else {
                    "Concluida"
                },
            })
            .collect(),
    };
    page(&req, StatusCode::OK, &view)
}

struct SavingsRow {
    label: String,
    awards: usize,
    awarded: String,
    savings: String,
}

#[derive(Template)]
#[template(path = "portal/savings.html")]
struct SavingsPage {
    awards: usize,
    awarded: String,
    savings: String,
    by_month_chart: Option<String>,
    by_month: Vec<SavingsRow>,
    by_procedure_chart: Option<String>,
    by_procedure: Vec<SavingsRow>,
}

/// Sums of `(label, awarded, savings)` by label, in label order.
fn sums(entries: impl Iterator<Item = (String, i64, i64)>) -> Vec<(String, usize, i64, i64)> {
    let mut groups: std::collections::BTreeMap<String, (usize, i64, i64)> = Default::default();
    for (label, awarded, savings) in entries {
        let g = groups.entry(label).or_default();
        g.0 += 1;
        g.1 += awarded;
        g.2 += savings;
    }
    groups
        .into_iter()
        .map(|(label, (n, awarded, savings))| (label, n, awarded, savings))
        .collect()
}

pub async fn savings(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let offset = state.settings.legal_offset;
    let entries = awards::savings_entries(state.reads(), &SavingsFilter::default()).await?;
    let row = |(label, awards, awarded, savings): (String, usize, i64, i64)| SavingsRow {
        label,
        awards,
        awarded: format::signed_pesos(awarded),
        savings: format::signed_pesos(savings),
    };
    let mut by_month = sums(entries.iter().map(|e| {
        (
            e.awarded_at
                .with_timezone(&offset)
                .format("%Y-%m")
                .to_string(),
            e.awarded,
            e.savings,
        )
    }));
    for group in &mut by_month {
        group.0 = format::month(&group.0);
    }
    let by_procedure = sums(entries.iter().map(|e| {
        let label = Procedure::parse(&e.procedure)
            .map_or(e.procedure.clone(), |p| format::procedure(p).to_owned());
        (label, e.awarded, e.savings)
    }));
    let chart = |label: &str, groups: &[(String, usize, i64, i64)]| {
        super::charts::bars(
            label,
            &groups
                .iter()
                .map(|(l, _, _, s)| (l.clone(), *s as f64 / 100.0))
                .collect::<Vec<_>>(),
        )
    };
    let view = SavingsPage {
        awards: entries.len(),
        awarded: format::signed_pesos(entries.iter().map(|e| e.awarded).sum()),
        savings: format::signed_pesos(entries.iter().map(|e| e.savings).sum()),
        by_month_chart: chart("Ahorro por mes", &by_month),
        by_month: by_month.into_iter().map(row).collect(),
        by_procedure_chart: chart("Ahorro por procedimiento", &by_procedure),
        by_procedure: by_procedure.into_iter().map(row).collect(),
    };
    page(&req, StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "portal/agency.html")]
struct AgencyPage {
    code: String,
    name: String,
    tenders: Vec<TenderRow>,
    more_tenders: Option<String>,
    awards: Vec<AwardRow>,
    awarded: String,
    savings: String,
    count: i64,
}

pub async fn agency(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Ok(code) = AgencyCode::parse(path.trim()) else {
        return not_found(&req, "la dependencia");
    };
    let Some(agency) = agencies::get(state.reads(), &code).await? else {
        return not_found(&req, "la dependencia");
    };
    let now = state.clock.now();
    let offset = state.settings.legal_offset;
    let filter = TenderFilter {
        agency: Some(code.clone()),
        ..TenderFilter::default()
    };
    let mut tenders = tenders::list(
        state.reads(),
        &Visibility::Public,
        &filter,
        None,
        PAGE_SIZE + 1,
    )
    .await?;
    let more = keep_first(&mut tenders, PAGE_SIZE);
    let award_filter = AwardFilter {
        agency: Some(code.clone()),
        ..AwardFilter::default()
    };
    let latest = awards::public_list(state.reads(), &award_filter, None, PAGE_SIZE).await?;
    let totals = awards::savings_totals(
        state.reads(),
        &SavingsFilter {
            agency: Some(code.clone()),
            ..SavingsFilter::default()
        },
    )
    .await?;
    let view = AgencyPage {
        code: code.to_string(),
        name: agency.name,
        more_tenders: more.then(|| format!("/licitaciones?agency={code}")),
        tenders: TenderRow::all(&state, &tenders, now).await?,
        awards: latest.iter().map(|a| AwardRow::of(a, offset)).collect(),
        awarded: format::signed_pesos(totals.iter().map(|t| t.awarded).sum()),
        savings: format::signed_pesos(totals.iter().map(|t| t.savings).sum()),
        count: totals.iter().map(|t| t.awards).sum(),
    };
    page(&req, StatusCode::OK, &view)
}

struct SanctionedRow {
    rfc: String,
    name: String,
    authority: String,
    reason: String,
    until: String,
}

#[derive(Template)]
#[template(path = "portal/sanctioned.html")]
struct SanctionedPage {
    rows: Vec<SanctionedRow>,
    truncated: bool,
}

/// How many sanctioned suppliers the page lists (the feed pages through all).
const SANCTIONED_SHOWN: u64 = 200;

pub async fn sanctioned(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let today = state.today();
    let mut found = suppliers::sanctioned(state.reads(), today, None, SANCTIONED_SHOWN + 1).await?;
    let truncated = keep_first(&mut found, SANCTIONED_SHOWN);
    let rows = found
        .iter()
        .flat_map(|r| {
            r.sanctions
                .iter()
                .filter(|s| crate::domain::supplier::in_force(s.starts_on, s.ends_on, today))
                .map(|s| SanctionedRow {
                    rfc: r.supplier.rfc.clone(),
                    name: r.supplier.legal_name.clone(),
                    authority: s.authority.clone(),
                    reason: s.reason.clone(),
                    until: format::day(s.ends_on),
                })
        })
        .collect();
    page(&req, StatusCode::OK, &SanctionedPage { rows, truncated })
}

#[derive(Template)]
#[template(path = "portal/audit.html")]
struct AuditPage {
    events: String,
    head: String,
    broken: Option<String>,
    checked: String,
    /// The checkpoint this verification started from: its event and when it was verified.
    since: Option<(i64, String)>,
    complete: bool,
    length: i64,
    limit: String,
}

pub async fn audit(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let offset = state.settings.legal_offset;
    let recent = audit::verify_since_checkpoint(&state.db, audit::PUBLIC_WALK_LIMIT, now).await?;
    let walk = recent.walk;
    let view = AuditPage {
        events: format::count(walk.length, "evento", "eventos"),
        head: walk.head,
        broken: walk
            .broken
            .map(|b| format!("El evento {} rompe la cadena: {}", b.seq, b.reason)),
        checked: when(now, offset),
        since: recent
            .from
            .verified_at
            .filter(|_| recent.from.seq > 0)
            .map(|at| (recent.from.seq, when(at, offset))),
        complete: recent.complete,
        length: walk.length,
        limit: format::count(
            i64::try_from(audit::PUBLIC_WALK_LIMIT).unwrap_or(i64::MAX),
            "evento",
            "eventos",
        ),
    };
    page(&req, StatusCode::OK, &view)
}
