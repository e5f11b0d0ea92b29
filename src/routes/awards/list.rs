use actix_web::http::header::{CONTENT_DISPOSITION, LINK, VARY};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::agency::AgencyCode;
use crate::domain::classifier::ClassifierCode;
use crate::domain::money::Money;
use crate::domain::rfc::{CheckDigit, Rfc};
use crate::domain::tender::Procedure;
use crate::domain::validation::YEARS;
use crate::error::{ApiError, Problem};
use crate::formats::atom::{self, ATOM};
use crate::formats::csv;
use crate::persistence::awards::{self, AwardFilter, AwardKey, ListedAward};
use crate::routes::negotiate;
use crate::routes::pagination::{Page, PageParams};
use crate::routes::tenders::money_signed;
use crate::state::AppState;

const JSON: &str = "application/json";
const CSV: &str = "text/csv";
/// The representations, in the order that breaks ties (`*/*` gets JSON).
const OFFERED: &[&str] = &[JSON, CSV, ATOM];

/// The date part of every `tag:` URI this service mints (RFC 4151): the year the
/// service began to name awards under its ocid prefix. Never change it: ids are permanent.
const TAG_DATE: &str = "2026";

/// The columns of the CSV, in order.
const CSV_HEADER: &[&str] = &[
    "award_id",
    "ocid",
    "tender_id",
    "tender_title",
    "agency_code",
    "agency_name",
    "procedure",
    "supplier_rfc",
    "supplier_legal_name",
    "amount",
    "reference_value",
    "savings",
    "framework_savings",
    "awarded_at",
    "auction_held",
    "contract_amount",
    "contract_signed_on",
    "contract_starts_on",
    "contract_ends_on",
    "lot",
    "lot_title",
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AwardListParams {
    /// An agency's code: its awards only.
    pub agency: Option<String>,
    /// A supplier's RFC: the awards it won.
    pub supplier: Option<String>,
    /// A classifier code: awards of tenders with an item under it (the code itself or any
    /// code below it in the hierarchy).
    pub classifier: Option<String>,
    /// First day of award (YYYY-MM-DD, legal calendar), inclusive.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day of award (YYYY-MM-DD, legal calendar), inclusive.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// An award, as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAward {
    pub id: Uuid,
    /// The contracting process in the OCDS feeds: `{LICITA_OCID_PREFIX}-{tender id}`.
    #[schema(example = "ocds-licita-01970c2e-5a4b-7c3d-9e8f-0a1b2c3d4e5f")]
    pub ocid: String,
    pub tender: AwardedTender,
    /// The lot awarded (1-based; a tender of one lot: 1), and its title.
    pub lot: i32,
    pub lot_title: String,
    pub agency: AwardedAgency,
    #[schema(value_type = Procedure)]
    pub procedure: String,
    pub supplier: AwardedSupplier,
    #[schema(value_type = String, example = "2103160.00")]
    pub amount: Money,
    #[schema(value_type = String, example = "2223420.00")]
    pub reference_value: Money,
    /// Reference value − awarded amount.
    #[schema(example = "120260.00")]
    pub savings: String,
    /// Under a framework contract: Σ (framework price − acquired price) × quantity.
    pub framework_savings: Option<String>,
    pub awarded_at: DateTime<Utc>,
    /// A reverse auction of the lot ran before the award.
    pub auction_held: bool,
    /// The signed contract, once recorded.
    pub contract: Option<AwardContract>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardedTender {
    /// `GET /api/v1/tenders/{id}` has the whole tender.
    pub id: Uuid,
    pub title: String,
    /// How many lots it has.
    pub lots: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardedAgency {
    #[schema(example = "SEP")]
    pub code: String,
    /// Today's name.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardedSupplier {
    #[schema(example = "SAT970701NN3")]
    pub rfc: String,
    /// Today's legal name in the register.
    pub legal_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardContract {
    #[schema(value_type = String, example = "2103160.00")]
    pub amount: Money,
    pub signed_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl PublicAward {
    fn from_listed(listed: ListedAward, ocid: String) -> Self {
        let a = listed.award;
        let money = |c: i64| Money::from_centavos(c).unwrap_or_default();
        Self {
            id: a.id,
            ocid,
            tender: AwardedTender {
                id: a.tender_id,
                title: listed.tender_title,
                lots: listed.lots_in_tender,
            },
            lot: a.lot,
            lot_title: listed.lot_title,
            agency: AwardedAgency {
                code: a.agency,
                name: listed.agency_name,
            },
            procedure: a.procedure,
            supplier: AwardedSupplier {
                rfc: a.rfc,
                legal_name: listed.legal_name,
            },
            amount: money(a.amount_centavos),
            reference_value: money(a.reference_centavos),
            savings: money_signed(a.savings_centavos),
            framework_savings: a.framework_savings_centavos.map(money_signed),
            awarded_at: a.awarded_at,
            auction_held: listed.auction_held,
            contract: listed.contract.map(|c| AwardContract {
                amount: money(c.amount_centavos),
                signed_on: c.signed_on,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
            }),
        }
    }
}

/// The filters, parsed.
struct Filters {
    agency: Option<AgencyCode>,
    supplier: Option<Rfc>,
    classifier: Option<ClassifierCode>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Filters {
    fn parse(params: &AwardListParams) -> Result<Self, ApiError> {
        let invalid =
            |name: &str, e: &dyn std::fmt::Display| ApiError::InvalidQuery(format!("{name}: {e}"));
        let filters = Self {
            agency: params
                .agency
                .as_deref()
                .map(|a| AgencyCode::parse(a).map_err(|e| invalid("agency", &e)))
                .transpose()?,
            // A registered RFC may have a failing check digit (the registrar's override):
            // the filter checks the shape only.
            supplier: params
                .supplier
                .as_deref()
                .map(|r| {
                    Rfc::parse_with(r, CheckDigit::Override).map_err(|e| invalid("supplier", &e))
                })
                .transpose()?,
            classifier: params
                .classifier
                .as_deref()
                .map(|c| ClassifierCode::parse(c).map_err(|e| invalid("classifier", &e)))
                .transpose()?,
            from: params.from.as_deref().map(|d| day("from", d)).transpose()?,
            to: params.to.as_deref().map(|d| day("to", d)).transpose()?,
        };
        if let (Some(from), Some(to)) = (filters.from, filters.to)
            && to < from
        {
            return Err(ApiError::InvalidQuery(
                "`to` comes on or after `from`".into(),
            ));
        }
        Ok(filters)
    }

    /// The filters as query parameters, in a fixed order: kept in the `next` link and
    /// naming the feed.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(a) = &self.agency {
            pairs.push(("agency", a.to_string()));
        }
        if let Some(r) = &self.supplier {
            pairs.push(("supplier", r.as_str().to_owned()));
        }
        if let Some(c) = &self.classifier {
            pairs.push(("classifier", c.to_string()));
        }
        if let Some(d) = self.from {
            pairs.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            pairs.push(("to", d.to_string()));
        }
        pairs
    }
}

/// A day `YYYY-MM-DD` within the years the service accepts.
fn day(name: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| YEARS.contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            ApiError::InvalidQuery(format!(
                "{name}: {raw:?} is not a day YYYY-MM-DD between {} and {}",
                YEARS.start(),
                YEARS.end()
            ))
        })
}

/// The cursor's key: the last award's time and id.
fn cursor_key(award: &ListedAward) -> String {
    format!(
        "{}|{}",
        award
            .award
            .awarded_at
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        award.award.id
    )
}

fn parse_cursor_key(key: &str) -> Result<AwardKey, ApiError> {
    let (at, id) = key.split_once('|').ok_or(ApiError::InvalidCursor)?;
    Ok(AwardKey {
        awarded_at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| ApiError::InvalidCursor)?
            .with_timezone(&Utc),
        id: Uuid::parse_str(id).map_err(|_| ApiError::InvalidCursor)?,
    })
}

/// The public list of awards (no token), newest first. `Accept` picks the
/// representation: JSON (the default), CSV (`text/csv`) or an Atom feed
/// (`application/atom+xml`); an `Accept` that excludes all three is 406. Every
/// representation pages with the same cursor: JSON in `links.next`, all three in a
/// `Link: <…>; rel="next"` header, Atom also in its `next` link.
#[utoipa::path(
    get, path = "/public/v1/awards", tag = "public",
    params(AwardListParams),
    responses(
        (status = 200, description = "One page of awards, newest first (by award time, then id)",
            headers(
                ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, absent on the last"),
                ("Vary" = String, description = "`Accept`"),
                ("Content-Disposition" = String, description = "CSV only: `attachment; filename=\"awards.csv\"`"),
            ),
            content(
                (Page<PublicAward> = "application/json"),
                (String = "text/csv", example = "award_id,ocid,tender_id,tender_title,agency_code,agency_name,procedure,supplier_rfc,supplier_legal_name,amount,reference_value,savings,framework_savings,awarded_at,auction_held,contract_amount,contract_signed_on,contract_starts_on,contract_ends_on,lot,lot_title\r\n"),
                (String = "application/atom+xml"),
            )
        ),
        (status = 400, description = "`invalid_query` (an unknown parameter too), `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`not_acceptable`: `Accept` excludes JSON, CSV and Atom", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_awards(
    state: web::Data<AppState>,
    params: web::Query<AwardListParams>,
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
    let params = params.into_inner();
    let page = PageParams {
        cursor: params.cursor.clone(),
        limit: params.limit,
    }
    .parse()?;
    let after = page.after.as_deref().map(parse_cursor_key).transpose()?;
    let filters = Filters::parse(&params)?;
    let offset = state.settings.legal_offset;
    let start_of = |day: NaiveDate| crate::routes::day_start(day, offset);
    let filter = AwardFilter {
        agency: filters.agency.clone(),
        rfc: filters.supplier.clone(),
        classifier: filters.classifier.clone(),
        from: filters.from.and_then(start_of),
        until: filters.to.and_then(|d| d.succ_opt()).and_then(start_of),
    };
    let rows = awards::public_list(state.reads(), &filter, after, page.limit + 1).await?;
    let kept = filters.pairs();
    let settings = &state.settings;
    let page = Page::from_rows(rows, &page, cursor_key, &req, &kept);
    // An entry of the feed changes when its contract is recorded.
    let updated: Vec<DateTime<Utc>> = page
        .items
        .iter()
        .map(|r| {
            r.contract.as_ref().map_or(r.award.awarded_at, |c| {
                c.recorded_at.max(r.award.awarded_at)
            })
        })
        .collect();
    let page = page.map(|r| {
        let ocid = settings.ocid(r.award.tender_id);
        PublicAward::from_listed(r, ocid)
    });
    let mut response = HttpResponse::Ok();
    response.insert_header((VARY, "Accept"));
    if let Some(next) = &page.links.next {
        response.insert_header((LINK, format!("<{next}>; rel=\"next\"")));
    }
    match media_type {
        CSV => {
            let body = csv_body(&page.items)?;
            Ok(response
                .content_type("text/csv; charset=utf-8; header=present")
                .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"awards.csv\""))
                .body(body))
        }
        ATOM => {
            let feed = atom_feed(
                &page,
                &updated,
                &req,
                &kept,
                &settings.ocid_prefix,
                state.clock.now(),
            );
            Ok(response
                .content_type("application/atom+xml; charset=utf-8")
                .body(feed.render()))
        }
        _ => Ok(response.json(page)),
    }
}

/// One CSV document: a header row, then one row per award; RFC 4180 (CRLF, quotes where
/// needed), money as plain decimals, empty cells for what does not apply.
fn csv_body(items: &[PublicAward]) -> Result<Vec<u8>, ApiError> {
    let rows = items.iter().map(|a| {
        let contract = a.contract.as_ref();
        vec![
            a.id.to_string(),
            a.ocid.clone(),
            a.tender.id.to_string(),
            a.tender.title.clone(),
            a.agency.code.clone(),
            a.agency.name.clone(),
            a.procedure.clone(),
            a.supplier.rfc.clone(),
            a.supplier.legal_name.clone(),
            a.amount.to_string(),
            a.reference_value.to_string(),
            a.savings.clone(),
            a.framework_savings.clone().unwrap_or_default(),
            a.awarded_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            a.auction_held.to_string(),
            contract.map(|c| c.amount.to_string()).unwrap_or_default(),
            contract
                .map(|c| c.signed_on.to_string())
                .unwrap_or_default(),
            contract
                .map(|c| c.starts_on.to_string())
                .unwrap_or_default(),
            contract.map(|c| c.ends_on.to_string()).unwrap_or_default(),
            a.lot.to_string(),
            a.lot_title.clone(),
        ]
    });
    Ok(csv::table(CSV_HEADER, rows)?)
}

/// The page as an Atom feed. The feed's id names the filters (each filtered list is a
/// feed of its own, and all its pages share that id); each entry's id is the award's
/// permanent `tag:` URI.
fn atom_feed(
    page: &Page<PublicAward>,
    updated: &[DateTime<Utc>],
    req: &HttpRequest,
    filters: &[(&str, String)],
    prefix: &str,
    now: DateTime<Utc>,
) -> atom::Feed {
    let query = serde_urlencoded::to_string(filters).unwrap_or_default();
    let mut id = format!("tag:{prefix},{TAG_DATE}:awards");
    let mut title = "Awards".to_owned();
    if !query.is_empty() {
        id.push('?');
        id.push_str(&query);
        let named: Vec<String> = filters.iter().map(|(k, v)| format!("{k} {v}")).collect();
        title.push_str(&format!(" ({})", named.join(", ")));
    }
    let self_href = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let mut links = vec![atom::Link {
        rel: "self",
        media_type: ATOM,
        href: self_href,
    }];
    if let Some(next) = &page.links.next {
        links.push(atom::Link {
            rel: "next",
            media_type: ATOM,
            href: next.clone(),
        });
    }
    atom::Feed {
        id,
        title,
        updated: updated.iter().max().copied().unwrap_or(now),
        links,
        entries: page
            .items
            .iter()
            .zip(updated)
            .map(|(a, updated)| atom::Entry {
                id: format!("tag:{prefix},{TAG_DATE}:awards/{}", a.id),
                title: entry_title(a),
                updated: *updated,
                published: a.awarded_at,
                author: if a.agency.name.is_empty() {
                    a.agency.code.clone()
                } else {
                    a.agency.name.clone()
                },
                summary: summary(a),
                links: vec![atom::Link {
                    rel: "alternate",
                    media_type: JSON,
                    href: format!("/api/v1/tenders/{}", a.tender.id),
                }],
            })
            .collect(),
    }
}

/// An entry's title: the tender's, and the lot's when the tender has several.
fn entry_title(a: &PublicAward) -> String {
    if a.tender.lots > 1 {
        format!("{} — partida {}: {}", a.tender.title, a.lot, a.lot_title)
    } else {
        a.tender.title.clone()
    }
}

/// One award in a sentence or three, for people reading the feed.
fn summary(a: &PublicAward) -> String {
    let mut text = format!(
        "{} ({}) awarded {} ({} procedure) to {} ({}) for MXN {}; reference value MXN {}, \
         savings MXN {}.",
        a.agency.name,
        a.agency.code,
        a.ocid,
        a.procedure.replace('_', " "),
        a.supplier.legal_name,
        a.supplier.rfc,
        a.amount,
        a.reference_value,
        a.savings
    );
    if a.auction_held {
        text.push_str(" A reverse auction ran before the award.");
    }
    if let Some(c) = &a.contract {
        text.push_str(&format!(
            " Contract signed on {} for MXN {}, in force from {} to {}.",
            c.signed_on, c.amount, c.starts_on, c.ends_on
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_keys_round_trip_to_the_nanosecond_and_garbage_is_refused() {
        let at = DateTime::parse_from_rfc3339("2026-03-23T12:00:00.123456789Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let id = Uuid::now_v7();
        let key = format!("{}|{id}", at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        assert_eq!(
            parse_cursor_key(&key).ok(),
            Some(AwardKey { awarded_at: at, id })
        );
        for bad in [
            "",
            "x|y",
            "2026-03-23T12:00:00Z",
            &format!("2026-03-23|{id}"),
            "2026-03-23T12:00:00Z|nope",
        ] {
            assert!(
                matches!(parse_cursor_key(bad), Err(ApiError::InvalidCursor)),
                "{bad}"
            );
        }
    }

    #[test]
    fn days_are_calendar_dates_within_the_accepted_years() {
        assert!(day("from", "2026-02-28").is_ok());
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-01-01",
            "1899-12-31",
            "yesterday",
            "",
        ] {
            assert!(
                matches!(day("from", bad), Err(ApiError::InvalidQuery(_))),
                "{bad}"
            );
        }
    }
}
