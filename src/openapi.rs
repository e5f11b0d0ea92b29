//! The OpenAPI 3.1 document, generated from the handlers' annotations. It is committed as
//! `api-spec/openapi.json`; a test fails when the two drift apart (`licita openapi >
//! api-spec/openapi.json` regenerates it).

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::error::{Problem, ProblemField};
use crate::routes::{
    agencies, auctions, audit, awards, classifier, framework_contracts, health, ict_assents, me,
    ocds, savings, suppliers, tenders,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "licita",
        description = "E-procurement for a federal public administration, in the style of \
            Mexico's CompraNet: supplier register, classifier, online tenders, reverse \
            auctions, and public Open Contracting feeds.\n\n\
            Errors are `application/problem+json` (RFC 7807) with a stable `code`; the \
            `Problem` schema lists every code. Money is MXN as a decimal string with two \
            places; times are RFC 3339 UTC.",
        license(name = "Apache-2.0"),
    ),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        me::whoami,
        agencies::create_agency,
        agencies::list_agencies,
        suppliers::register_supplier,
        suppliers::list_suppliers,
        suppliers::get_supplier,
        suppliers::update_supplier,
        suppliers::record_sanction,
        suppliers::list_sanctioned_suppliers,
        classifier::list_classifier,
        classifier::get_classifier_item,
        classifier::upsert_classifier_item,
        classifier::import_classifier,
        tenders::create_tender,
        tenders::list_tenders,
        tenders::get_tender,
        tenders::replace_tender,
        tenders::publish_tender,
        tenders::ask_question,
        tenders::answer_question,
        tenders::list_questions,
        tenders::submit_bid,
        tenders::withdraw_bid,
        tenders::list_bids,
        tenders::open_tender,
        tenders::evaluate_tender,
        tenders::cancel_tender,
        tenders::award_tender,
        tenders::sign_contract,
        auctions::schedule_auction,
        auctions::get_auction,
        auctions::place_bid,
        auctions::auction_events,
        savings::savings,
        ocds::list_releases,
        ocds::get_record,
        awards::list_awards,
        ict_assents::request_assent,
        ict_assents::list_assents,
        ict_assents::get_assent,
        ict_assents::decide_assent,
        framework_contracts::create_framework_contract,
        framework_contracts::list_framework_contracts,
        framework_contracts::get_framework_contract,
        framework_contracts::adhere_supplier,
        framework_contracts::end_framework_contract,
        audit::verify_audit,
        audit::list_audit_events,
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics"),
        (name = "agencies", description = "Buying units of the federal public administration"),
        (name = "suppliers", description = "The supplier register (RUPC) and sanctions"),
        (name = "classifier", description = "The single classifier of goods and services (CUCOP-style)"),
        (name = "tenders", description = "Tenders: procedures, clarifications, opening, evaluation"),
        (name = "bids", description = "Sealed bids: sealed at rest until the opening"),
        (name = "auctions", description = "Reverse auctions: live bidding after the evaluation"),
        (name = "ict", description = "ICT assents of the Digital Government Unit"),
        (name = "frameworks", description = "Framework contracts: fixed prices, adhered suppliers"),
        (name = "audit", description = "The audit log, for auditors"),
        (name = "public", description = "Open data: no token needed"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT with `sub`, `role` (supplier, officer, ict_authority, \
                         registrar, auditor), `exp`, and `agency` for officers.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON with a final newline, exactly as committed.
pub fn json() -> anyhow::Result<String> {
    let mut text = ApiDoc::openapi().to_pretty_json()?;
    text.push('\n');
    Ok(text)
}
