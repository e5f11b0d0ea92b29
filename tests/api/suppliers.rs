use std::collections::HashSet;

use licita::auth::Role;
use licita::domain::supplier::MAX_SUPPLIER_CODES;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, assert_problem, json_of, rfc, rfc_with_bad_digit, spawn_app,
};
use crate::on_both_databases;

on_both_databases!(
    a_supplier_registers_itself_and_reads_its_record,
    every_registration_refusal_has_its_code_and_changes_nothing,
    only_a_supplier_itself_or_the_registrar_may_register_it,
    an_rfc_registers_once,
    the_registrar_overrides_a_failing_check_digit_only_explicitly,
    reading_a_supplier_follows_the_roles,
    a_profile_is_changed_by_its_supplier_or_the_registrar,
    the_register_is_searchable_and_paginated,
    sanctions_bar_a_supplier_for_their_period_and_are_public,
    sanction_refusals_have_their_codes,
    a_supplier_registering_itself_with_a_wrong_check_digit_is_refused_and_cannot_override,
    a_supplier_lists_at_most_200_classifier_codes,
    a_past_and_a_current_sanction_are_both_kept_and_the_status_follows_the_one_in_force,
);

fn body(rfc: &str, name: &str) -> Value {
    json!({
        "rfc": rfc,
        "legal_name": name,
        "size": "small",
        "email": "licitaciones@empresa.com.mx",
        "classifier_codes": ["51501", "33301"],
    })
}

fn supplier_token(app: &TestApp, rfc: &str) -> String {
    app.token(Role::Supplier, rfc, None)
}

async fn register(app: &TestApp, rfc: &str, name: &str) -> Value {
    let response = app
        .post_json(
            "/api/v1/suppliers",
            Some(&app.registrar()),
            &body(rfc, name),
        )
        .await;
    json_of(response, StatusCode::CREATED).await
}

async fn count(app: &TestApp) -> usize {
    let auditor = app.token(Role::Auditor, "oic-1", None);
    app.collect_pages("/api/v1/suppliers?limit=200", Some(&auditor))
        .await
        .len()
}

async fn a_supplier_registers_itself_and_reads_its_record(backend: Backend) {
    let app = spawn_app(backend).await;
    let moral = rfc("STB150601AB");
    let token = supplier_token(&app, &moral);
    let response = app
        .post_json(
            "/api/v1/suppliers",
            Some(&token),
            &body(&moral.to_lowercase(), "Servicios Tecnológicos del Bajío"),
        )
        .await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let created = json_of(response, StatusCode::CREATED).await;
    assert_eq!(created["rfc"], moral.as_str(), "normalised to upper case");
    assert_eq!(created["person_type"], "moral");
    assert_eq!(created["status"], "active");
    assert_eq!(created["check_digit_override"], false);
    assert_eq!(created["classifier_codes"], json!(["33301", "51501"]));
    assert_eq!(location, Some(format!("/api/v1/suppliers/{moral}")));

    let read = json_of(
        app.get(&format!("/api/v1/suppliers/{moral}"), Some(&token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["legal_name"], "Servicios Tecnológicos del Bajío");
    assert_eq!(read["sanctions"], json!([]));

    let fisica = rfc("GOLA800215H7");
    let created = register(&app, &fisica, "Ana Gómez López").await;
    assert_eq!(created["person_type"], "fisica");
}

async fn every_registration_refusal_has_its_code_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let good = rfc("STB150601AB");
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"rfc": "STB150601A"}), "rfc", "invalid_rfc"),
        (json!({"rfc": "STB151301AB1"}), "rfc", "invalid_rfc"),
        (json!({"rfc": "ST1150601AB1"}), "rfc", "invalid_rfc"),
        (json!({"rfc": "XAXX010101000"}), "rfc", "invalid_rfc"),
        (
            json!({"rfc": rfc_with_bad_digit("STB150601AB")}),
            "rfc",
            "invalid_rfc_check_digit",
        ),
        (
            json!({"legal_name": " "}),
            "legal_name",
            "invalid_legal_name",
        ),
        (
            json!({"email": "ventas.empresa.mx"}),
            "email",
            "invalid_email",
        ),
        (
            json!({"classifier_codes": ["51501", "ABC"]}),
            "classifier_codes[1]",
            "invalid_classifier_code",
        ),
        (
            json!({"classifier_codes": ["99999999"]}),
            "classifier_codes[0]",
            "unknown_classifier_code",
        ),
        (json!({"size": "huge"}), "size", "invalid_body"),
        (json!({"nickname": "x"}), "nickname", "invalid_body"),
    ];
    for (change, field, code) in cases {
        let mut request = body(&good, "Empresa de prueba");
        for (k, v) in change.as_object().unwrap() {
            request[k] = v.clone();
        }
        let response = app
            .post_json("/api/v1/suppliers", Some(&app.registrar()), &request)
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        assert_eq!(problem["fields"][0]["field"], field, "{problem}");
    }
    let mut missing = body(&good, "Empresa");
    missing.as_object_mut().unwrap().remove("email");
    let problem = assert_problem(
        app.post_json("/api/v1/suppliers", Some(&app.registrar()), &missing)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "email");
    assert_eq!(count(&app).await, 0);
}

