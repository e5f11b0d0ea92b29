use licita::error::Code;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, json_of, spawn_app};

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.json");

/// The committed document is what the code serves. Regenerate it with
/// `UPDATE_API_SPEC=1 cargo test --test api openapi` (or `licita openapi`).
#[tokio::test]
async fn the_committed_api_spec_matches_the_served_document() {
    let app = spawn_app(Backend::Sqlite).await;
    let served = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(served.status(), StatusCode::OK);
    let served = served.text().await.unwrap();
    if std::env::var("UPDATE_API_SPEC").is_ok_and(|v| v == "1") {
        std::fs::write(SPEC_PATH, &served).unwrap();
    }
    let committed = std::fs::read_to_string(SPEC_PATH).unwrap_or_default();
    assert!(
        committed == served,
        "api-spec/openapi.json differs from the code; run \
         `UPDATE_API_SPEC=1 cargo test --test api openapi` and commit the result"
    );
}

/// The interactive reference is served from assets built into the binary: the page, its
/// script and its configuration pointing at the served document.
#[tokio::test]
async fn the_api_reference_is_served_offline() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app.get("/api-docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui-bundle.js"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched from elsewhere: {html}"
    );
    let bundle = app.get("/api-docs/swagger-ui-bundle.js", None).await;
    assert_eq!(bundle.status(), StatusCode::OK);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let init = app
        .get("/api-docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/api-docs/openapi.json\""), "{init}");
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_error_code_and_path() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = json_of(
        app.get("/api-docs/openapi.json", None).await,
        StatusCode::OK,
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let codes = &doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"];
    for code in Code::ALL {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code.as_str()),
            "{} missing from the Problem schema",
            code.as_str()
        );
    }
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/me",
        "/api/v1/agencies",
        "/public/v1/agencies",
        "/public/v1/awards",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
