//! The Open Contracting Data Standard 1.1 mapping: releases built from a tender's public
//! facts, release and record packages, and the compiled release. Pure functions over plain
//! data (the persistence layer gathers it), so what is published is decided here alone.
//!
//! What never appears: a sealed bid's content, or who bid, before the award; auction
//! participants before the award. Bid details and statistics are published with the award.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::domain::money::Money;
use crate::domain::tender::{Procedure, Scope, Status};

/// OCDS version of every package.
pub const VERSION: &str = "1.1";
/// The extensions the releases use, as packages declare them: exactly those, each with
/// what it needs (bids: `bids`; techniques: `tender.techniques`; enquiry:
/// `tender.enquiries`; partyDetails_scale: `parties[].details.scale`; lots: `tender.lots`,
/// `relatedLot(s)` on items, bids, awards and statistics; submissionTerms:
/// `tender.submissionTerms`, every release).
pub const EXTENSIONS: &[&str] = &[
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_partyDetails_scale_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_submissionTerms_extension/master/extension.json",
];
/// Declared by the pages of the feed, which carry `links` (the 1.1 package schema has none).
/// Declared by a package only when one of its releases carries complaints.
pub const COMPLAINT_EXTENSION: &str = "https://raw.githubusercontent.com/openprocurement/ocds_complaint_extension/master/extension.json";
pub const PAGINATION_EXTENSION: &str = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/master/extension.json";
/// The organisation identifier scheme of Mexico's RFC (org-id.guide).
pub const RFC_SCHEME: &str = "MX-RFC";
/// The buying units' own codes (CompraNet's unidades compradoras).
pub const UNIT_SCHEME: &str = "MX-UC";
/// The item classification scheme: the single classifier (CUCOP).
pub const CLASSIFICATION_SCHEME: &str = "CUCOP";
pub const CURRENCY: &str = "MXN";

/// What every release of this service shares: its ocid prefix, and the legal calendar in
/// which contract dates are days.
#[derive(Debug, Clone)]
pub struct Feed {
    pub prefix: String,
    pub legal_offset: chrono::FixedOffset,
    /// Where the public reaches the service: document links start with it.
    pub public_url: String,
}

/// Why a release is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Published,
    ClarificationAnswered,
    AuctionScheduled,
    Deserted,
    Awarded,
    Contracted,
    Cancelled,
    /// The lots left undecided were cancelled, after others were awarded.
    LotsCancelled,
    /// An upheld complaint annulled a lot's award.
    AwardAnnulled,
    /// A complaint was filed, or moved to another status.
    ComplaintChanged,
    /// A document of a published tender.
    Documented(crate::domain::document::DocumentKind),
}

