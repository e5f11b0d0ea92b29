//! The OpenAPI 3.1 document, generated from the handlers' annotations. It is committed as
//! `api-spec/openapi.json`; a test fails when the two drift apart (`licita openapi >
//! api-spec/openapi.json` regenerates it).

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::error::{Problem, ProblemField};
use crate::routes::{
    agencies, auctions, audit, awards, classifier, complaints, documents, framework_contracts,
    health, ict_assents, me, ocds, savings, suppliers, tenders,
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
        agencies::update_agency,
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
        tenders::award_lot,
        tenders::sign_lot_contract,
        complaints::file_complaint,
        complaints::list_complaints,
        complaints::get_complaint,
        complaints::admit_complaint,
        complaints::reject_complaint,
        complaints::resolve_complaint,
        complaints::lift_suspension,
        complaints::withdraw_complaint,
        complaints::public_complaints,
        documents::attach_document,
        documents::attach_bid_document,
        documents::get_document,
        documents::document_content,
        documents::get_public_document,
        documents::public_document_content,
        auctions::schedule_auction,
        auctions::schedule_lot_auction,
        auctions::get_auction,
        auctions::place_bid,
        auctions::auction_events,
        savings::savings,
        ocds::list_releases,
        ocds::get_record,
        ocds::publication_policy,
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
        (name = "complaints", description = "Complaints (inconformidades): filed by bidders, decided by the internal control body"),
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

/// The document as pretty JSON with a final newline, exactly as committed: the handlers'
/// annotations, with the answers every operation shares added in one place
/// ([`shared_answers`]).
pub fn json() -> anyhow::Result<String> {
    let mut doc = serde_json::to_value(ApiDoc::openapi())?;
    shared_answers(&mut doc);
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

/// Operations that never touch the database or Redis, and so never answer 503 (`/readyz`
/// documents its own 503, a report rather than a problem).
const NO_DEPENDENCY: [&str; 3] = ["/healthz", "/readyz", "/api/v1/me"];

/// The statuses that follow from what an operation is rather than from its own rules,
/// derived from its description so that they can't drift from the code that answers
/// them: a token (401: required, or optional and sent), a JSON body (400, 408, 413, 415,
/// 422 `invalid_body`, from `routes::extract`), query parameters (400 `invalid_query`: a bad
/// value or an unknown parameter), and a dependency that is down or starting (503 with
/// `Retry-After`), and the rate limits every request is under (429 `rate_limited` with
/// `Retry-After`). Codes are merged into a status the annotation already lists.
fn shared_answers(doc: &mut serde_json::Value) {
    use crate::error::Code;
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            let mut shared: Vec<Code> = Vec::new();
            if let Some(security) = operation.get("security").and_then(|s| s.as_array()) {
                let optional = security
                    .iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
                if !optional {
                    shared.push(Code::MissingToken);
                }
                shared.extend([Code::InvalidToken, Code::TokenExpired]);
            }
            if let Some(content) = operation
                .get("requestBody")
                .and_then(|b| b.get("content"))
                .and_then(|c| c.as_object())
            {
                shared.extend([
                    Code::MalformedJson,
                    Code::PayloadTooLarge,
                    Code::UnsupportedMediaType,
                ]);
                if content.contains_key("application/json") {
                    shared.push(Code::InvalidBody);
                }
                // Read whole by `routes::extract::read_limited`, under LICITA_BODY_TIMEOUT_S.
                if content.contains_key("application/json") || content.contains_key("text/csv") {
                    shared.push(Code::RequestTimeout);
                }
            }
            let has_query = operation
                .get("parameters")
                .and_then(|p| p.as_array())
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            if has_query {
                shared.push(Code::InvalidQuery);
            }
            if !NO_DEPENDENCY.contains(&path.as_str()) {
                shared.push(Code::ServiceUnavailable);
            }
            // Every request spends a budget (`crate::limits`).
            shared.push(Code::RateLimited);
            let responses = operation
                .entry("responses")
                .or_insert_with(|| serde_json::json!({}));
            let Some(responses) = responses.as_object_mut() else {
                continue;
            };
            for code in shared {
                add_code(responses, code);
            }
        }
    }
}

/// Lists `code` under its status: a new problem response, or one more code in the
/// description of the one there.
fn add_code(responses: &mut serde_json::Map<String, serde_json::Value>, code: crate::error::Code) {
    let status = code.status().to_string();
    let named = format!("`{}`", code.as_str());
    match responses.get_mut(&status) {
        Some(existing) => {
            let is_problem = existing
                .get("content")
                .is_some_and(|c| c.get("application/problem+json").is_some());
            if !is_problem {
                return;
            }
            if let Some(description) = existing.get_mut("description")
                && let Some(text) = description.as_str()
                && !text.contains(&named)
            {
                *description = serde_json::Value::String(format!("{text}; {named}"));
            }
        }
        None => {
            let mut response = serde_json::json!({
                "description": named,
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            });
            let header = match code {
                crate::error::Code::ServiceUnavailable => Some((
                    "Retry-After",
                    "Seconds to wait before retrying (a retried bid with the same Idempotency-Key never makes a second one)",
                )),
                crate::error::Code::RateLimited => Some((
                    "Retry-After",
                    "Seconds until this client's budget for this kind of request has room again",
                )),
                crate::error::Code::MissingToken
                | crate::error::Code::InvalidToken
                | crate::error::Code::TokenExpired => {
                    Some(("WWW-Authenticate", "`Bearer`, with the reason"))
                }
                _ => None,
            };
            if let (Some((name, description)), Some(map)) = (header, response.as_object_mut()) {
                map.insert(
                    "headers".into(),
                    serde_json::json!({
                        name: {"description": description, "schema": {"type": "string"}}
                    }),
                );
            }
            responses.insert(status, response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn doc() -> serde_json::Value {
        serde_json::from_str(&json().unwrap()).unwrap()
    }

    #[test]
    fn every_code_an_operation_lists_is_under_its_own_status() {
        let doc = doc();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    let text = response["description"].as_str().unwrap_or_default();
                    for code in Code::ALL {
                        if text.contains(&format!("`{}`", code.as_str())) {
                            assert_eq!(
                                code.status().to_string(),
                                *status,
                                "{method} {path}: `{}` is listed under {status}",
                                code.as_str()
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn shared_answers_follow_from_each_operation() {
        let doc = doc();
        let op = |path: &str, method: &str| doc["paths"][path][method].clone();
        let bid = op("/api/v1/auctions/{id}/bids", "post");
        for status in ["400", "401", "408", "413", "415", "422", "503"] {
            assert!(bid["responses"][status].is_object(), "place_bid {status}");
        }
        let text = bid["responses"]["401"]["description"].as_str().unwrap();
        assert!(text.contains("`missing_token`") && text.contains("`token_expired`"));
        let public = op("/public/v1/agencies", "get");
        assert!(public["responses"]["401"].is_null(), "no token, no 401");
        assert!(
            public["responses"]["400"]["description"]
                .as_str()
                .unwrap()
                .contains("`invalid_query`")
        );
        assert!(op("/healthz", "get")["responses"]["503"].is_null());
    }
}
