use licita::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app, spawn_app_with};
use crate::on_both_databases;
use crate::tenders::{at, bid_body, body, create, officer, open_and_qualify_all, publish, submit};

on_both_databases!(
    an_ict_purchase_needs_an_approved_assent_covering_its_codes,
    the_award_checks_the_assent_again_for_its_amount_and_date,
    the_ict_authority_decides_once_within_the_strategic_limit,
    assents_are_read_by_their_agency_the_authority_and_auditors,
    an_assent_expiring_while_the_auction_runs_blocks_the_award,
    the_lots_of_a_tender_spend_its_assent_together,
);

fn authority(app: &TestApp) -> String {
    app.token(Role::IctAuthority, "ugd-1", None)
}

/// 120 laptops (ICT) at up to 18,500.00 and 40 boxes of stationery.
fn ict_tender(assent: Option<&Value>) -> Value {
    let mut request = body();
    request["items"][0]["classifier_code"] = json!("51501003");
    if let Some(id) = assent {
        request["ict_assent_id"] = id.clone();
    }
    request
}

async fn request_assent(
    app: &TestApp,
    agency: &str,
    codes: Value,
    amount: &str,
    strategic: bool,
) -> Value {
    let request = json!({
        "title": "Renovación de equipo de cómputo",
        "justification": "El equipo actual tiene más de seis años de uso.",
        "classifier_codes": codes,
        "amount": amount,
        "strategic": strategic,
    });
    json_of(
        app.post_json("/api/v1/ict-assents", Some(&officer(app, agency)), &request)
            .await,
        StatusCode::CREATED,
    )
    .await
}

async fn decide(app: &TestApp, id: &Value, decision: Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/ict-assents/{}/decision", id.as_str().unwrap()),
        Some(&authority(app)),
        &decision,
    )
    .await
}

