use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{Backend, json_of, postgres_admin_url, redis_url, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    healthz_answers_ok,
    readyz_reports_every_dependency_up,
    readyz_is_503_naming_redis_when_redis_is_unreachable,
    metrics_count_requests_per_route_pattern,
    every_response_carries_a_request_id,
);

async fn healthz_answers_ok(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json_of(app.get("/healthz", None).await, StatusCode::OK).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["sandbox"], app.state.settings.sandbox, "{body}");
}

async fn readyz_reports_every_dependency_up(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json_of(app.get("/readyz", None).await, StatusCode::OK).await;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"]["status"], "up");
    let redis = if redis_url().is_some() {
        "up"
    } else {
        "disabled"
    };
    assert_eq!(body["checks"]["redis"]["status"], redis);
}

async fn readyz_is_503_naming_redis_when_redis_is_unreachable(backend: Backend) {
    // Port 1 on loopback: nothing listens there.
    let app = spawn_app_with(backend, &[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let body = json_of(
        app.get("/readyz", None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert_eq!(body["checks"]["redis"]["status"], "down");
    // Liveness is not readiness: the process still answers.
    json_of(app.get("/healthz", None).await, StatusCode::OK).await;
}

#[tokio::test]
async fn readyz_is_503_naming_the_database_when_postgres_loses_it() {
    if crate::helpers::skip_postgres() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    json_of(app.get("/readyz", None).await, StatusCode::OK).await;

    let url = reqwest::Url::parse(app.database_url.as_deref().unwrap()).unwrap();
    let name = url.path().trim_start_matches('/').to_owned();
    let admin = Database::connect(postgres_admin_url().unwrap())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();

    let body = json_of(
        app.get("/readyz", None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "down");
    json_of(app.get("/healthz", None).await, StatusCode::OK).await;
}

async fn metrics_count_requests_per_route_pattern(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("/healthz", None).await;
    app.get("/healthz", None).await;
    app.get("/no/such/path/123", None).await;
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"licita_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="(unmatched)",status="404""#),
        "{text}"
    );
    assert!(
        !text.contains("/no/such/path"),
        "raw paths must not become labels"
    );
    assert!(
        text.contains("licita_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("licita_open_auctions 0"), "{text}");
}

async fn every_response_carries_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/nope"] {
        let response = app.get(path, None).await;
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok());
        assert!(
            id.is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()),
            "{path}: {id:?}"
        );
    }
}
