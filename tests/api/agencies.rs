use std::collections::HashSet;

use licita::clock::Clock;
use licita::domain::audit::{Actor, EventContent, GENESIS_HASH};
use licita::persistence::entities::audit_event;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

use crate::helpers::{Backend, assert_problem, json_of, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    the_seeded_federal_agencies_are_listed_publicly,
    pages_follow_the_cursor_without_gaps_or_repeats,
    a_registrar_registers_an_agency_with_its_code_normalised,
    a_second_agency_with_the_same_code_is_409_agency_exists,
    invalid_fields_are_all_reported_and_nothing_is_created,
    concurrent_registrations_form_one_unbroken_audit_chain,
);

async fn the_seeded_federal_agencies_are_listed_publicly(backend: Backend) {
    let app = spawn_app(backend).await;
    let agencies = app.collect_pages("/public/v1/agencies", None).await;
    let codes: Vec<&str> = agencies
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    for code in ["SHCP", "SEP", "SSA", "IMSS", "ISSSTE", "SAT"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted, "listed in code order");
}

async fn pages_follow_the_cursor_without_gaps_or_repeats(backend: Backend) {
    let app = spawn_app(backend).await;
    let all = app
        .collect_pages("/public/v1/agencies?limit=200", None)
        .await;
    let paged = app.collect_pages("/public/v1/agencies?limit=3", None).await;
    assert_eq!(all, paged);
    let unique: HashSet<_> = paged.iter().map(|a| a["code"].to_string()).collect();
    assert_eq!(unique.len(), paged.len());

    let first = json_of(
        app.get("/public/v1/agencies?limit=3", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert!(first["next_cursor"].is_string());
    let last = json_of(
        app.get("/public/v1/agencies?limit=200", None).await,
        StatusCode::OK,
    )
    .await;
    assert!(last["next_cursor"].is_null() && last["links"]["next"].is_null());
}

async fn a_registrar_registers_an_agency_with_its_code_normalised(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_json(
            "/api/v1/agencies",
            Some(&app.registrar()),
            &json!({"code": " cfe ", "name": "  Comisión Federal de Electricidad "}),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let agency = json_of(response, StatusCode::CREATED).await;
    assert_eq!(agency["code"], "CFE");
    // Its Location answers with it alone.
    let there = json_of(app.get(&location, None).await, StatusCode::OK).await;
    assert_eq!(there["items"].as_array().unwrap().len(), 1, "{there}");
    assert_eq!(there["items"][0]["code"], "CFE");
    assert_eq!(agency["name"], "Comisión Federal de Electricidad");
    let created_at =
        chrono::DateTime::parse_from_rfc3339(agency["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        created_at,
        app.clock.now(),
        "times come from the service's clock"
    );

    let listed = app.collect_pages("/public/v1/agencies", None).await;
    assert!(listed.iter().any(|a| a["code"] == "CFE"));
}

async fn a_second_agency_with_the_same_code_is_409_agency_exists(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_json(
            "/api/v1/agencies",
            Some(&app.registrar()),
            &json!({"code": "shcp", "name": "Otra"}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT, "agency_exists").await;
    let listed = app.collect_pages("/public/v1/agencies", None).await;
    let shcp: Vec<_> = listed.iter().filter(|a| a["code"] == "SHCP").collect();
    assert_eq!(shcp.len(), 1);
    assert_eq!(
        shcp[0]["name"], "Secretaría de Hacienda y Crédito Público",
        "unchanged"
    );
}

async fn invalid_fields_are_all_reported_and_nothing_is_created(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.collect_pages("/public/v1/agencies", None).await;
    let response = app
        .post_json(
            "/api/v1/agencies",
            Some(&app.registrar()),
            &json!({"code": "X Y", "name": "ab"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_agency_code",
    )
    .await;
    let fields: Vec<(&str, &str)> = problem["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("code", "invalid_agency_code"),
            ("name", "invalid_agency_name")
        ]
    );
    assert_eq!(app.collect_pages("/public/v1/agencies", None).await, before);
    assert!(
        audit_event::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn concurrent_registrations_form_one_unbroken_audit_chain(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.registrar();
    let bodies: Vec<_> = (0..12)
        .map(|i| json!({"code": format!("UC-{i:03}"), "name": format!("Unidad compradora {i}")}))
        .collect();
    let requests = bodies
        .iter()
        .map(|body| app.post_json("/api/v1/agencies", Some(&token), body));
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    let events = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 12);
    let mut prev = GENESIS_HASH.to_owned();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as i64 + 1);
        assert_eq!(
            event.prev_hash, prev,
            "event {} links to its predecessor",
            event.seq
        );
        assert_eq!(event.action, "agency.created");
        assert_eq!(event.actor_role, "registrar");
        let actor = Actor {
            role: event.actor_role.clone(),
            sub: event.actor_sub.clone(),
        };
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        let content = EventContent {
            seq: event.seq,
            occurred_at: event.occurred_at,
            actor: &actor,
            action: &event.action,
            entity_type: &event.entity_type,
            entity_id: &event.entity_id,
            data: &data,
        };
        assert_eq!(
            content.hash(&prev),
            event.hash,
            "event {} hashes its content",
            event.seq
        );
        prev = event.hash.clone();
    }
}
