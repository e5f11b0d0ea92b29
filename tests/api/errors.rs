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
    a_body_trickled_past_its_time_is_408_and_the_connection_closes,
);

/// A client sending its body a byte at a time: after LICITA_BODY_TIMEOUT_S (1 s here) the
/// answer is 408 `request_timeout`, the connection is closed, and nothing was written.
async fn a_body_trickled_past_its_time_is_408_and_the_connection_closes(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(backend, &[("LICITA_BODY_TIMEOUT_S", "1")]).await;
    let before = agency_count(&app).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = r#"{"code": "LENTA", "name": "Unidad que escribe despacio"}"#;
    let head = format!(
        "POST /api/v1/agencies HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.registrar(),
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut sent = 0;
    let mut buf = [0u8; 4096];
    // One byte every 300 ms (the whole body would take 17 s), reading what comes back.
    let closed = loop {
        if sent < body.len()
            && socket
                .write_all(&body.as_bytes()[sent..=sent])
                .await
                .is_ok()
        {
            sent += 1;
        }
        match tokio::time::timeout(std::time::Duration::from_millis(300), socket.read(&mut buf))
            .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if started.elapsed() > std::time::Duration::from_secs(8) {
            break false;
        }
    };
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(closed, "the connection was closed after the answer");
    assert!(sent < body.len(), "answered before the body was whole");
    assert_eq!(agency_count(&app).await, before, "nothing written");
}

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
