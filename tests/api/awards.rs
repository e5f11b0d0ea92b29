use licita::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app};
use crate::on_both_databases;
use crate::tenders::{actions, at, bid_body, officer, published, submit};

on_both_databases!(
    the_lowest_qualified_price_wins_and_its_savings_are_public,
    a_tie_goes_to_the_earlier_price,
    a_winner_sanctioned_since_the_evaluation_blocks_the_award_until_passed_over,
    the_award_and_the_contract_refuse_what_breaks_their_rules,
    when_every_qualified_bid_is_barred_nobody_is_awarded,
);

/// Publishes a SEP tender, takes the bids (supplier, laptop price, boxes price, day),
/// opens it and evaluates them (qualified or not). Returns the tender id and bid ids.
pub async fn evaluated(
    app: &TestApp,
    bids: &[(&str, &str, &str, i64, bool)],
) -> (String, Vec<Value>) {
    let id = published(app).await;
    for (rfc, laptop, boxes, day, _) in bids {
        app.clock.set(at(*day));
        json_of(
            submit(app, &id, rfc, &bid_body(laptop, boxes)).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/opening"),
            Some(&officer(app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let bid_of = |rfc: &str| {
        opened["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["rfc"] == rfc)
            .unwrap()["bid_id"]
            .clone()
    };
    let evaluations: Vec<Value> = bids
        .iter()
        .map(|(rfc, _, _, _, qualified)| {
            if *qualified {
                json!({"bid_id": bid_of(rfc), "qualified": true})
            } else {
                json!({"bid_id": bid_of(rfc), "qualified": false, "reason": "No cumple la especificación técnica."})
            }
        })
        .collect();
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/evaluation"),
            Some(&officer(app, "SEP")),
            &json!({"evaluations": evaluations}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let ids = bids.iter().map(|(rfc, ..)| bid_of(rfc)).collect();
    (id, ids)
}

pub async fn award(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/award"),
        Some(&officer(app, "SEP")),
        body,
    )
    .await
}

async fn the_lowest_qualified_price_wins_and_its_savings_are_public(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("AWA010101AB"), "Postor A").await;
    let b = app.register_supplier(&rfc("AWB010101AB"), "Postor B").await;
    let c = app.register_supplier(&rfc("AWC010101AB"), "Postor C").await;
    let (id, bids) = evaluated(
        &app,
        &[
            (&a, "17500.00", "79.00", 8, true),
            (&b, "18400.00", "85.50", 9, true),
            (&c, "15000.00", "50.00", 10, false),
        ],
    )
    .await;
    let tender = json_of(award(&app, &id, &json!({})).await, StatusCode::OK).await;
    assert_eq!(tender["phase"], "awarded");
    assert_eq!(
        tender["award"]["bid_id"], bids[0],
        "C is cheaper but did not qualify"
    );
    assert_eq!(tender["award"]["rfc"], a.as_str());
    assert_eq!(tender["award"]["amount"], "2103160.00");
    assert_eq!(
        tender["award"]["savings"], "120260.00",
        "2223420.00 − 2103160.00"
    );
    assert_eq!(tender["award"]["passed_over"], json!([]));
    assert!(
        actions(&app, &id)
            .await
            .contains(&"tender.awarded".to_owned())
    );

    let savings = json_of(app.get("/public/v1/savings", None).await, StatusCode::OK).await;
    assert_eq!(savings["awards"], 1);
    assert_eq!(savings["savings"], "120260.00");
    assert_eq!(savings["reference_value"], "2223420.00");
    assert_eq!(savings["groups"][0]["agency"], "SEP");
    assert_eq!(savings["groups"][0]["procedure"], "open");
    for query in [
        "agency=SSA",
        "procedure=invitation",
        "from=2026-03-24",
        "to=2026-03-22",
    ] {
        let filtered = json_of(
            app.get(&format!("/public/v1/savings?{query}"), None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(filtered["awards"], 0, "{query}");
    }
    let in_period = json_of(
        app.get("/public/v1/savings?from=2026-03-23&to=2026-03-23", None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        in_period["awards"], 1,
        "awarded on 23 March, legal calendar"
    );
    for (period, label) in [
        ("month", "2026-03"),
        ("quarter", "2026-Q1"),
        ("year", "2026"),
    ] {
        let by = json_of(
            app.get(&format!("/public/v1/savings?period={period}"), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(by["groups"][0]["period"], label);
        assert_eq!(by["groups"][0]["savings"], "120260.00");
        assert_eq!(by["savings"], "120260.00");
    }
    assert!(savings["groups"][0].get("period").is_none());
    for query in [
        "period=week",
        "agency=no%20valid",
        "procedure=lottery",
        "from=2026-13-01",
        "from=2026-03-10&to=2026-03-01",
    ] {
        assert_problem(
            app.get(&format!("/public/v1/savings?{query}"), None).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }

    // The contract: the award's amount, signed, in order.
    let contract = format!("/api/v1/tenders/{id}/contract");
    let terms = json!({"amount": "2103160.00", "signed_on": "2026-03-23", "starts_on": "2026-04-01", "ends_on": "2026-12-31"});
    for (change, code) in [
        (json!({"amount": "2103160.01"}), "contract_amount_mismatch"),
        (json!({"signed_on": "2026-03-24"}), "signed_in_future"),
        (json!({"ends_on": "2026-03-31"}), "invalid_contract_period"),
        (json!({"signed_on": "2026-03-22"}), "signed_before_award"),
        (json!({"ends_on": "1800-01-01"}), "invalid_date"),
    ] {
        let mut request = terms.clone();
        for (k, v) in change.as_object().unwrap() {
            request[k] = v.clone();
        }
        assert_problem(
            app.post_json(&contract, Some(&officer(&app, "SEP")), &request)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    assert_problem(
        app.post_json(&contract, Some(&officer(&app, "SSA")), &terms)
            .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    let signed = json_of(
        app.post_json(&contract, Some(&officer(&app, "SEP")), &terms)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["phase"], "contracted");
    assert_eq!(signed["contract"]["amount"], "2103160.00");
    assert_problem(
        app.post_json(&contract, Some(&officer(&app, "SEP")), &terms)
            .await,
        StatusCode::CONFLICT,
        "not_contractable",
    )
    .await;
    let events = actions(&app, &id).await;
    assert_eq!(events.last().map(String::as_str), Some("tender.contracted"));
    // Awarded after sealed bids alone: the feed validates, and the contract is dated on
    // its day in the legal calendar, never before the award.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let compiled = &record["records"][0]["compiledRelease"];
    let awarded =
        chrono::DateTime::parse_from_rfc3339(compiled["awards"][0]["date"].as_str().unwrap())
            .unwrap();
    let signed = chrono::DateTime::parse_from_rfc3339(
        compiled["contracts"][0]["dateSigned"].as_str().unwrap(),
    )
    .unwrap();
    assert!(signed >= awarded, "{signed} before {awarded}");
    let starts = compiled["contracts"][0]["period"]["startDate"]
        .as_str()
        .unwrap();
    assert!(starts.ends_with("-06:00"), "a legal-calendar day: {starts}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(starts).unwrap(),
        chrono::DateTime::parse_from_rfc3339("2026-04-01T00:00:00-06:00").unwrap()
    );
    assert_eq!(compiled["bids"]["details"].as_array().unwrap().len(), 3);
}

async fn a_tie_goes_to_the_earlier_price(backend: Backend) {
    let app = spawn_app(backend).await;
    let early = app.register_supplier(&rfc("TIE010101AB"), "Temprana").await;
    let late = app.register_supplier(&rfc("TIF010101AB"), "Tardía").await;
    // The later supplier bids first in time of registration but its bid arrives later.
    let (id, bids) = evaluated(
        &app,
        &[
            (&late, "17000.00", "80.00", 12, true),
            (&early, "17000.00", "80.00", 9, true),
        ],
    )
    .await;
    let tender = json_of(award(&app, &id, &json!({})).await, StatusCode::OK).await;
    assert_eq!(tender["award"]["bid_id"], bids[1]);
    assert_eq!(tender["award"]["rfc"], early.as_str());
}

async fn a_winner_sanctioned_since_the_evaluation_blocks_the_award_until_passed_over(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("SNA010101AB"), "Primera").await;
    let b = app.register_supplier(&rfc("SNB010101AB"), "Segunda").await;
    let (id, bids) = evaluated(
        &app,
        &[
            (&a, "17000.00", "80.00", 8, true),
            (&b, "18000.00", "80.00", 9, true),
        ],
    )
    .await;
    // A sanction recorded between the evaluation and the award.
    let sanction = json!({"authority": "SABG", "reference": "EXP-7", "reason": "Motivo", "starts_on": "2026-03-22", "ends_on": "2027-03-22"});
    json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{a}/sanctions"),
            Some(&app.registrar()),
            &sanction,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(22));
    let problem = assert_problem(
        award(&app, &id, &json!({})).await,
        StatusCode::CONFLICT,
        "supplier_sanctioned",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("pass_over_reason"),
        "{problem}"
    );
    let unchanged = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unchanged["phase"], "evaluation");
    assert!(unchanged["award"].is_null());
    assert_problem(
        award(&app, &id, &json!({"pass_over_reason": "x".repeat(20_001)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;

    let reason = "La primera propuesta fue inhabilitada el 22 de marzo de 2026.";
    let tender = json_of(
        award(&app, &id, &json!({"pass_over_reason": reason})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tender["award"]["bid_id"], bids[1]);
    assert_eq!(tender["award"]["pass_over_reason"], reason);
    assert_eq!(tender["award"]["passed_over"][0]["bid_id"], bids[0]);
    assert_eq!(
        tender["award"]["passed_over"][0]["bar"],
        "supplier_sanctioned"
    );
}

async fn the_award_and_the_contract_refuse_what_breaks_their_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("RUA010101AB"), "Única").await;
    let id = published(&app).await;
    assert_problem(
        award(&app, &id, &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;
    assert_problem(
        app.post_json(&format!("/api/v1/tenders/{id}/contract"), Some(&officer(&app, "SEP")), &json!({"amount": "1.00", "signed_on": "2026-03-02", "starts_on": "2026-03-02", "ends_on": "2026-03-03"})).await,
        StatusCode::CONFLICT,
        "not_contractable",
    )
    .await;
    app.clock.set(at(8));
    json_of(
        submit(&app, &id, &a, &bid_body("100.00", "10.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/evaluation"),
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": [{"bid_id": opened["bids"][0]["bid_id"], "qualified": true}]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/award"),
            Some(&officer(&app, "SSA")),
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/award"),
            Some(&app.token(Role::Auditor, "a", None)),
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_problem(
        award(&app, &id, &json!({"winner": "me"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    json_of(award(&app, &id, &json!({})).await, StatusCode::OK).await;
    assert_problem(
        award(&app, &id, &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/cancel"),
            Some(&officer(&app, "SEP")),
            &json!({"reason": "Tarde"}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_cancellable",
    )
    .await;
}

async fn when_every_qualified_bid_is_barred_nobody_is_awarded(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("SNA010101AB"), "Primera").await;
    let b = app.register_supplier(&rfc("SNB010101AB"), "Segunda").await;
    let (id, _) = evaluated(
        &app,
        &[
            (&a, "17000.00", "80.00", 8, true),
            (&b, "18000.00", "80.00", 9, true),
        ],
    )
    .await;
    let sanction = json!({"authority": "SABG", "reference": "EXP-8", "reason": "Motivo", "starts_on": "2026-03-22", "ends_on": "2027-03-22"});
    for supplier in [&a, &b] {
        json_of(
            app.post_json(
                &format!("/api/v1/suppliers/{supplier}/sanctions"),
                Some(&app.registrar()),
                &sanction,
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(22));
    assert_problem(
        award(
            &app,
            &id,
            &json!({"pass_over_reason": "Ambas inhabilitadas."}),
        )
        .await,
        StatusCode::CONFLICT,
        "no_eligible_bid",
    )
    .await;
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(tender["award"].is_null(), "nothing changed");
}