impl Event {
    pub fn tag(self) -> &'static str {
        match self {
            Event::Published => "tender",
            Event::ClarificationAnswered
            | Event::AuctionScheduled
            | Event::Deserted
            | Event::LotsCancelled => "tenderUpdate",
            Event::AwardAnnulled => "awardUpdate",
            Event::ComplaintChanged => "tenderUpdate",
            Event::Awarded => "award",
            Event::Contracted => "contract",
            Event::Cancelled => "tenderCancellation",
            // A document changes the tender's documents (or its award's, its contract's).
            Event::Documented(_) => "tenderUpdate",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ItemFacts {
    pub position: i32,
    pub code: String,
    pub description: String,
    pub quantity: i64,
    pub unit: String,
    pub max_unit_price: Money,
    /// The lot it belongs to.
    pub lot: i32,
}

/// A lot of the tender.
#[derive(Debug, Clone)]
pub struct LotFacts {
    pub number: i32,
    pub title: String,
    pub description: Option<String>,
    pub reference_value: Money,
    pub status: crate::domain::lot::LotStatus,
}

/// A bid in one lot, as published once the lot is decided: its final price there, and
/// whether it qualified there.
#[derive(Debug, Clone)]
pub struct BidFacts {
    pub bid_id: String,
    pub lot: i32,
    pub rfc: String,
    pub name: String,
    pub received_at: DateTime<Utc>,
    /// Its final price in the lot.
    pub value: Money,
    pub qualified: bool,
    /// Why it did not qualify.
    pub reason: Option<String>,
    /// The bidder's size, as the partyScale codelist names it.
    pub scale: Option<&'static str>,
    /// Its registered contact e-mail.
    pub email: Option<String>,
}

/// The Digital Government Unit's assent a tender cites.
#[derive(Debug, Clone)]
pub struct AssentFacts {
    pub id: String,
    pub title: String,
    pub approved: Option<Money>,
    pub decided_at: Option<DateTime<Utc>>,
    pub expires_on: Option<chrono::NaiveDate>,
}

/// A clarification question and its answer, as published (never who asked).
#[derive(Debug, Clone)]
pub struct EnquiryFacts {
    pub id: String,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: String,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct AwardFacts {
    pub id: String,
    pub lot: i32,
    /// Annulled by an upheld complaint: published as `cancelled`.
    pub annulled: bool,
    pub bid_id: String,
    pub rfc: String,
    pub name: String,
    pub amount: Money,
    pub date: DateTime<Utc>,
    /// Each item's awarded unit price, by position (awards made before they were kept
    /// have none).
    pub items: Vec<(i32, Money)>,
}

#[derive(Debug, Clone)]
pub struct ContractFacts {
    pub id: String,
    pub award_id: String,
    pub amount: Money,
    pub signed_on: chrono::NaiveDate,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
}

#[derive(Debug, Clone)]
pub struct AuctionFacts {
    pub lot: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub format: String,
}

/// Everything public about a tender at the moment of a release.
#[derive(Debug, Clone)]
pub struct TenderFacts {
    pub ocid: String,
    /// The legal calendar's offset: a contract's days start at midnight there.
    pub legal_offset: chrono::FixedOffset,
    pub tender_id: String,
    pub agency_code: String,
    /// The buying unit's RFC, when recorded: its identifier (MX-RFC).
    pub agency_rfc: Option<String>,
    pub agency_name: String,
    pub title: String,
    pub description: String,
    pub procedure: Procedure,
    pub scope: Scope,
    pub status: Status,
    pub items: Vec<ItemFacts>,
    pub lots: Vec<LotFacts>,
    pub reference_value: Money,
    pub published_at: Option<DateTime<Utc>>,
    pub clarifications_until: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    /// The answered questions of the clarification.
    pub enquiries: Vec<EnquiryFacts>,
    /// An invitation's invited suppliers (RFC, legal name): public from the publication.
    pub invited: Vec<(String, String)>,
    pub legal_justification: Option<String>,
    pub framework_contract_id: Option<String>,
    /// The framework contract an order is placed under: its id and title.
    pub framework: Option<(String, String)>,
    /// The ICT assent the tender cites, once decided.
    pub ict_assent: Option<AssentFacts>,
    /// The lots' auctions, in lot order.
    pub auctions: Vec<AuctionFacts>,
    pub cancel_reason: Option<String>,
    /// Only once a lot is awarded, or the process ended after its opening.
    pub bids: Vec<BidFacts>,
    /// The lots' awards and contracts, in lot order.
    pub awards: Vec<AwardFacts>,
    pub contracts: Vec<ContractFacts>,
    /// The tender's public documents, in upload order.
    pub documents: Vec<DocumentFacts>,
    /// The complaints against its acts, in filing order.
    pub complaints: Vec<ComplaintFacts>,
}

/// A complaint against an act of the tender, as published: its existence, act, status
/// and dates from its filing; its author, text and decision once closed.
#[derive(Debug, Clone)]
pub struct ComplaintFacts {
    pub id: String,
    pub act: crate::domain::complaint::Act,
    pub lot: Option<i32>,
    /// The award an award complaint contests: published with it.
    pub award_id: Option<String>,
    pub status: crate::domain::complaint::ComplaintStatus,
    pub filed_at: DateTime<Utc>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Once resolved: (RFC, legal name), title, facts, the resolution.
    pub author: Option<(String, String)>,
    pub title: Option<String>,
    pub facts: Option<String>,
    pub decision: Option<String>,
}

/// A public document of the tender.
#[derive(Debug, Clone)]
pub struct DocumentFacts {
    pub id: String,
    pub kind: crate::domain::document::DocumentKind,
    pub title: String,
    pub media_type: String,
    /// Where it is downloaded from.
    pub url: String,
    pub uploaded_at: DateTime<Utc>,
    /// The document it replaces, if any.
    pub supersedes: Option<String>,
}

impl DocumentFacts {
    fn to_ocds(&self) -> Value {
        let mut doc = json!({
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "format": self.media_type,
            "datePublished": time(self.uploaded_at),
            "language": "es",
        });
        if let Some(kind) = self.kind.ocds_type() {
            set_at(&mut doc, &["documentType"], json!(kind));
        }
        if let Some(old) = &self.supersedes {
            set_at(
                &mut doc,
                &["description"],
                json!(format!("Sustituye al documento {old}")),
            );
        }
        doc
    }
}

/// An instant, to the microsecond (releases of one process are strictly ordered by it).
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A legal-calendar day as the instant it starts, written with its offset
/// (`2026-12-01T00:00:00-06:00`), so that the date means the day it names.
fn day_start(d: chrono::NaiveDate, offset: chrono::FixedOffset) -> DateTime<chrono::FixedOffset> {
    d.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(offset)
        .single()
        .unwrap_or_else(|| {
            DateTime::<Utc>::from_naive_utc_and_offset(d.and_time(chrono::NaiveTime::MIN), Utc)
                .with_timezone(&offset)
        })
}

fn local_time(t: DateTime<chrono::FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// An amount as an OCDS number (pesos, two decimals).
pub fn amount(m: Money) -> Value {
    let c = m.centavos();
    serde_json::Number::from_f64(c as f64 / 100.0).map_or(Value::Null, Value::Number)
}

fn value(m: Money) -> Value {
    json!({"amount": amount(m), "currency": CURRENCY})
}

/// The ocid of a tender's contracting process: the configured prefix and the tender id.
pub fn ocid(prefix: &str, tender_id: impl std::fmt::Display) -> String {
    format!("{prefix}-{tender_id}")
}

/// The party id of an organisation identified by its RFC.
pub fn party_id(rfc: &str) -> String {
    format!("{RFC_SCHEME}-{rfc}")
}

fn tender_status(status: Status) -> &'static str {
    match status {
        Status::Draft => "planning",
        Status::Published | Status::Opened | Status::Evaluated | Status::Auction => "active",
        Status::Awarded | Status::Contracted => "complete",
        Status::Cancelled => "cancelled",
        Status::Deserted => "unsuccessful",
    }
}

fn method(procedure: Procedure) -> (&'static str, &'static str) {
    match procedure {
        Procedure::Open => ("open", "Licitación pública"),
        Procedure::Invitation => ("selective", "Invitación a cuando menos tres personas"),
        Procedure::DirectAward => ("direct", "Adjudicación directa"),
        Procedure::FrameworkOrder => ("selective", "Orden de compra bajo contrato marco"),
    }
}

/// The release published for `event`, the `seq`-th of the feed, at `at`.
pub fn release(facts: &TenderFacts, event: Event, seq: i64, at: DateTime<Utc>) -> Value {
    // A buying unit is identified by its RFC where recorded (its unit code is then an
    // additional identifier), by its unit code otherwise.
    let (buyer_id, mut buyer) = match &facts.agency_rfc {
        Some(rfc) => (
            party_id(rfc),
            json!({
                "identifier": {"scheme": RFC_SCHEME, "id": rfc, "legalName": facts.agency_name},
                "additionalIdentifiers": [{"scheme": UNIT_SCHEME, "id": facts.agency_code, "legalName": facts.agency_name}],
            }),
        ),
        None => (
            format!("{UNIT_SCHEME}-{}", facts.agency_code),
            json!({
                "identifier": {"scheme": UNIT_SCHEME, "id": facts.agency_code, "legalName": facts.agency_name},
            }),
        ),
    };
    set_at(&mut buyer, &["id"], json!(buyer_id));
    set_at(&mut buyer, &["name"], json!(facts.agency_name));
    set_at(&mut buyer, &["roles"], json!(["buyer", "procuringEntity"]));
    let mut parties = vec![buyer];
    let several = facts.lots.len() > 1;
    // Each tenderer once, in the order of its first published bid.
    let mut tenderers: Vec<&BidFacts> = Vec::new();
    for bid in &facts.bids {
        if !tenderers.iter().any(|t| t.rfc == bid.rfc) {
            tenderers.push(bid);
        }
    }
    if !tenderers.is_empty() {
        for bid in &tenderers {
            let mut roles = vec!["tenderer"];
            if facts.awards.iter().any(|a| a.rfc == bid.rfc && !a.annulled) {
                roles.push("supplier");
            }
            let mut party = json!({
                "id": party_id(&bid.rfc),
                "name": bid.name,
                "identifier": {"scheme": RFC_SCHEME, "id": bid.rfc, "legalName": bid.name},
                "roles": roles,
            });
            if let Some(scale) = bid.scale {
                set_at(&mut party, &["details"], json!({"scale": scale}));
            }
            if let Some(email) = &bid.email {
                set_at(&mut party, &["contactPoint"], json!({"email": email}));
            }
            parties.push(party);
        }
    }
    // The winner of an award since annulled is a party of it, whether or not its bid in
    // the lot (open again) is published.
    for award in facts.awards.iter().filter(|a| a.annulled) {
        if !tenderers.iter().any(|t| t.rfc == award.rfc)
            && !parties.iter().any(|p| p["id"] == party_id(&award.rfc))
        {
            parties.push(json!({
                "id": party_id(&award.rfc),
                "name": award.name,
                "identifier": {"scheme": RFC_SCHEME, "id": award.rfc, "legalName": award.name},
                "roles": ["tenderer"],
            }));
        }
    }
    // Invited suppliers who have not (yet, publicly) bid are parties too.
    for (rfc, name) in &facts.invited {
        if !facts.bids.iter().any(|b| &b.rfc == rfc) {
            parties.push(json!({
                "id": party_id(rfc),
                "name": name,
                "identifier": {"scheme": RFC_SCHEME, "id": rfc, "legalName": name},
                "roles": ["interestedParty"],
            }));
        }
    }
    let (method, details) = method(facts.procedure);
    let scope = match (facts.procedure, facts.scope) {
        (Procedure::Open, Scope::International) => " (internacional)",
        (Procedure::Open, Scope::National) => " (nacional)",
        _ => "",
    };
    let mut submission = vec!["electronicSubmission"];
    let mut techniques = Map::new();
    if !facts.auctions.is_empty() {
        submission.push("electronicAuction");
        techniques.insert("hasElectronicAuction".into(), json!(true));
        let several = facts.lots.len() > 1;
        let described: Vec<String> = facts
            .auctions
            .iter()
            .map(|auction| {
                format!(
                    "Subasta inversa ({}){} del {} al {}",
                    auction.format,
                    if several {
                        format!(" de la partida {}", auction.lot)
                    } else {
                        String::new()
                    },
                    time(auction.starts_at),
                    time(auction.ends_at)
                )
            })
            .collect();
        techniques.insert(
            "electronicAuction".into(),
            json!({"description": described.join("; ")}),
        );
    }
    if facts.procedure == Procedure::FrameworkOrder {
        techniques.insert("hasFrameworkAgreement".into(), json!(true));
        if let Some(id) = &facts.framework_contract_id {
            techniques.insert(
                "frameworkAgreement".into(),
                json!({"method": "withReopeningCompetition", "description": format!("Contrato marco {id}")}),
            );
        }
    }
    let mut tender = json!({
        "id": facts.tender_id,
        "title": facts.title,
        "description": facts.description,
        "status": tender_status(facts.status),
        "procuringEntity": {"id": buyer_id, "name": facts.agency_name},
        "items": facts.items.iter().map(|i| json!({
            "id": i.position.to_string(),
            "description": i.description,
            "classification": {"scheme": CLASSIFICATION_SCHEME, "id": i.code, "description": i.description},
            "quantity": i.quantity,
            "unit": {"name": i.unit, "value": value(i.max_unit_price)},
            "relatedLot": i.lot.to_string(),
        })).collect::<Vec<_>>(),
        "lots": facts.lots.iter().map(|l| {
            let mut lot = json!({
                "id": l.number.to_string(),
                "title": l.title,
                "status": lot_status(l.status),
                "value": value(l.reference_value),
            });
            if let Some(description) = &l.description {
                set_at(&mut lot, &["description"], json!(description));
            }
            lot
        }).collect::<Vec<_>>(),
        "submissionTerms": {
            "electronicSubmissionPolicy": "required",
            "variantPolicy": "notAllowed",
            "languages": ["es"],
        },
        "value": value(facts.reference_value),
        "procurementMethod": method,
        "procurementMethodDetails": format!("{details}{scope}"),
        "submissionMethod": submission,
        "submissionMethodDetails": "Proposiciones electrónicas a través de la API de licita, selladas hasta el acto de apertura",
        "awardCriteria": "priceOnly",
        "enquiryPeriod": {"endDate": time(facts.clarifications_until)},
        "tenderPeriod": {"endDate": time(facts.submission_deadline)},
        "hasEnquiries": !facts.enquiries.is_empty(),
    });
    let mut documents = Vec::new();
    if let Some(assent) = &facts.ict_assent {
        let mut description = format!("Dictamen de TIC {}: {}", assent.id, assent.title);
        if let Some(approved) = assent.approved {
            description.push_str(&format!("; monto aprobado {approved} MXN"));
        }
        if let Some(until) = assent.expires_on {
            description.push_str(&format!("; vigente hasta el {until}"));
        }
        let mut document = json!({
            "id": format!("ict-assent-{}", assent.id),
            "documentType": "needsAssessment",
            "title": "Dictamen de la Unidad de Gobierno Digital (política de TIC)",
            "description": description,
            "language": "es",
        });
        if let Some(at) = assent.decided_at {
            set_at(&mut document, &["datePublished"], json!(time(at)));
        }
        documents.push(document);
    }
    if !facts.enquiries.is_empty() {
        set_at(
            &mut tender,
            &["enquiries"],
            json!(
                facts
                    .enquiries
                    .iter()
                    .map(|e| json!({
                        "id": e.id,
                        "date": time(e.asked_at),
                        "description": e.question,
                        "answer": e.answer,
                        "dateAnswered": time(e.answered_at),
                    }))
                    .collect::<Vec<_>>()
            ),
        );
    }
    if let Some(published) = facts.published_at {
        set_at(
            &mut tender,
            &["enquiryPeriod", "startDate"],
            json!(time(published)),
        );
        set_at(
            &mut tender,
            &["tenderPeriod", "startDate"],
            json!(time(published)),
        );
    }
    if let Some(reason) = &facts.legal_justification {
        set_at(&mut tender, &["procurementMethodRationale"], json!(reason));
    }
    if !techniques.is_empty() {
        set_at(&mut tender, &["techniques"], Value::Object(techniques));
    }
    if let Some(reason) = &facts.cancel_reason {
        // The 1.1 tender has no statusDetails: the reason is the cancellation's document.
        documents.push(json!({
            "id": "cancellation",
            "documentType": "cancellationDetails",
            "title": "Motivo de la cancelación",
            "description": reason,
            "language": "es",
        }));
    }
    // Every document of the tender is listed with the tender, where it stays (a document
    // moving to its award or contract later would be listed twice once compiled).
    documents.extend(facts.documents.iter().map(DocumentFacts::to_ocds));
    if !documents.is_empty() {
        set_at(&mut tender, &["documents"], Value::Array(documents));
    }
    // A complaint against an award is published with that award; the others (against
    // the conditions, the opening, the evaluation) with the tender.
    let with_award = |c: &&ComplaintFacts| {
        c.award_id
            .as_ref()
            .is_some_and(|id| facts.awards.iter().any(|a| &a.id == id))
    };
    let tender_complaints: Vec<Value> = facts
        .complaints
        .iter()
        .filter(|c| !with_award(c))
        .map(complaint)
        .collect();
    if !tender_complaints.is_empty() {
        set_at(
            &mut tender,
            &["complaints"],
            Value::Array(tender_complaints),
        );
    }
    if !tenderers.is_empty() {
        set_at(&mut tender, &["numberOfTenderers"], json!(tenderers.len()));
        set_at(
            &mut tender,
            &["tenderers"],
            json!(
                tenderers
                    .iter()
                    .map(|b| json!({"id": party_id(&b.rfc), "name": b.name}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    let mut release = json!({
        "ocid": facts.ocid,
        "id": format!("{}-{seq:08}", facts.ocid),
        "date": time(at),
        "tag": [event.tag()],
        "initiationType": "tender",
        "language": "es",
        "parties": parties,
        "buyer": {"id": buyer_id, "name": facts.agency_name},
        "tender": tender,
    });
    if let Some((id, title)) = &facts.framework {
        set_at(
            &mut release,
            &["relatedProcesses"],
            json!([{
                "id": format!("framework-{id}"),
                "relationship": ["framework"],
                "title": format!("Contrato marco: {title}"),
                "identifier": id,
            }]),
        );
    }
    // Each award's items, at their awarded unit prices (its contract's are the same).
    let awarded_items = |award: &AwardFacts| -> Vec<Value> {
        award
            .items
            .iter()
            .filter_map(|(position, price)| {
                let item = facts.items.iter().find(|i| i.position == *position)?;
                Some(json!({
                    "id": position.to_string(),
                    "description": item.description,
                    "classification": {"scheme": CLASSIFICATION_SCHEME, "id": item.code, "description": item.description},
                    "quantity": item.quantity,
                    "unit": {"name": item.unit, "value": value(*price)},
                    "relatedLot": item.lot.to_string(),
                }))
            })
            .collect()
    };
    let lot_title = |lot: i32| -> String {
        match facts.lots.iter().find(|l| l.number == lot) {
            Some(l) if several => format!(" — partida {}: {}", l.number, l.title),
            _ => String::new(),
        }
    };
    if !facts.awards.is_empty() {
        let awards: Vec<Value> = facts
            .awards
            .iter()
            .map(|award| {
                let mut entry = json!({
                    "id": award.id,
                    "title": format!("Fallo: {}{}", facts.title, lot_title(award.lot)),
                    "status": if award.annulled { "cancelled" } else { "active" },
                    "date": time(award.date),
                    "value": value(award.amount),
                    "suppliers": [{"id": party_id(&award.rfc), "name": award.name}],
                    "relatedBids": [bid_detail_id(&award.bid_id, award.lot, several)],
                    "relatedLots": [award.lot.to_string()],
                });
                let items = awarded_items(award);
                if !items.is_empty() {
                    set_at(&mut entry, &["items"], json!(items));
                }
                let complaints: Vec<Value> = facts
                    .complaints
                    .iter()
                    .filter(|c| c.award_id.as_ref() == Some(&award.id))
                    .map(complaint)
                    .collect();
                if !complaints.is_empty() {
                    set_at(&mut entry, &["complaints"], Value::Array(complaints));
                }
                entry
            })
            .collect();
        set_at(&mut release, &["awards"], Value::Array(awards));
    }
    if !facts.bids.is_empty() || !facts.invited.is_empty() {
        // The statistics of each lot whose bids are published (with several lots, each
        // names its lot), and how many bids came electronically (all of them).
        let mut statistics = Vec::new();
        let mut lots: Vec<i32> = facts.bids.iter().map(|b| b.lot).collect();
        lots.sort_unstable();
        lots.dedup();
        for lot in lots {
            let of_lot: Vec<&BidFacts> = facts.bids.iter().filter(|b| b.lot == lot).collect();
            let valid: Vec<&&BidFacts> = of_lot.iter().filter(|b| b.qualified).collect();
            let mut measures = vec![
                ("bids", json!(of_lot.len())),
                ("validBids", json!(valid.len())),
                ("disqualifiedBids", json!(of_lot.len() - valid.len())),
            ];
            if let (Some(low), Some(high)) = (
                valid.iter().map(|b| b.value).min(),
                valid.iter().map(|b| b.value).max(),
            ) {
                measures.push(("lowestValidBidValue", amount(low)));
                measures.push(("highestValidBidValue", amount(high)));
            }
            for (measure, value) in measures {
                let mut statistic = json!({"id": measure, "measure": measure, "value": value});
                if measure.ends_with("Value") {
                    set_at(&mut statistic, &["currency"], json!(CURRENCY));
                }
                if several {
                    set_at(&mut statistic, &["id"], json!(format!("{measure}-{lot}")));
                    set_at(&mut statistic, &["relatedLot"], json!(lot.to_string()));
                }
                statistics.push(statistic);
            }
        }
        let mut bid_ids: Vec<&str> = facts.bids.iter().map(|b| b.bid_id.as_str()).collect();
        bid_ids.sort_unstable();
        bid_ids.dedup();
        statistics.push(
            json!({"id": "electronicBids", "measure": "electronicBids", "value": bid_ids.len()}),
        );
        // An invitation's invited suppliers, each an `invited` entry; the bids follow.
        let invited = facts.invited.iter().map(|(rfc, name)| {
            json!({
                "id": format!("invited-{rfc}"),
                "status": "invited",
                "tenderers": [{"id": party_id(rfc), "name": name}],
            })
        });
        set_at(
            &mut release,
            &["bids"],
            json!({
                "details": invited.chain(facts.bids.iter().map(|b| {
                    let mut detail = json!({
                        "id": bid_detail_id(&b.bid_id, b.lot, several),
                        "date": time(b.received_at),
                        "status": if b.qualified { "valid" } else { "disqualified" },
                        "tenderers": [{"id": party_id(&b.rfc), "name": b.name}],
                        "value": value(b.value),
                        "relatedLots": [b.lot.to_string()],
                    });
                    if let Some(reason) = b.reason.as_ref().filter(|_| !b.qualified) {
                        set_at(&mut detail, &["description"], json!(format!("Descalificada: {reason}")));
                    }
                    detail
                })).collect::<Vec<_>>(),
            }),
        );
        if !facts.bids.is_empty() {
            set_at(&mut release, &["bids", "statistics"], json!(statistics));
        }
    }
    if !facts.contracts.is_empty() {
        let contracts: Vec<Value> = facts
            .contracts
            .iter()
            .map(|contract| {
                let award = facts.awards.iter().find(|a| a.id == contract.award_id);
                // Signed on its day, and never before the award it follows.
                let signed = day_start(contract.signed_on, facts.legal_offset);
                let signed = match award {
                    Some(award) if award.date > signed.with_timezone(&Utc) => {
                        award.date.with_timezone(&facts.legal_offset)
                    }
                    _ => signed,
                };
                let mut entry = json!({
                    "id": contract.id,
                    "awardID": contract.award_id,
                    "title": format!("Contrato: {}{}", facts.title, award.map(|a| lot_title(a.lot)).unwrap_or_default()),
                    "status": "active",
                    "value": value(contract.amount),
                    "period": {
                        "startDate": local_time(day_start(contract.starts_on, facts.legal_offset).max(signed)),
                        "endDate": local_time(day_start(contract.ends_on, facts.legal_offset) + chrono::Duration::days(1) - chrono::Duration::microseconds(1)),
                    },
                    "dateSigned": local_time(signed),
                });
                let items = award.map(awarded_items).unwrap_or_default();
                if !items.is_empty() {
                    set_at(&mut entry, &["items"], json!(items));
                }
                entry
            })
            .collect();
        set_at(&mut release, &["contracts"], Value::Array(contracts));
    }
    release
}

/// The id a bid is published under in one lot: the bid's own with a single lot, the bid's
/// and the lot's with several (a bid offering two lots is two entries).
fn bid_detail_id(bid_id: &str, lot: i32, several: bool) -> String {
    if several {
        format!("{bid_id}-{lot}")
    } else {
        bid_id.to_owned()
    }
}

/// A lot's status, in OCDS's tender status codelist.
fn lot_status(status: crate::domain::lot::LotStatus) -> &'static str {
    use crate::domain::lot::LotStatus;
    match status {
        LotStatus::Active | LotStatus::Auction => "active",
        LotStatus::Awarded | LotStatus::Contracted => "complete",
        LotStatus::Deserted => "unsuccessful",
        LotStatus::Cancelled => "cancelled",
    }
}

/// Who publishes, and under what terms: named in every package.
#[derive(Debug, Clone)]
pub struct Publication {
    pub publisher_name: String,
    /// An org-id.guide scheme and the publisher's id in it (e.g. `MX-RFC`, its RFC).
    pub publisher_scheme: Option<String>,
    pub publisher_uid: Option<String>,
    pub publisher_uri: Option<String>,
    pub license: String,
    /// Where the publication policy is served.
    pub policy_url: String,
}

fn publisher(p: &Publication) -> Value {
    let mut publisher = json!({"name": p.publisher_name});
    if let (Some(scheme), Some(uid)) = (&p.publisher_scheme, &p.publisher_uid) {
        set_at(&mut publisher, &["scheme"], json!(scheme));
        set_at(&mut publisher, &["uid"], json!(uid));
    }
    if let Some(uri) = &p.publisher_uri {
        set_at(&mut publisher, &["uri"], json!(uri));
    }
    publisher
}

/// A release package of `releases`, served at `uri`.
pub fn release_package(
    publication: &Publication,
    uri: &str,
    releases: Vec<Value>,
    published: DateTime<Utc>,
    next: Option<String>,
) -> Value {
    let mut extensions: Vec<&str> = EXTENSIONS.to_vec();
    if uses_complaints(&releases) {
        extensions.push(COMPLAINT_EXTENSION);
    }
    if next.is_some() {
        extensions.push(PAGINATION_EXTENSION);
    }
    let mut package = json!({
        "uri": uri,
        "version": VERSION,
        "extensions": extensions,
        "publishedDate": time(published),
        "publisher": publisher(publication),
        "license": publication.license,
        "publicationPolicy": publication.policy_url,
        "releases": releases,
    });
    if let Some(next) = next {
        set_at(&mut package, &["links"], json!({"next": next}));
    }
    package
}

/// A record package: one record with every release of `ocid` and the compiled release.
pub fn record_package(
    publication: &Publication,
    uri: &str,
    ocid: &str,
    releases: Vec<Value>,
    published: DateTime<Utc>,
) -> Value {
    let compiled = compile(ocid, &releases);
    let mut extensions: Vec<&str> = EXTENSIONS.to_vec();
    if uses_complaints(&releases) {
        extensions.push(COMPLAINT_EXTENSION);
    }
    json!({
        "uri": uri,
        "version": VERSION,
        "extensions": extensions,
        "publishedDate": time(published),
        "publisher": publisher(publication),
        "license": publication.license,
        "publicationPolicy": publication.policy_url,
        "records": [{
            "ocid": ocid,
            "releases": releases,
            "compiledRelease": compiled,
        }],
    })
}

/// Whether any of `releases` carries complaints (the complaint extension's field).
fn uses_complaints(releases: &[Value]) -> bool {
    releases.iter().any(|r| {
        r.pointer("/tender/complaints").is_some()
            || r["awards"]
                .as_array()
                .is_some_and(|awards| awards.iter().any(|a| a.get("complaints").is_some()))
    })
}

/// A complaint in the complaint extension's terms.
fn complaint(c: &ComplaintFacts) -> Value {
    use crate::domain::complaint::{Act, ComplaintStatus};
    let act = match c.act {
        Act::Conditions => "la convocatoria y sus aclaraciones".to_owned(),
        Act::Opening => "el acto de apertura".to_owned(),
        Act::Evaluation => "la evaluación".to_owned(),
        Act::Award => match c.lot {
            Some(lot) => format!("el fallo de la partida {lot}"),
            None => "el fallo".to_owned(),
        },
    };
    let author = match &c.author {
        Some((rfc, name)) => json!({
            "name": name,
            "identifier": {"scheme": RFC_SCHEME, "id": rfc, "legalName": name},
        }),
        None => json!({"name": "Reservado hasta la resolución"}),
    };
    let mut entry = json!({
        "id": c.id,
        "type": "complaint",
        "status": match c.status {
            ComplaintStatus::Filed => "pending",
            ComplaintStatus::Admitted => "accepted",
            ComplaintStatus::Rejected => "invalid",
            ComplaintStatus::Upheld => "resolved",
            ComplaintStatus::Dismissed => "declined",
            ComplaintStatus::Withdrawn => "cancelled",
        },
        "date": time(c.filed_at),
        "dateSubmitted": time(c.filed_at),
        "tendererAction": format!("Inconformidad contra {act}"),
        "author": author,
    });
    if let Some(lot) = c.lot {
        set_at(&mut entry, &["relatedLot"], json!(lot.to_string()));
    }
    if let Some(title) = &c.title {
        set_at(&mut entry, &["title"], json!(title));
    }
    if let Some(facts) = &c.facts {
        set_at(&mut entry, &["description"], json!(facts));
    }
    if c.admitted_at.is_some() || c.status == ComplaintStatus::Rejected {
        set_at(&mut entry, &["acceptance"], json!(c.admitted_at.is_some()));
    }
    if let Some(at) = c.decided_at {
        set_at(&mut entry, &["dateDecision"], json!(time(at)));
    }
    match (c.status, &c.decision) {
        (ComplaintStatus::Rejected, _) => {
            set_at(&mut entry, &["resolutionType"], json!("invalid"));
        }
        (ComplaintStatus::Upheld | ComplaintStatus::Dismissed, Some(text)) => {
            let upheld = c.status == ComplaintStatus::Upheld;
            set_at(
                &mut entry,
                &["resolutionType"],
                json!(if upheld { "resolved" } else { "declined" }),
            );
            set_at(&mut entry, &["satisfied"], json!(upheld));
            set_at(&mut entry, &["decision"], json!(text));
        }
        _ => {}
    }
    if let Some(at) = c.withdrawn_at {
        set_at(&mut entry, &["dateCancelled"], json!(time(at)));
        set_at(
            &mut entry,
            &["cancellationReason"],
            json!("Retirada por quien la presentó"),
        );
    }
    entry
}

/// The compiled release: the releases merged in order under OCDS's merge rules — later
/// values win, objects merge field by field, arrays of objects with an `id` merge by id,
/// other arrays are replaced, and `tag` is `["compiled"]`.
pub fn compile(ocid: &str, releases: &[Value]) -> Value {
    let mut compiled = Value::Object(Map::new());
    for release in releases {
        merge(&mut compiled, release);
    }
    if let Value::Object(map) = &mut compiled {
        map.insert("tag".into(), json!(["compiled"]));
        map.insert("id".into(), json!(format!("{ocid}-compiled")));
        map.insert("ocid".into(), json!(ocid));
    }
    compiled
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if !v.is_null() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p))
            if p.iter().all(|v| v.get("id").is_some()) && !p.is_empty() =>
        {
            for item in p {
                let id = item.get("id");
                match t.iter_mut().find(|x| x.get("id") == id) {
                    Some(existing) => merge(existing, item),
                    None => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Sets the member at `path` (object keys, or array indices as digits) when the path
/// leads to an object; never panics, whatever the value holds.
fn set_at(value: &mut Value, path: &[&str], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = value;
    for step in parents {
        let next = match at {
            Value::Object(map) => map.get_mut(*step),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Value::Object(map) = at {
        map.insert((*last).to_owned(), new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_of_objects_merge_by_id_and_later_values_win() {
        let a = json!({"ocid": "x", "tender": {"status": "active", "items": [{"id": "1", "quantity": 5}]},
                       "tag": ["tender"]});
        let b = json!({"tender": {"status": "complete", "items": [{"id": "1", "unit": {"name": "pieza"}}, {"id": "2"}]},
                       "awards": [{"id": "a1"}], "tag": ["award"]});
        let c = compile("x", &[a, b]);
        assert_eq!(c["tender"]["status"], "complete");
        assert_eq!(
            c["tender"]["items"][0],
            json!({"id": "1", "quantity": 5, "unit": {"name": "pieza"}})
        );
        assert_eq!(c["tender"]["items"][1]["id"], "2");
        assert_eq!(c["tag"], json!(["compiled"]));
        assert_eq!(c["id"], "x-compiled");
    }

    #[test]
    fn amounts_are_pesos() {
        assert_eq!(
            amount(Money::from_centavos(222_342_050).unwrap()),
            json!(2_223_420.5)
        );
        assert_eq!(amount(Money::ZERO), json!(0.0));
    }
}