async fn only_a_supplier_itself_or_the_registrar_may_register_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = rfc("AAA010101AB");
    let theirs = rfc("BBB010101AB");
    let token = supplier_token(&app, &mine);
    assert_problem(
        app.post_json(
            "/api/v1/suppliers",
            Some(&token),
            &body(&theirs, "Otra empresa"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_your_record",
    )
    .await;
    let mut with_override = body(&mine, "Mi empresa");
    with_override["rfc_check_digit_override"] = json!(true);
    assert_problem(
        app.post_json("/api/v1/suppliers", Some(&token), &with_override)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    for role in [Role::Officer, Role::Auditor, Role::IctAuthority] {
        let token = app.token(role, "someone", (role == Role::Officer).then_some("SEP"));
        assert_problem(
            app.post_json(
                "/api/v1/suppliers",
                Some(&token),
                &body(&mine, "Mi empresa"),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden_role",
        )
        .await;
    }
    assert_problem(
        app.post_json("/api/v1/suppliers", None, &body(&mine, "Mi empresa"))
            .await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;
    assert_eq!(count(&app).await, 0);
}

async fn an_rfc_registers_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = rfc("CCC010101AB");
    register(&app, &r, "Primera").await;
    let again = app
        .post_json(
            "/api/v1/suppliers",
            Some(&app.registrar()),
            &body(&r.to_lowercase(), "Segunda"),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "supplier_exists").await;
    let read = json_of(
        app.get(&format!("/api/v1/suppliers/{r}"), Some(&app.registrar()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["legal_name"], "Primera");
}

async fn the_registrar_overrides_a_failing_check_digit_only_explicitly(backend: Backend) {
    let app = spawn_app(backend).await;
    let odd = rfc_with_bad_digit("DDD010101AB");
    assert_problem(
        app.post_json(
            "/api/v1/suppliers",
            Some(&app.registrar()),
            &body(&odd, "Empresa real"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rfc_check_digit",
    )
    .await;
    let mut request = body(&odd, "Empresa real");
    request["rfc_check_digit_override"] = json!(true);
    let created = json_of(
        app.post_json("/api/v1/suppliers", Some(&app.registrar()), &request)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["check_digit_override"], true);
    // The record is reachable, and its supplier can read it.
    let token = supplier_token(&app, &odd);
    let read = json_of(
        app.get(&format!("/api/v1/suppliers/{odd}"), Some(&token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["check_digit_override"], true);
    // The override does not excuse anything else.
    let mut bad_date = body("DDD011301AB1", "Empresa");
    bad_date["rfc_check_digit_override"] = json!(true);
    assert_problem(
        app.post_json("/api/v1/suppliers", Some(&app.registrar()), &bad_date)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rfc",
    )
    .await;
}

async fn reading_a_supplier_follows_the_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = rfc("EEE010101AB");
    let b = rfc("FFF010101AB");
    register(&app, &a, "Empresa A").await;
    register(&app, &b, "Empresa B").await;
    let path = format!("/api/v1/suppliers/{b}");
    for token in [
        app.token(Role::Officer, "o", Some("SEP")),
        app.token(Role::Auditor, "a", None),
        app.registrar(),
        supplier_token(&app, &b),
    ] {
        json_of(app.get(&path, Some(&token)).await, StatusCode::OK).await;
    }
    assert_problem(
        app.get(&path, Some(&supplier_token(&app, &a))).await,
        StatusCode::FORBIDDEN,
        "not_your_record",
    )
    .await;
    assert_problem(
        app.get(&path, Some(&app.token(Role::IctAuthority, "ugd", None)))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_problem(
        app.get(&path, None).await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;
    let unknown = rfc("GGG010101AB");
    assert_problem(
        app.get(
            &format!("/api/v1/suppliers/{unknown}"),
            Some(&app.registrar()),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/suppliers/nonsense", Some(&app.registrar()))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn a_profile_is_changed_by_its_supplier_or_the_registrar(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = rfc("HHH010101AB");
    let b = rfc("JJJ010101AB");
    register(&app, &a, "Nombre anterior").await;
    register(&app, &b, "Otra").await;
    let path = format!("/api/v1/suppliers/{a}");
    let own = supplier_token(&app, &a);

    let updated = json_of(
        app.patch_json(
            &path,
            Some(&own),
            &json!({"legal_name": "Nombre Nuevo, S.A. de C.V.", "classifier_codes": ["21101"]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["legal_name"], "Nombre Nuevo, S.A. de C.V.");
    assert_eq!(updated["classifier_codes"], json!(["21101"]));
    assert_eq!(updated["email"], "licitaciones@empresa.com.mx", "untouched");

    let by_registrar = json_of(
        app.patch_json(&path, Some(&app.registrar()), &json!({"size": "medium"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_registrar["size"], "medium");

    for (token, status, code) in [
        (
            supplier_token(&app, &b),
            StatusCode::FORBIDDEN,
            "not_your_record",
        ),
        (
            app.token(Role::Officer, "o", Some("SEP")),
            StatusCode::FORBIDDEN,
            "forbidden_role",
        ),
        (
            app.token(Role::Auditor, "a", None),
            StatusCode::FORBIDDEN,
            "forbidden_role",
        ),
    ] {
        assert_problem(
            app.patch_json(&path, Some(&token), &json!({"size": "large"}))
                .await,
            status,
            code,
        )
        .await;
    }
    for (change, code) in [
        (json!({}), "empty_update"),
        (json!({"email": "nope"}), "invalid_email"),
        (
            json!({"classifier_codes": ["99999999"]}),
            "unknown_classifier_code",
        ),
        (json!({"rfc": "AAA010101AA1"}), "invalid_body"),
    ] {
        assert_problem(
            app.patch_json(&path, Some(&own), &change).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    let read = json_of(app.get(&path, Some(&own)).await, StatusCode::OK).await;
    assert_eq!(read["size"], "medium");
    assert_eq!(
        read["classifier_codes"],
        json!(["21101"]),
        "a refused change changed nothing"
    );
    let missing = rfc("KKK010101AB");
    assert_problem(
        app.patch_json(
            &format!("/api/v1/suppliers/{missing}"),
            Some(&app.registrar()),
            &json!({"size": "large"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn the_register_is_searchable_and_paginated(backend: Backend) {
    let app = spawn_app(backend).await;
    let officer = app.token(Role::Officer, "o", Some("SEP"));
    let tech = rfc("STB150601AB");
    register(&app, &tech, "Servicios Tecnológicos del Bajío").await;
    let clean = rfc("LIM120301AB");
    let mut cleaning = body(&clean, "Limpieza Integral del Norte");
    cleaning["classifier_codes"] = json!(["21601"]);
    cleaning["size"] = json!("micro");
    json_of(
        app.post_json("/api/v1/suppliers", Some(&app.registrar()), &cleaning)
            .await,
        StatusCode::CREATED,
    )
    .await;
    for i in 0..5 {
        register(
            &app,
            &rfc(&format!("PAG0{i}0101AB")),
            &format!("Proveedor de paginación {i}"),
        )
        .await;
    }

    let rfcs = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .map(|s| s["rfc"].as_str().unwrap().to_owned())
            .collect()
    };
    let found = rfcs(
        app.collect_pages("/api/v1/suppliers?q=TECNOLOGICOS%20bajio", Some(&officer))
            .await,
    );
    assert_eq!(
        found,
        std::slice::from_ref(&tech),
        "name words, any case, accents ignored"
    );
    let found = rfcs(
        app.collect_pages("/api/v1/suppliers?q=lim1", Some(&officer))
            .await,
    );
    assert_eq!(found, std::slice::from_ref(&clean), "RFC prefix");
    let found = rfcs(
        app.collect_pages("/api/v1/suppliers?classifier=21601", Some(&officer))
            .await,
    );
    assert_eq!(found, std::slice::from_ref(&clean));
    let found = rfcs(
        app.collect_pages("/api/v1/suppliers?size=micro", Some(&officer))
            .await,
    );
    assert_eq!(found, std::slice::from_ref(&clean));

    let all = rfcs(
        app.collect_pages("/api/v1/suppliers?limit=200", Some(&officer))
            .await,
    );
    assert_eq!(all.len(), 7);
    let paged = rfcs(
        app.collect_pages("/api/v1/suppliers?limit=2", Some(&officer))
            .await,
    );
    assert_eq!(paged, all);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "RFC order");
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), 7);

    let first = json_of(
        app.get("/api/v1/suppliers?q=proveedor&limit=2", Some(&officer))
            .await,
        StatusCode::OK,
    )
    .await;
    let next = first["links"]["next"].as_str().unwrap();
    assert!(
        next.contains("q=proveedor") && next.contains("limit=2"),
        "{next}"
    );
    let filtered = rfcs(
        app.collect_pages("/api/v1/suppliers?q=proveedor&limit=2", Some(&officer))
            .await,
    );
    assert_eq!(filtered.len(), 5);

    // A supplier sees only itself, whatever it asks for.
    let own = rfcs(
        app.collect_pages(
            "/api/v1/suppliers?q=proveedor",
            Some(&supplier_token(&app, &tech)),
        )
        .await,
    );
    assert_eq!(own, [tech]);
    assert_problem(
        app.get(
            "/api/v1/suppliers",
            Some(&app.token(Role::IctAuthority, "u", None)),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    for query in ["classifier=abc", "size=giant", "status=maybe", "limit=0"] {
        assert_problem(
            app.get(&format!("/api/v1/suppliers?{query}"), Some(&officer))
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }
}

async fn status_of(app: &TestApp, rfc: &str) -> Value {
    let path = format!("/api/v1/suppliers/{rfc}");
    json_of(app.get(&path, Some(&app.registrar())).await, StatusCode::OK).await["status"].clone()
}

async fn public_list(app: &TestApp) -> Vec<Value> {
    app.collect_pages("/public/v1/sanctioned-suppliers", None)
        .await
}

async fn sanctions_bar_a_supplier_for_their_period_and_are_public(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = rfc("SAN010101AB");
    let other = rfc("OTR010101AB");
    register(&app, &r, "Empresa Sancionada").await;
    register(&app, &other, "Empresa Cumplida").await;
    app.set_date("2026-02-15");
    let sanction = json!({
        "authority": "Secretaría Anticorrupción y Buen Gobierno",
        "reference": "SABG/DGCSCP/312/2026",
        "reason": "Proporcionó información falsa en un procedimiento de contratación.",
        "starts_on": "2026-03-01",
        "ends_on": "2026-08-31",
    });
    let recorded = json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{r}/sanctions"),
            Some(&app.registrar()),
            &sanction,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(recorded["in_force"], false, "not yet");

    assert_eq!(status_of(&app, &r).await, "active");
    assert!(public_list(&app).await.is_empty());

    // 2026-03-01T03:00Z is still 28 February in Mexico City: the legal calendar decides.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-03-01T03:00:00Z")
            .unwrap()
            .into(),
    );
    assert_eq!(status_of(&app, &r).await, "active");

    app.set_date("2026-03-01");
    assert_eq!(status_of(&app, &r).await, "sanctioned");
    let listed = public_list(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["rfc"], r.as_str());
    assert_eq!(
        listed[0]["sanctions"][0]["reference"],
        "SABG/DGCSCP/312/2026"
    );
    let officer = app.token(Role::Officer, "o", Some("SEP"));
    let sanctioned = app
        .collect_pages("/api/v1/suppliers?status=sanctioned", Some(&officer))
        .await;
    assert_eq!(sanctioned.len(), 1);
    let active = app
        .collect_pages("/api/v1/suppliers?status=active", Some(&officer))
        .await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["rfc"], other.as_str());

    app.set_date("2026-08-31");
    assert_eq!(
        status_of(&app, &r).await,
        "sanctioned",
        "the last day is included"
    );
    app.set_date("2026-09-01");
    assert_eq!(status_of(&app, &r).await, "active", "active again after");
    assert!(public_list(&app).await.is_empty());
    let history = json_of(
        app.get(&format!("/api/v1/suppliers/{r}"), Some(&app.registrar()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        history["sanctions"].as_array().unwrap().len(),
        1,
        "history kept"
    );
    assert_eq!(history["sanctions"][0]["in_force"], false);
}

async fn sanction_refusals_have_their_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = rfc("REF010101AB");
    register(&app, &r, "Empresa").await;
    let path = format!("/api/v1/suppliers/{r}/sanctions");
    let good = json!({"authority": "SABG", "reference": "EXP-9", "reason": "Motivo", "starts_on": "2026-03-01", "ends_on": "2026-04-01"});
    for (change, field, code) in [
        (
            json!({"ends_on": "2026-03-01"}),
            "ends_on",
            "invalid_sanction_period",
        ),
        (
            json!({"ends_on": "2026-02-01"}),
            "ends_on",
            "invalid_sanction_period",
        ),
        (json!({"authority": ""}), "authority", "invalid_text"),
        (
            json!({"starts_on": "2026-02-30"}),
            "starts_on",
            "invalid_body",
        ),
        (json!({"starts_on": "mañana"}), "starts_on", "invalid_body"),
        (
            json!({"starts_on": "0999-01-01"}),
            "starts_on",
            "invalid_date",
        ),
    ] {
        let mut request = good.clone();
        for (k, v) in change.as_object().unwrap() {
            request[k] = v.clone();
        }
        let problem = assert_problem(
            app.post_json(&path, Some(&app.registrar()), &request).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(problem["fields"][0]["field"], field, "{problem}");
    }
    for role in [Role::Officer, Role::Auditor, Role::Supplier] {
        let token = app.token(role, &r, (role == Role::Officer).then_some("SEP"));
        assert_problem(
            app.post_json(&path, Some(&token), &good).await,
            StatusCode::FORBIDDEN,
            "forbidden_role",
        )
        .await;
    }
    let unknown = rfc("UNK010101AB");
    assert_problem(
        app.post_json(
            &format!("/api/v1/suppliers/{unknown}/sanctions"),
            Some(&app.registrar()),
            &good,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let read = json_of(
        app.get(&format!("/api/v1/suppliers/{r}"), Some(&app.registrar()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["sanctions"], json!([]), "nothing recorded");
}

async fn a_supplier_registering_itself_with_a_wrong_check_digit_is_refused_and_cannot_override(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let odd = rfc_with_bad_digit("EEE010101AB");
    let token = supplier_token(&app, &odd);
    let problem = assert_problem(
        app.post_json("/api/v1/suppliers", Some(&token), &body(&odd, "Mi empresa"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rfc_check_digit",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "rfc", "{problem}");
    let mut with_override = body(&odd, "Mi empresa");
    with_override["rfc_check_digit_override"] = json!(true);
    assert_problem(
        app.post_json("/api/v1/suppliers", Some(&token), &with_override)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_eq!(count(&app).await, 0);
}

async fn a_supplier_lists_at_most_200_classifier_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let codes: Vec<Value> = app
        .collect_pages("/api/v1/classifier?limit=200", None)
        .await
        .into_iter()
        .take(MAX_SUPPLIER_CODES + 1)
        .map(|item| item["code"].clone())
        .collect();
    assert_eq!(
        codes.len(),
        MAX_SUPPLIER_CODES + 1,
        "the seed has enough codes"
    );
    let r = rfc("MUC010101AB");
    let mut request = body(&r, "Proveedora de todo");
    request["classifier_codes"] = json!(codes);
    let problem = assert_problem(
        app.post_json("/api/v1/suppliers", Some(&app.registrar()), &request)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_classifier_codes",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "classifier_codes");
    assert_eq!(count(&app).await, 0);

    request["classifier_codes"] = json!(codes[..MAX_SUPPLIER_CODES]);
    let created = json_of(
        app.post_json("/api/v1/suppliers", Some(&app.registrar()), &request)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        created["classifier_codes"].as_array().unwrap().len(),
        MAX_SUPPLIER_CODES
    );

    let path = format!("/api/v1/suppliers/{r}");
    assert_problem(
        app.patch_json(
            &path,
            Some(&supplier_token(&app, &r)),
            &json!({"classifier_codes": codes}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_classifier_codes",
    )
    .await;
    let read = json_of(app.get(&path, Some(&app.registrar())).await, StatusCode::OK).await;
    assert_eq!(read["classifier_codes"], created["classifier_codes"]);
}

async fn a_past_and_a_current_sanction_are_both_kept_and_the_status_follows_the_one_in_force(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let r = rfc("DOS010101AB");
    register(&app, &r, "Reincidente").await;
    let path = format!("/api/v1/suppliers/{r}/sanctions");
    app.set_date("2026-04-01");
    // The current one first, so that the history's order is by period, not by recording.
    for (reference, starts_on, ends_on, in_force) in [
        ("SABG/EXP-2", "2026-03-01", "2026-08-31", true),
        ("SABG/EXP-1", "2025-01-01", "2025-06-30", false),
    ] {
        let recorded = json_of(
            app.post_json(
                &path,
                Some(&app.registrar()),
                &json!({"authority": "SABG", "reference": reference, "reason": "Incumplimiento de contrato.", "starts_on": starts_on, "ends_on": ends_on}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(recorded["in_force"], in_force, "{recorded}");
    }
    let history = |record: &Value| -> Vec<(String, bool)> {
        record["sanctions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["reference"].as_str().unwrap().to_owned(),
                    s["in_force"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let officer = app.token(Role::Officer, "o", Some("SEP"));
    let record_path = format!("/api/v1/suppliers/{r}");

    let record = json_of(app.get(&record_path, Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(record["status"], "sanctioned");
    assert_eq!(
        history(&record),
        [
            ("SABG/EXP-1".to_owned(), false),
            ("SABG/EXP-2".to_owned(), true)
        ],
        "every sanction, oldest first: {record}"
    );
    let listed = public_list(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        history(&listed[0]),
        [("SABG/EXP-2".to_owned(), true)],
        "the public list shows the sanction in force"
    );
    let sanctioned = app
        .collect_pages("/api/v1/suppliers?status=sanctioned", Some(&officer))
        .await;
    assert_eq!(sanctioned.len(), 1, "listed once: {sanctioned:?}");
    assert_eq!(sanctioned[0]["status"], "sanctioned");

    app.set_date("2026-09-01");
    let record = json_of(app.get(&record_path, Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(record["status"], "active", "both are over");
    assert_eq!(
        history(&record),
        [
            ("SABG/EXP-1".to_owned(), false),
            ("SABG/EXP-2".to_owned(), false)
        ],
        "the history is kept: {record}"
    );
    assert!(public_list(&app).await.is_empty());
    let active = app
        .collect_pages("/api/v1/suppliers?status=active", Some(&officer))
        .await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["status"], "active");
    assert!(
        app.collect_pages("/api/v1/suppliers?status=sanctioned", Some(&officer))
            .await
            .is_empty()
    );
}
