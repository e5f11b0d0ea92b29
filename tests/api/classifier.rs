use std::collections::{HashMap, HashSet};

use licita::auth::Role;
use licita::domain::text::fold;
use licita::persistence::entities::audit_event;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    the_seed_covers_every_ict_partida_and_300_leaf_items,
    search_ignores_case_and_accents_and_ranks_whole_words_first,
    listing_filters_by_ict_and_parent,
    an_item_comes_with_its_ancestors,
    the_registrar_upserts_items_without_breaking_the_hierarchy,
    a_csv_import_reports_each_row_and_is_idempotent,
    a_file_that_repeats_a_code_refuses_the_repeats_and_sent_twice_changes_nothing,
    a_row_with_more_or_fewer_fields_than_the_header_is_refused,
    an_atomic_import_with_a_bad_row_writes_nothing,
    malformed_imports_are_refused,
    a_move_that_would_make_the_classifier_too_deep_is_refused,
    a_file_with_a_chain_deeper_than_the_classifier_is_refused_row_by_row,
    control_characters_in_cursors_and_codes_are_refused,
);

const ICT_PARTIDAS: [&str; 16] = [
    "21401", "29401", "31401", "31501", "31603", "31701", "31904", "32301", "32701", "33301",
    "33304", "35301", "51501", "56501", "59101", "59701",
];

async fn all_items(app: &TestApp, query: &str) -> Vec<Value> {
    app.collect_pages(&format!("/api/v1/classifier?limit=200{query}"), None)
        .await
}

async fn audit_count(app: &TestApp) -> u64 {
    audit_event::Entity::find().count(&app.db).await.unwrap()
}

async fn the_seed_covers_every_ict_partida_and_300_leaf_items(backend: Backend) {
    let app = spawn_app(backend).await;
    let items = all_items(&app, "").await;
    let leaves: Vec<&Value> = items.iter().filter(|i| i["level"] == 5).collect();
    assert!(leaves.len() >= 300, "{} leaf items", leaves.len());
    assert!(
        leaves
            .iter()
            .all(|i| i["unit"].is_string() && i["partida"].is_string())
    );
    let ict_partidas: HashSet<&str> = items
        .iter()
        .filter(|i| i["level"] == 4 && i["is_ict"] == true)
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    for partida in ICT_PARTIDAS {
        assert!(
            ict_partidas.contains(partida),
            "ICT partida {partida} missing"
        );
    }
    // Every item under an ICT partida is ICT itself.
    for leaf in &leaves {
        let partida = leaf["partida"].as_str().unwrap();
        assert_eq!(leaf["is_ict"], ICT_PARTIDAS.contains(&partida), "{leaf}");
    }
    // Common goods and services are there too.
    for partida in [
        "21101", "21601", "25301", "26103", "51101", "33104", "62201",
    ] {
        assert!(
            items.iter().any(|i| i["code"] == partida),
            "{partida} missing"
        );
    }
}

