use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app};
use crate::on_both_databases;
use crate::tenders::{at, bid_body, body, create, officer, open_and_qualify_all, publish, submit};

on_both_databases!(
    the_registrar_keeps_framework_contracts_and_their_adhesions,
    covered_goods_are_bought_through_the_framework_or_with_a_written_exception,
    a_framework_order_admits_only_adhered_suppliers_at_the_fixed_prices,
    an_order_whose_contract_ended_before_the_award_is_not_awarded,
);

/// Furniture item 51101001 at 17,000.00 and every stationery item (partida 211) at 90.00.
fn framework(suppliers: &[&str]) -> Value {
    json!({
        "title": "Contrato marco de mobiliario y papelería 2026",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "items": [
            {"classifier_code": "51101001", "unit": "pieza", "unit_price": "17000.00"},
            {"classifier_code": "211", "unit": "caja", "unit_price": "90.00"},
        ],
        "suppliers": suppliers,
    })
}

async fn create_framework(app: &TestApp, request: &Value) -> Value {
    json_of(
        app.post_json(
            "/api/v1/framework-contracts",
            Some(&app.registrar()),
            request,
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

async fn the_registrar_keeps_framework_contracts_and_their_adhesions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let a = app
        .register_supplier(&rfc("FWA010101AB"), "Adherida A")
        .await;
    let b = app
        .register_supplier(&rfc("FWB010101AB"), "Adherida B")
        .await;
    let banned = app
        .register_supplier(&rfc("FWS010101AB"), "Sancionada")
        .await;
    let sanction = json!({"authority": "SABG", "reference": "EXP-3", "reason": "Motivo", "starts_on": "2026-01-01", "ends_on": "2027-01-01"});
    json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{banned}/sanctions"),
            Some(&app.registrar()),
            &sanction,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    for (change, field, code) in [
        (
            json!({"valid_until": "2025-12-31"}),
            "valid_until",
            "invalid_validity",
        ),
        (json!({"items": []}), "items", "items_required"),
        (
            json!({"items": [{"classifier_code": "99999999", "unit": "pieza", "unit_price": "1.00"}]}),
            "items[0].classifier_code",
            "unknown_classifier_code",
        ),
        (
            json!({"items": [{"classifier_code": "51101001", "unit": "pieza", "unit_price": "0"}]}),
            "items[0].unit_price",
            "invalid_money",
        ),
        (
            json!({"suppliers": [rfc("NOR010101AB")]}),
            "suppliers[0]",
            "adherent_not_registered",
        ),
        (
            json!({"suppliers": [banned.clone()]}),
            "suppliers[0]",
            "adherent_sanctioned",
        ),
        (
            json!({"valid_from": "0999-01-01"}),
            "valid_from",
            "invalid_date",
        ),
        (
            json!({"items": [
                {"classifier_code": "211", "unit": "caja", "unit_price": "1.00"},
                {"classifier_code": "211", "unit": "caja", "unit_price": "2.00"},
            ]}),
            "items[1].classifier_code",
            "framework_item_duplicate",
        ),
    ] {
        let mut request = framework(&[&a]);
        for (k, v) in change.as_object().unwrap() {
            request[k] = v.clone();
        }
        let problem = assert_problem(
            app.post_json(
                "/api/v1/framework-contracts",
                Some(&app.registrar()),
                &request,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(problem["fields"][0]["field"], field, "{problem}");
    }
    assert_problem(
        app.post_json(
            "/api/v1/framework-contracts",
            Some(&officer(&app, "SEP")),
            &framework(&[&a]),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;

    let created = create_framework(&app, &framework(&[&a])).await;
    assert_eq!(created["items"][1]["unit_price"], "90.00");
    let id = created["id"].as_str().unwrap();
    let adhesion = format!("/api/v1/framework-contracts/{id}/suppliers");
    let adhered = json_of(
        app.post_json(&adhesion, Some(&app.registrar()), &json!({"rfc": b}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(adhered["suppliers"].as_array().unwrap().len(), 2);
    assert_problem(
        app.post_json(&adhesion, Some(&app.registrar()), &json!({"rfc": b}))
            .await,
        StatusCode::CONFLICT,
        "already_adhered",
    )
    .await;
    assert_problem(
        app.post_json(&adhesion, Some(&app.registrar()), &json!({"rfc": banned}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "adherent_sanctioned",
    )
    .await;

    let officer_token = officer(&app, "SEP");
    assert_eq!(
        app.collect_pages(
            "/api/v1/framework-contracts?active_on=2026-06-01&classifier=211",
            Some(&officer_token)
        )
        .await
        .len(),
        1
    );
    // An item covered through its partida is found too, as publication finds it.
    assert_eq!(
        app.collect_pages(
            "/api/v1/framework-contracts?classifier=21101001",
            Some(&officer_token)
        )
        .await
        .len(),
        1
    );
    assert!(
        app.collect_pages(
            "/api/v1/framework-contracts?active_on=2027-06-01",
            Some(&officer_token)
        )
        .await
        .is_empty()
    );
    assert!(
        app.collect_pages(
            "/api/v1/framework-contracts?classifier=59101",
            Some(&officer_token)
        )
        .await
        .is_empty()
    );
    assert_problem(
        app.get("/api/v1/framework-contracts", None).await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;

    let end = format!("/api/v1/framework-contracts/{id}/end");
    // Never retroactively: the clock is at 2 March 2026.
    assert_problem(
        app.post_json(
            &end,
            Some(&app.registrar()),
            &json!({"ends_on": "2026-03-01", "reason": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_end_date",
    )
    .await;
    assert_problem(
        app.post_json(
            &end,
            Some(&app.registrar()),
            &json!({"ends_on": "2027-02-01", "reason": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_end_date",
    )
    .await;
    let ended = json_of(
        app.post_json(
            &end,
            Some(&app.registrar()),
            &json!({"ends_on": "2026-06-30", "reason": "Rescisión"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ended["ended_on"], "2026-06-30");
    assert_problem(
        app.post_json(
            &end,
            Some(&app.registrar()),
            &json!({"ends_on": "2026-05-30", "reason": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_ended",
    )
    .await;
    assert!(
        app.collect_pages(
            "/api/v1/framework-contracts?active_on=2026-07-01",
            Some(&officer_token)
        )
        .await
        .is_empty()
    );
}

async fn covered_goods_are_bought_through_the_framework_or_with_a_written_exception(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let a = app.register_supplier(&rfc("FWC010101AB"), "Adherida").await;
    let contract = create_framework(&app, &framework(&[&a])).await;
    // The shared tender buys 51101001 and 21101001: both covered.
    let id = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let problem = assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework_contract_applies",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "procedure");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(contract["id"].as_str().unwrap())
    );

    let mut justified = body();
    justified["framework_exception_justification"] =
        json!("Se requieren especificaciones que el contrato marco no ofrece.");
    let id = create(&app, "SEP", &justified).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;

    // Once the contract ends, it no longer applies.
    json_of(
        app.post_json(
            &format!(
                "/api/v1/framework-contracts/{}/end",
                contract["id"].as_str().unwrap()
            ),
            Some(&app.registrar()),
            &json!({"ends_on": "2026-03-02", "reason": "Rescisión"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    app.clock.set(at(1));
    let id = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
}

async fn a_framework_order_admits_only_adhered_suppliers_at_the_fixed_prices(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let adhered = app.register_supplier(&rfc("FWD010101AB"), "Adherida").await;
    let outsider = app
        .register_supplier(&rfc("FWE010101AB"), "No adherida")
        .await;
    let contract = create_framework(&app, &framework(&[&adhered])).await;
    let order = |max_furniture: &str, code: &str| {
        let mut request = body();
        request["procedure"] = json!("framework_order");
        request["framework_contract_id"] = contract["id"].clone();
        request["items"][0]["classifier_code"] = json!(code);
        request["items"][0]["max_unit_price"] = json!(max_furniture);
        request["schedule"] = json!({"clarifications_until": at(1), "submission_deadline": at(3), "opening_at": at(3)});
        request
    };
    let id = create(&app, "SEP", &order("18500.00", "51101001")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let problem = assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework_price_exceeded",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "items[0].max_unit_price");
    let mut by_box = order("17000.00", "51101001");
    by_box["items"][0]["unit"] = json!("caja");
    let id = create(&app, "SEP", &by_box).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework_unit_mismatch",
    )
    .await;
    let id = create(&app, "SEP", &order("100.00", "51101002")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework_item_not_covered",
    )
    .await;

    let mut request = order("17000.00", "51101001");
    request["items"][1]["max_unit_price"] = json!("90.00");
    let id = create(&app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    // Its OCDS release names the framework contract as a related process.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let related = &record["records"][0]["compiledRelease"]["relatedProcesses"][0];
    assert_eq!(related["relationship"], json!(["framework"]), "{record}");
    assert_eq!(related["identifier"], contract["id"]);
    assert!(
        related["title"]
            .as_str()
            .unwrap()
            .contains("Contrato marco")
    );
    app.clock.set(at(2));
    assert_problem(
        submit(&app, &id, &outsider, &bid_body("16000.00", "80.00")).await,
        StatusCode::CONFLICT,
        "framework_supplier_not_adhered",
    )
    .await;
    json_of(
        submit(&app, &id, &adhered, &bid_body("16500.00", "88.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(3));
    open_and_qualify_all(&app, &id).await;
    let awarded = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/award"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // (17,000 − 16,500) × 120 + (90 − 88) × 40
    assert_eq!(awarded["award"]["framework_savings"], "60080.00");
    let savings = json_of(
        app.get("/public/v1/savings?procedure=framework_order", None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(savings["framework_savings"], "60080.00");
}

async fn an_order_whose_contract_ended_before_the_award_is_not_awarded(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let adhered = app.register_supplier(&rfc("FWF010101AB"), "Adherida").await;
    let contract = create_framework(&app, &framework(&[&adhered])).await;
    let mut request = body();
    request["procedure"] = json!("framework_order");
    request["framework_contract_id"] = contract["id"].clone();
    request["items"][0]["max_unit_price"] = json!("17000.00");
    request["items"][1]["max_unit_price"] = json!("90.00");
    request["schedule"] =
        json!({"clarifications_until": at(1), "submission_deadline": at(3), "opening_at": at(3)});
    let id = create(&app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    app.clock.set(at(2));
    json_of(
        submit(&app, &id, &adhered, &bid_body("16500.00", "88.00")).await,
        StatusCode::CREATED,
    )
    .await;
    // The contract ends on day 3 (5 March); the award comes on day 4.
    let end = format!(
        "/api/v1/framework-contracts/{}/end",
        contract["id"].as_str().unwrap()
    );
    json_of(
        app.post_json(
            &end,
            Some(&app.registrar()),
            &json!({"ends_on": "2026-03-05", "reason": "Rescisión"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    app.clock.set(at(3));
    open_and_qualify_all(&app, &id).await;
    app.clock.set(at(4));
    let award = format!("/api/v1/tenders/{id}/award");
    let problem = assert_problem(
        app.post_json(&award, Some(&officer(&app, "SEP")), &json!({}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework_contract_inactive",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "framework_contract_id");
}
