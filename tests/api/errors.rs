//! Bad input gets a problem with a stable code, never a 500, and changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    an_unknown_route_is_a_404_problem,
    a_wrong_method_is_a_405_problem,
    a_body_over_the_limit_is_413_and_changes_nothing,
    malformed_json_is_400_and_changes_nothing,
    a_body_of_the_wrong_shape_is_422_naming_the_field,
    a_body_that_is_not_json_is_415,
    bad_pagination_parameters_are_400,
);

async fn agency_count(app: &TestApp) -> usize {
    app.collect_pages("/public/v1/agencies?limit=200", None)
        .await
        .len()
}

async fn an_unknown_route_is_a_404_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/nope", "/api/v1/does-not-exist", "/api/v2/agencies"] {
        let problem = assert_problem(
            app.get(path, None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert!(
            problem["detail"].as_str().unwrap().contains(path),
            "{problem}"
        );
    }
}

async fn a_wrong_method_is_a_405_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .delete(app.url("/public/v1/agencies"))
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let response = app.get("/api/v1/agencies", Some(&app.registrar())).await;
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

async fn a_body_over_the_limit_is_413_and_changes_nothing(backend: Backend) {
    let app = spawn_app_with(backend, &[("LICITA_MAX_BODY_BYTES", "2048")]).await;
    let before = agency_count(&app).await;
    let body = json!({"code": "BIG", "name": "x".repeat(4096)});
    let response = app
        .post_json("/api/v1/agencies", Some(&app.registrar()), &body)
        .await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Chunked, with no Content-Length to trust.
    let chunks: Vec<Result<String, std::io::Error>> = vec![
        Ok(r#"{"code": "BIG", "name": ""#.into()),
        Ok("y".repeat(4096)),
        Ok(r#""}"#.into()),
    ];
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let response = app
        .post_raw(
            "/api/v1/agencies",
            Some(&app.registrar()),
            Some("application/json"),
            stream,
        )
        .await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(agency_count(&app).await, before);
}

async fn malformed_json_is_400_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = agency_count(&app).await;
    for body in [
        "{",
        r#"{"code": "ABC", "name": }"#,
        "",
        r#"{"code":"ABC","name":"Agencia"} x"#,
    ] {
        let response = app
            .post_raw(
                "/api/v1/agencies",
                Some(&app.registrar()),
                Some("application/json"),
                body,
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
    assert_eq!(agency_count(&app).await, before);
}

async fn a_body_of_the_wrong_shape_is_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = agency_count(&app).await;
    for (body, field) in [
        (json!({"code": 7, "name": "Agencia"}), "code"),
        (json!({"code": "ABC"}), "name"),
        (
            json!({"code": "ABC", "name": "Agencia", "extra": true}),
            "extra",
        ),
        (json!(["ABC", "Agencia"]), "body"),
        (json!(null), "body"),
    ] {
        let response = app
            .post_json("/api/v1/agencies", Some(&app.registrar()), &body)
            .await;
        let problem =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert_eq!(problem["fields"][0]["field"], field, "{body}: {problem}");
    }
    assert_eq!(agency_count(&app).await, before);
}

async fn a_body_that_is_not_json_is_415(backend: Backend) {
    let app = spawn_app(backend).await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = app
            .post_raw(
                "/api/v1/agencies",
                Some(&app.registrar()),
                content_type,
                "code=ABC",
            )
            .await;
        assert_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    // A parameter on the media type is fine.
    let response = app
        .post_raw(
            "/api/v1/agencies",
            Some(&app.registrar()),
            Some("application/json; charset=utf-8"),
            r#"{"code":"CHARSET","name":"Agencia con charset"}"#,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn bad_pagination_parameters_are_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, code) in [
        ("limit=abc", "invalid_query"),
        ("limit=0", "invalid_query"),
        ("limit=201", "invalid_query"),
        ("limit=-1", "invalid_query"),
        ("cursor=not-hex", "invalid_cursor"),
        ("cursor=ff", "invalid_cursor"),
    ] {
        let response = app.get(&format!("/public/v1/agencies?{query}"), None).await;
        assert_problem(response, StatusCode::BAD_REQUEST, code).await;
    }
}
