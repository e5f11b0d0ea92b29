use std::process::Command;

use licita::persistence::entities::audit_event;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use crate::helpers::{Backend, json_of, spawn_app};
use crate::on_both_databases;

on_both_databases!(an_edited_event_breaks_the_chain_at_that_event);

async fn an_edited_event_breaks_the_chain_at_that_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let empty = json_of(
        app.get("/public/v1/audit/verify", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty["status"], "intact");
    assert_eq!(empty["length"], 0);
    for i in 0..4 {
        let body = json!({"code": format!("AUD-{i}"), "name": format!("Unidad auditada {i}")});
        json_of(
            app.post_json("/api/v1/agencies", Some(&app.registrar()), &body)
                .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let intact = json_of(
        app.get("/public/v1/audit/verify", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(intact["status"], "intact");
    assert_eq!(intact["length"], 4);
    let head = intact["head_hash"].as_str().unwrap().to_owned();
    assert_eq!(head.len(), 64);

    // Someone with database access rewrites event 2.
    let event = audit_event::Entity::find_by_id(2i64)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: audit_event::ActiveModel = event.into();
    active.data = Set(r#"{"code":"AUD-1","name":"Otra unidad"}"#.into());
    active.update(&app.db).await.unwrap();

    let broken = json_of(
        app.get("/public/v1/audit/verify", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(broken["status"], "broken");
    assert_eq!(broken["broken_at"]["seq"], 2);
    assert_eq!(broken["length"], 1, "verified up to the event before");
    assert!(
        broken["broken_at"]["reason"]
            .as_str()
            .unwrap()
            .contains("changed")
    );

    // The offline command sees the same, and fails.
    if backend == Backend::Sqlite {
        let out = Command::new(env!("CARGO_BIN_EXE_licita"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LICITA_DATA_DIR", app.data_dir_path())
            .arg("verify-audit")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["broken_at"]["seq"], 2);
    } else {
        let out = Command::new(env!("CARGO_BIN_EXE_licita"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", app.database_url.as_deref().unwrap())
            .arg("verify-audit")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["broken_at"]["seq"], 2);
    }
}