async fn approve(app: &TestApp, id: &Value, amount: &str, expires_on: &str) -> Value {
    json_of(
        decide(
            app,
            id,
            json!({"decision": "approved", "approved_amount": amount, "expires_on": expires_on}),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

async fn publish_code(app: &TestApp, request: &Value) -> (String, reqwest::Response) {
    let id = create(app, "SEP", request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = publish(app, "SEP", &id).await;
    (id, response)
}

async fn an_ict_purchase_needs_an_approved_assent_covering_its_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let (_, response) = publish_code(&app, &ict_tender(None)).await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_required",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "ict_assent_id");

    let pending = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    assert_eq!(pending["status"], "requested");
    let (_, response) = publish_code(&app, &ict_tender(Some(&pending["id"]))).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_not_approved",
    )
    .await;

    let other_goods = request_assent(&app, "SEP", json!(["59101"]), "2300000.00", false).await;
    approve(&app, &other_goods["id"], "2300000.00", "2026-12-31").await;
    let (_, response) = publish_code(&app, &ict_tender(Some(&other_goods["id"]))).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_codes_not_covered",
    )
    .await;

    let theirs = request_assent(&app, "SSA", json!(["51501"]), "2300000.00", false).await;
    approve(&app, &theirs["id"], "2300000.00", "2026-12-31").await;
    let (_, response) = publish_code(&app, &ict_tender(Some(&theirs["id"]))).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_required",
    )
    .await;

    let old = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    approve(&app, &old["id"], "2300000.00", "2026-03-02").await;
    app.clock.set(at(1));
    let (_, response) = publish_code(&app, &ict_tender(Some(&old["id"]))).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_expired",
    )
    .await;

    let good = request_assent(&app, "SEP", json!(["515"]), "2300000.00", false).await;
    approve(&app, &good["id"], "2300000.00", "2026-12-31").await;
    let (_, response) = publish_code(&app, &ict_tender(Some(&good["id"]))).await;
    let published = json_of(response, StatusCode::OK).await;
    assert_eq!(
        published["phase"], "clarification",
        "an ancestor's code (515) covers 51501003"
    );
    // The assent it cites is published with it: its id, approved amount and decision.
    let record = json_of(
        app.get(
            &format!(
                "/public/v1/records/ocds-licita-{}",
                published["id"].as_str().unwrap()
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let document = &record["records"][0]["compiledRelease"]["tender"]["documents"][0];
    let id = good["id"].as_str().unwrap();
    assert_eq!(document["id"], format!("ict-assent-{id}"), "{record}");
    let text = document["description"].as_str().unwrap();
    assert!(text.contains(id) && text.contains("2300000.00"), "{text}");
    assert!(document["datePublished"].is_string());
}

/// Runs an ICT tender with `assent` from publication to evaluation, one qualified bid at
/// `laptop` per unit; returns its id.
async fn evaluated_ict_tender(
    app: &TestApp,
    assent: &Value,
    supplier: &str,
    laptop: &str,
) -> String {
    app.clock.set(at(0));
    let (id, response) = publish_code(app, &ict_tender(Some(assent))).await;
    json_of(response, StatusCode::OK).await;
    app.clock.set(at(8));
    json_of(
        submit(app, &id, supplier, &bid_body(laptop, "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    open_and_qualify_all(app, &id).await;
    id
}

async fn the_award_checks_the_assent_again_for_its_amount_and_date(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .register_supplier(&rfc("ICT010101AB"), "Cómputo del Centro")
        .await;
    app.clock.set(at(0));
    let award = |id: String| {
        let app = &app;
        async move {
            app.post_json(
                &format!("/api/v1/tenders/{id}/award"),
                Some(&officer(app, "SEP")),
                &json!({}),
            )
            .await
        }
    };

    // 120 × 17,500 + 40 × 80 = 2,103,200.00 against an approval of 2,000,000.00.
    let small = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    approve(&app, &small["id"], "2000000.00", "2026-12-31").await;
    let id = evaluated_ict_tender(&app, &small["id"], &a, "17500.00").await;
    let problem = assert_problem(
        award(id.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_insufficient",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "ict_assent_id");
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(tender["award"].is_null(), "a refused award changes nothing");

    // An assent that expires between the evaluation (day 21) and the award (day 23).
    let short = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    app.clock.set(at(0));
    approve(&app, &short["id"], "2300000.00", "2026-03-24").await;
    let id = evaluated_ict_tender(&app, &short["id"], &a, "17500.00").await;
    app.clock.set(at(23));
    assert_problem(
        award(id.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_expired",
    )
    .await;

    let enough = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    app.clock.set(at(0));
    approve(&app, &enough["id"], "2300000.00", "2026-12-31").await;
    let id = evaluated_ict_tender(&app, &enough["id"], &a, "17500.00").await;
    let awarded = json_of(award(id).await, StatusCode::OK).await;
    assert_eq!(awarded["award"]["amount"], "2103200.00");

    // The same assent cannot pay for a second purchase beyond what is left of it.
    let id = evaluated_ict_tender(&app, &enough["id"], &a, "17500.00").await;
    assert_problem(
        award(id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_insufficient",
    )
    .await;
}

async fn the_ict_authority_decides_once_within_the_strategic_limit(backend: Backend) {
    let app = spawn_app_with(backend, &[("LICITA_STRATEGIC_LIMIT", "2")]).await;
    app.clock.set(at(0));
    let first = request_assent(&app, "SEP", json!(["51501"]), "1000.00", true).await;
    let path = format!(
        "/api/v1/ict-assents/{}/decision",
        first["id"].as_str().unwrap()
    );
    let approval =
        json!({"decision": "approved", "approved_amount": "900.00", "expires_on": "2026-12-31"});
    assert_problem(
        app.post_json(&path, Some(&officer(&app, "SEP")), &approval)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    for (decision, field) in [
        (
            json!({"decision": "approved", "expires_on": "2026-12-31"}),
            "approved_amount",
        ),
        (
            json!({"decision": "approved", "approved_amount": "900.00"}),
            "expires_on",
        ),
        (
            json!({"decision": "approved", "approved_amount": "900.00", "expires_on": "2026-03-01"}),
            "expires_on",
        ),
        (json!({"decision": "rejected"}), "notes"),
    ] {
        let problem = assert_problem(
            decide(&app, &first["id"], decision).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_decision",
        )
        .await;
        assert_eq!(problem["fields"][0]["field"], field);
    }
    assert_problem(
        decide(&app, &first["id"], json!({"decision": "maybe"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let approved = approve(&app, &first["id"], "900.00", "2026-12-31").await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_amount"], "900.00");
    assert_eq!(approved["fiscal_year"], 2026);
    assert_problem(
        decide(&app, &first["id"], approval.clone()).await,
        StatusCode::CONFLICT,
        "already_decided",
    )
    .await;

    let second = request_assent(&app, "SEP", json!(["51501"]), "1000.00", true).await;
    approve(&app, &second["id"], "900.00", "2026-12-31").await;
    let third = request_assent(&app, "SEP", json!(["51501"]), "1000.00", true).await;
    assert_problem(
        decide(&app, &third["id"], approval.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "strategic_limit_reached",
    )
    .await;
    let still = json_of(
        app.get(
            &format!("/api/v1/ict-assents/{}", third["id"].as_str().unwrap()),
            Some(&authority(&app)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        still["status"], "requested",
        "the refused approval changed nothing"
    );
    // Rejecting is always possible; other projects and other agencies are not limited.
    let rejected = json_of(
        decide(
            &app,
            &third["id"],
            json!({"decision": "rejected", "notes": "Límite de proyectos estratégicos."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    let ordinary = request_assent(&app, "SEP", json!(["51501"]), "1000.00", false).await;
    approve(&app, &ordinary["id"], "900.00", "2026-12-31").await;
    let elsewhere = request_assent(&app, "SSA", json!(["51501"]), "1000.00", true).await;
    approve(&app, &elsewhere["id"], "900.00", "2026-12-31").await;
    assert_problem(
        app.post_json(
            "/api/v1/ict-assents/00000000-0000-0000-0000-000000000000/decision",
            Some(&authority(&app)),
            &approval,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn assents_are_read_by_their_agency_the_authority_and_auditors(backend: Backend) {
    let app = spawn_app(backend).await;
    let sep = request_assent(&app, "SEP", json!(["51501"]), "1000.00", false).await;
    request_assent(&app, "SSA", json!(["51501"]), "1000.00", false).await;
    let path = format!("/api/v1/ict-assents/{}", sep["id"].as_str().unwrap());
    for token in [
        officer(&app, "SEP"),
        authority(&app),
        app.token(Role::Auditor, "a", None),
    ] {
        json_of(app.get(&path, Some(&token)).await, StatusCode::OK).await;
    }
    assert_problem(
        app.get(&path, Some(&officer(&app, "SSA"))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&path, Some(&app.registrar())).await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_eq!(
        app.collect_pages("/api/v1/ict-assents", Some(&officer(&app, "SEP")))
            .await
            .len(),
        1
    );
    assert_eq!(
        app.collect_pages("/api/v1/ict-assents", Some(&authority(&app)))
            .await
            .len(),
        2
    );
    for (request, code) in [
        (
            json!({"title": "Proyecto", "justification": "x", "classifier_codes": [], "amount": "1.00"}),
            "codes_required",
        ),
        (
            json!({"title": "Proyecto", "justification": "x", "classifier_codes": ["99999999"], "amount": "1.00"}),
            "unknown_classifier_code",
        ),
        (
            json!({"title": "Proyecto", "justification": "x", "classifier_codes": ["51501"], "amount": "0"}),
            "invalid_money",
        ),
    ] {
        assert_problem(
            app.post_json("/api/v1/ict-assents", Some(&officer(&app, "SEP")), &request)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    assert_problem(
        app.post_json(
            "/api/v1/ict-assents",
            Some(&officer(&app, "NOEXISTE")),
            &json!({"title": "Proyecto", "justification": "x", "classifier_codes": ["51501"], "amount": "1.00"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "agency_not_registered",
    )
    .await;
    let supplier = app.token(Role::Supplier, &rfc("SUP010101AB"), None);
    assert_problem(
        app.get("/api/v1/ict-assents", Some(&supplier)).await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
}

async fn an_assent_expiring_while_the_auction_runs_blocks_the_award(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .register_supplier(&rfc("ICT010101AB"), "Cómputo del Centro")
        .await;
    let b = app
        .register_supplier(&rfc("ICT020202CD"), "Sistemas del Norte")
        .await;
    app.clock.set(at(0));
    let assent = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    approve(&app, &assent["id"], "2300000.00", "2026-03-23").await;
    let (id, response) = publish_code(&app, &ict_tender(Some(&assent["id"]))).await;
    json_of(response, StatusCode::OK).await;
    app.clock.set(at(8));
    for (supplier, laptop) in [(&a, "17500.00"), (&b, "17600.00")] {
        json_of(
            submit(&app, &id, supplier, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    open_and_qualify_all(&app, &id).await;
    // The auction runs on the assent's last day and closes the next.
    let auction = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/auction"),
            Some(&officer(&app, "SEP")),
            &json!({"format": "continuous", "duration_s": 86400, "decrement": {"amount": "1000.00"}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21) + chrono::Duration::seconds(60));
    json_of(
        app.client
            .post(app.url(&format!(
                "/api/v1/auctions/{}/bids",
                auction["id"].as_str().unwrap()
            )))
            .bearer_auth(app.token(Role::Supplier, &b, None))
            .json(&json!({"amount": "2100000.00"}))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(22) + chrono::Duration::seconds(120));
    let award = app
        .post_json(
            &format!("/api/v1/tenders/{id}/award"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await;
    assert_problem(
        award,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_expired",
    )
    .await;
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tender["phase"], "auction", "nothing changed");
    assert_eq!(tender["award"], Value::Null);
}

/// The ICT lots of one tender spend one assent together, and a lot without ICT items
/// spends none of it: 100 and 30 laptops in lots 1 and 2 (1,700,000.00 and 510,000.00), the
/// stationery in lot 3, against an approval of exactly 2,210,000.00.
async fn the_lots_of_a_tender_spend_its_assent_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .register_supplier(&rfc("ICT010101AB"), "Cómputo del Centro")
        .await;
    app.clock.set(at(0));
    let assent = request_assent(&app, "SEP", json!(["51501"]), "2300000.00", false).await;
    approve(&app, &assent["id"], "2210000.00", "2026-12-31").await;
    let laptops = |n: u64| json!([{"classifier_code": "51501003", "quantity": n, "unit": "pieza", "max_unit_price": "18500.00"}]);
    let mut request = ict_tender(Some(&assent["id"]));
    request.as_object_mut().unwrap().remove("items");
    request["lots"] = json!([
        {"title": "Portátiles para oficinas centrales", "items": laptops(100)},
        {"title": "Portátiles para delegaciones", "items": laptops(30)},
        {"title": "Papelería", "items": [{"classifier_code": "21101001", "quantity": 40, "unit": "caja", "max_unit_price": "85.50"}]},
    ]);
    let (id, response) = publish_code(&app, &request).await;
    json_of(response, StatusCode::OK).await;
    app.clock.set(at(8));
    let prices = json!({
        "prices": [
            {"position": 1, "unit_price": "17000.00"},
            {"position": 2, "unit_price": "17000.00"},
            {"position": 3, "unit_price": "80.00"},
        ],
        "technical_offer": "Equipo marca Acme modelo X14 y papelería, garantía de tres años.",
    });
    json_of(submit(&app, &id, &a, &prices).await, StatusCode::CREATED).await;
    app.clock.set(at(21));
    open_and_qualify_all(&app, &id).await;
    let award = |lot: u32| {
        let (app, id) = (&app, &id);
        async move {
            app.post_json(
                &format!("/api/v1/tenders/{id}/lots/{lot}/award"),
                Some(&officer(app, "SEP")),
                &json!({}),
            )
            .await
        }
    };
    for lot in [3, 1, 2] {
        json_of(award(lot).await, StatusCode::OK).await;
    }
    // Nothing is left of it for another ICT purchase.
    let other = evaluated_ict_tender(&app, &assent["id"], &a, "17000.00").await;
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{other}/award"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ict_assent_insufficient",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "ict_assent_id", "{problem}");
}