async fn search_ignores_case_and_accents_and_ranks_whole_words_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = all_items(&app, "&q=computo").await;
    assert!(plain.len() >= 5, "{}", plain.len());
    for item in &plain {
        assert!(
            fold(item["description"].as_str().unwrap()).contains("computo")
                || item["code"].as_str().unwrap().contains("computo"),
            "{item}"
        );
    }
    assert_eq!(
        all_items(&app, "&q=C%C3%93MPUTO").await,
        plain,
        "upper case with an accent finds the same"
    );

    // "impresion" is a whole word in some descriptions and part of others ("reimpresión").
    let created = app.put_json(
        "/api/v1/classifier/21201099",
        Some(&app.registrar()),
        &json!({"description": "Servicio de reimpresión de formatos oficiales", "parent": "21201", "partida": "21201", "unit": "servicio"}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let found = all_items(&app, "&q=impresion").await;
    let whole: Vec<bool> = found
        .iter()
        .map(|i| {
            fold(i["description"].as_str().unwrap())
                .split(' ')
                .any(|w| w == "impresion")
        })
        .collect();
    assert!(whole.contains(&true) && whole.contains(&false), "{whole:?}");
    let first_partial = whole.iter().position(|w| !w).unwrap();
    assert!(
        whole[first_partial..].iter().all(|w| !w),
        "whole-word matches come first: {whole:?}"
    );

    // Paging a search yields the same sequence.
    let paged = app
        .collect_pages("/api/v1/classifier?q=impresion&limit=2", None)
        .await;
    assert_eq!(paged, found);

    // Several words must all match.
    let both = all_items(&app, "&q=papel%20bond").await;
    assert!(!both.is_empty());
    assert!(both.iter().all(|i| {
        let d = fold(i["description"].as_str().unwrap());
        d.contains("papel") && d.contains("bond")
    }));
    assert!(all_items(&app, "&q=zzzzqqq").await.is_empty());
}

async fn listing_filters_by_ict_and_parent(backend: Backend) {
    let app = spawn_app(backend).await;
    let ict = all_items(&app, "&ict=true").await;
    assert!(ict.len() >= 130 && ict.iter().all(|i| i["is_ict"] == true));
    let children = all_items(&app, "&parent=51501").await;
    assert!(children.len() >= 5);
    assert!(
        children
            .iter()
            .all(|i| i["parent"] == "51501" && i["level"] == 5)
    );
    let not_ict = all_items(&app, "&ict=false&q=papel").await;
    assert!(!not_ict.is_empty() && not_ict.iter().all(|i| i["is_ict"] == false));
    for query in ["ict=perhaps", "parent=abc", "limit=500"] {
        assert_problem(
            app.get(&format!("/api/v1/classifier?{query}"), None).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }
}

async fn an_item_comes_with_its_ancestors(backend: Backend) {
    let app = spawn_app(backend).await;
    let item = json_of(
        app.get("/api/v1/classifier/51501003", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(item["level"], 5);
    assert_eq!(item["is_ict"], true);
    let chain: Vec<&str> = item["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["5000", "5100", "515", "51501"]);
    let root = json_of(
        app.get("/api/v1/classifier/2000", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(root["ancestors"], json!([]));
    assert!(root["parent"].is_null());
    assert_problem(
        app.get("/api/v1/classifier/99999999", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn the_registrar_upserts_items_without_breaking_the_hierarchy(backend: Backend) {
    let app = spawn_app(backend).await;
    let registrar = app.registrar();
    let item = json!({"description": "Tableta electrónica de 11 pulgadas, 128 GB", "parent": "51501", "partida": "51501", "unit": "pieza", "is_ict": true});
    let created = json_of(
        app.put_json("/api/v1/classifier/51501900", Some(&registrar), &item)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["level"], 5);
    let events = audit_count(&app).await;

    let same = app
        .put_json("/api/v1/classifier/51501900", Some(&registrar), &item)
        .await;
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(
        audit_count(&app).await,
        events,
        "an unchanged item records nothing"
    );

    let mut changed = item.clone();
    changed["description"] = json!("Tableta electrónica de 11 pulgadas, 256 GB");
    let updated = json_of(
        app.put_json("/api/v1/classifier/51501900", Some(&registrar), &changed)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        updated["description"],
        "Tableta electrónica de 11 pulgadas, 256 GB"
    );
    assert_eq!(audit_count(&app).await, events + 1);
    let found = all_items(&app, "&q=tableta%20256").await;
    assert_eq!(found.len(), 1, "the search text follows the description");

    for (code, change, status, problem_code) in [
        (
            "51501901",
            json!({"parent": "99999999"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_parent",
        ),
        (
            "5000",
            json!({"parent": "51501"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "classifier_cycle",
        ),
        (
            "51501901",
            json!({"parent": "51501901"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "classifier_cycle",
        ),
        (
            "5150X",
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_classifier_code",
        ),
        (
            "51501901",
            json!({"description": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_description",
        ),
        (
            "51501901",
            json!({"partida": "5"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_partida",
        ),
        (
            "51501901",
            json!({"unit": "u".repeat(41)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_unit",
        ),
        (
            "51501901",
            json!({"is_ict": "yes"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ] {
        let mut request = item.clone();
        for (k, v) in change.as_object().unwrap() {
            request[k] = v.clone();
        }
        assert_problem(
            app.put_json(
                &format!("/api/v1/classifier/{code}"),
                Some(&registrar),
                &request,
            )
            .await,
            status,
            problem_code,
        )
        .await;
    }
    let root = json_of(
        app.get("/api/v1/classifier/5000", None).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        root["parent"].is_null(),
        "the refused cycle changed nothing"
    );
    for role in [Role::Officer, Role::Supplier, Role::Auditor] {
        let token = app.token(role, "x", (role == Role::Officer).then_some("SEP"));
        assert_problem(
            app.put_json("/api/v1/classifier/51501902", Some(&token), &item)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden_role",
        )
        .await;
    }

    // Moving an item moves its descendants' levels with it.
    let new_root = json!({"description": "Capítulo de prueba"});
    json_of(
        app.put_json("/api/v1/classifier/9000", Some(&registrar), &new_root)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let mut moved = json!({"description": "Bienes informáticos", "parent": "9000", "partida": "51501", "is_ict": true});
    moved["parent"] = json!("9000");
    json_of(
        app.put_json("/api/v1/classifier/51501", Some(&registrar), &moved)
            .await,
        StatusCode::OK,
    )
    .await;
    let leaf = json_of(
        app.get("/api/v1/classifier/51501003", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(leaf["level"], 3);
    let chain: Vec<&str> = leaf["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["9000", "51501"]);
}

async fn post_csv(app: &TestApp, query: &str, csv: &str) -> reqwest::Response {
    app.post_raw(
        &format!("/api/v1/classifier/import{query}"),
        Some(&app.registrar()),
        Some("text/csv; charset=utf-8"),
        csv.to_owned(),
    )
    .await
}

const GOOD_CSV: &str = "\
code,description,parent,partida,unit,is_ict
59101901,\"Licencia de software de diseño asistido, perpetua\",59101,59101,licencia,true
591019,Software especializado de ingeniería,591,,,true
59101902,Software de gestión documental,591019,59101,licencia,sí
21101001,Lápiz de grafito del número 2,211,21101,pieza,false
";

async fn a_csv_import_reports_each_row_and_is_idempotent(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = json_of(
        app.get("/api/v1/classifier/21101001", None).await,
        StatusCode::OK,
    )
    .await;
    let report = json_of(post_csv(&app, "", GOOD_CSV).await, StatusCode::OK).await;
    assert_eq!(report["applied"], true);
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["refused"], json!([]));
    assert_eq!(report["sha256"].as_str().unwrap().len(), 64);
    let child = json_of(
        app.get("/api/v1/classifier/59101902", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(child["level"], 5, "its parent came later in the file");
    assert_eq!(child["is_ict"], true);
    let updated = json_of(
        app.get("/api/v1/classifier/21101001", None).await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(updated["description"], before["description"]);
    assert_eq!(updated["description"], "Lápiz de grafito del número 2");

    let events = audit_count(&app).await;
    let again = json_of(post_csv(&app, "", GOOD_CSV).await, StatusCode::OK).await;
    assert_eq!(
        (
            again["created"].clone(),
            again["updated"].clone(),
            again["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(4))
    );
    assert_eq!(
        audit_count(&app).await,
        events,
        "the same file twice changes nothing"
    );

    let mixed = "\
description,code,parent,is_ict,unit
Disco duro externo de 2 TB,51501950,51501,true,pieza
Sin código,,51501,true,pieza
Hijo de un padre inexistente,51501951,77777777,true,pieza
Hijo de una fila rechazada,51501952,,maybe,pieza
Nieto,51501953,51501951,true,pieza
";
    let report = json_of(post_csv(&app, "", mixed).await, StatusCode::OK).await;
    assert_eq!(report["created"], 1, "{report}");
    let refused: HashMap<u64, Vec<String>> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let codes = r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_owned())
                .collect();
            (r["line"].as_u64().unwrap(), codes)
        })
        .collect();
    assert_eq!(refused[&3], ["invalid_classifier_code"]);
    assert_eq!(refused[&4], ["unknown_parent"]);
    assert_eq!(refused[&5], ["invalid_flag"]);
    assert_eq!(refused[&6], ["unknown_parent"], "its parent was refused");
    assert_problem(
        app.get("/api/v1/classifier/51501951", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    json_of(
        app.get("/api/v1/classifier/51501950", None).await,
        StatusCode::OK,
    )
    .await;
}

/// Each refused row as (line, [(field, code)]).
fn refusals(report: &Value) -> Vec<(u64, Vec<(String, String)>)> {
    report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let errors = r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_owned(),
                        e["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (r["line"].as_u64().unwrap(), errors)
        })
        .collect()
}

async fn description_of(app: &TestApp, code: &str) -> Value {
    json_of(
        app.get(&format!("/api/v1/classifier/{code}"), None).await,
        StatusCode::OK,
    )
    .await["description"]
        .clone()
}

async fn a_file_that_repeats_a_code_refuses_the_repeats_and_sent_twice_changes_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csv = "\
code,description,parent,partida,unit,is_ict
51501970,Monitor de 24 pulgadas,51501,51501,pieza,true
51501971,Teclado inalámbrico,51501,51501,pieza,true
51501970,Monitor de 27 pulgadas,51501,51501,pieza,true
51501972,Brazo articulado para monitor,51501970,51501,pieza,true
51501971,Teclado inalámbrico,51501,51501,pieza,true
";
    let duplicates = vec![
        (4, vec![("code".to_owned(), "duplicate_code".to_owned())]),
        (6, vec![("code".to_owned(), "duplicate_code".to_owned())]),
    ];
    let events = audit_count(&app).await;
    let first = json_of(post_csv(&app, "", csv).await, StatusCode::OK).await;
    assert_eq!(
        (&first["created"], &first["updated"], &first["unchanged"]),
        (&json!(3), &json!(0), &json!(0)),
        "{first}"
    );
    assert_eq!(refusals(&first), duplicates, "{first}");
    assert!(
        first["refused"][0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 2"),
        "the reason names the earlier line: {first}"
    );
    assert_eq!(
        description_of(&app, "51501970").await,
        "Monitor de 24 pulgadas",
        "the first line counts"
    );
    let child = json_of(
        app.get("/api/v1/classifier/51501972", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        child["level"], 6,
        "a repeated code is still a parent: {child}"
    );
    assert_eq!(audit_count(&app).await, events + 1);

    let second = json_of(post_csv(&app, "", csv).await, StatusCode::OK).await;
    assert_eq!(
        (&second["created"], &second["updated"], &second["unchanged"]),
        (&json!(0), &json!(0), &json!(3)),
        "{second}"
    );
    assert_eq!(second["refused"], first["refused"], "the same refusals");
    assert_eq!(second["sha256"], first["sha256"]);
    assert_eq!(
        description_of(&app, "51501970").await,
        "Monitor de 24 pulgadas"
    );
    assert_eq!(
        audit_count(&app).await,
        events + 1,
        "nothing changed, nothing recorded"
    );

    let problem = assert_problem(
        post_csv(&app, "?atomic=true", csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_refused",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "line 4: code");
    assert_eq!(problem["fields"][0]["code"], "duplicate_code");
}

async fn a_row_with_more_or_fewer_fields_than_the_header_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let csv = "\
code,description,parent,partida,unit,is_ict
51501980,\"Monitor de 24 pulgadas, negro\",51501,51501,pieza,true
51501981,Monitor de 27 pulgadas, negro,51501,51501,pieza,true
51501982,Mouse óptico
";
    let report = json_of(post_csv(&app, "", csv).await, StatusCode::OK).await;
    assert_eq!(report["created"], 1, "{report}");
    let row = vec![("row".to_owned(), "invalid_csv_row".to_owned())];
    assert_eq!(
        refusals(&report),
        vec![(3, row.clone()), (4, row.clone())],
        "{report}"
    );
    assert_eq!(report["refused"][0]["code"], "51501981");
    assert_eq!(
        description_of(&app, "51501980").await,
        "Monitor de 24 pulgadas, negro",
        "a quoted comma is part of the value"
    );
    for code in ["51501981", "51501982"] {
        assert_problem(
            app.get(&format!("/api/v1/classifier/{code}"), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }

    // With only code and description, an unquoted comma would cut the description short.
    let report = json_of(
        post_csv(&app, "", "code,description\n9100,Papel, bond\n").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(refusals(&report), vec![(2, row)], "{report}");
    assert_problem(
        app.get("/api/v1/classifier/9100", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let problem = assert_problem(
        post_csv(&app, "?atomic=true", csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_refused",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "line 3: row");
    assert_eq!(problem["fields"][0]["code"], "invalid_csv_row");
}

async fn an_atomic_import_with_a_bad_row_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let csv = "code,description,parent,unit,is_ict\n51501960,Lector de huella digital,51501,pieza,true\n51501961,x,51501,pieza,true\n";
    let problem = assert_problem(
        post_csv(&app, "?atomic=true", csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_refused",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "line 3: description");
    assert_eq!(problem["fields"][0]["code"], "invalid_description");
    assert_problem(
        app.get("/api/v1/classifier/51501960", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Without atomic the good row goes in.
    let report = json_of(post_csv(&app, "", csv).await, StatusCode::OK).await;
    assert_eq!(report["created"], 1);
}

async fn malformed_imports_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, &[("LICITA_MAX_IMPORT_BYTES", "2048")]).await;
    assert_problem(
        post_csv(&app, "", "codigo,descripcion\n1,x\n").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_csv",
    )
    .await;
    assert_problem(
        post_csv(&app, "", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_csv",
    )
    .await;
    let latin1: Vec<u8> = b"code,description\n9100,Papeler\xeda\n".to_vec();
    let response = app
        .post_raw(
            "/api/v1/classifier/import",
            Some(&app.registrar()),
            Some("text/csv"),
            latin1,
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv").await;
    let big = format!(
        "code,description\n{}",
        "9100,Artículo de prueba\n".repeat(200)
    );
    assert_problem(
        post_csv(&app, "", &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let response = app
        .post_raw(
            "/api/v1/classifier/import",
            Some(&app.registrar()),
            Some("application/json"),
            GOOD_CSV,
        )
        .await;
    assert_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let officer = app.token(Role::Officer, "o", Some("SEP"));
    let response = app
        .post_raw(
            "/api/v1/classifier/import",
            Some(&officer),
            Some("text/csv"),
            GOOD_CSV,
        )
        .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden_role").await;
    assert_problem(
        app.get("/api/v1/classifier/59101901", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn a_move_that_would_make_the_classifier_too_deep_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    // 5000 has four levels below it; under an item of level 5 it would reach level 10.
    let problem = assert_problem(
        app.put_json(
            "/api/v1/classifier/5000",
            Some(&app.registrar()),
            &json!({"description": "Bienes muebles, inmuebles e intangibles", "parent": "21101001"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "classifier_too_deep",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "parent");
    let root = json_of(
        app.get("/api/v1/classifier/5000", None).await,
        StatusCode::OK,
    )
    .await;
    assert!(root["parent"].is_null());
}

async fn a_file_with_a_chain_deeper_than_the_classifier_is_refused_row_by_row(backend: Backend) {
    let app = spawn_app(backend).await;
    // 40 rows, each the parent of the next, listed deepest first.
    let mut csv = String::from("code,description,parent\n");
    for i in (0..40).rev() {
        let parent = if i == 0 {
            String::new()
        } else {
            format!("{}", 80_000_000 + i - 1)
        };
        csv.push_str(&format!(
            "{},Nivel {i} de una cadena,{parent}\n",
            80_000_000 + i
        ));
    }
    let report = json_of(post_csv(&app, "", &csv).await, StatusCode::OK).await;
    assert_eq!(
        report["created"], 8,
        "the classifier holds eight levels: {report}"
    );
    assert_eq!(report["refused"].as_array().unwrap().len(), 32);
    json_of(
        app.get("/api/v1/classifier/80000007", None).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.get("/api/v1/classifier/80000008", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn control_characters_in_cursors_and_codes_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/api/v1/classifier?cursor=00",
        "/public/v1/agencies?cursor=410041",
        "/public/v1/sanctioned-suppliers?cursor=00",
    ] {
        assert_problem(
            app.get(path, None).await,
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        )
        .await;
    }
    assert_problem(
        app.get("/api/v1/classifier/%00", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let auditor = app.token(Role::Auditor, "a", None);
    assert_problem(
        app.get("/api/v1/suppliers?cursor=00", Some(&auditor)).await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    )
    .await;
}
