use std::process::Command;

use licita::persistence::entities::audit_event;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use crate::helpers::{Backend, assert_problem, json_of, rfc, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    an_edited_event_breaks_the_chain_at_that_event,
    the_auditor_reads_the_log_page_by_page_filtered_by_tender_and_time,
);

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

async fn the_auditor_reads_the_log_page_by_page_filtered_by_tender_and_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let auditor = app.token(licita::auth::Role::Auditor, "oic-1", None);
    let who = app.register_supplier(&rfc("ACM010101AB"), "Acme").await;
    let tender = crate::tenders::published(&app).await;
    app.clock.set(crate::tenders::at(8));
    json_of(
        crate::tenders::submit(
            &app,
            &tender,
            &who,
            &crate::tenders::bid_body("17000.00", "80.00"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // Every event, page by page, in chain order: each links to the one before.
    let all = app
        .collect_pages("/api/v1/audit/events?limit=2", Some(&auditor))
        .await;
    let verified = json_of(
        app.get("/public/v1/audit/verify", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all.len() as i64, verified["length"].as_i64().unwrap());
    for pair in all.windows(2) {
        assert_eq!(
            pair[1]["seq"].as_i64().unwrap(),
            pair[0]["seq"].as_i64().unwrap() + 1
        );
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }
    assert_eq!(all.last().unwrap()["hash"], verified["head_hash"]);

    // One tender's events: created, published, the bid (its bidder by tag, not by RFC).
    let of_tender = app
        .collect_pages(
            &format!("/api/v1/audit/events?tender={tender}"),
            Some(&auditor),
        )
        .await;
    let actions: Vec<&str> = of_tender
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["tender.created", "tender.published", "bid.submitted"]
    );
    let bid = &of_tender[2];
    assert!(
        bid["actor"]["sub"].as_str().unwrap().starts_with("bidder:"),
        "{bid}"
    );
    assert!(!bid.to_string().contains(&who));
    assert!(bid["data"]["receipt_sha256"].is_string());

    // By time: only the bid happened on day 8.
    let from = crate::tenders::at(8).to_rfc3339();
    let to = crate::tenders::at(9).to_rfc3339();
    let on_day_8 = app
        .collect_pages(
            &format!(
                "/api/v1/audit/events?from={}&to={}",
                urlencode(&from),
                urlencode(&to)
            ),
            Some(&auditor),
        )
        .await;
    assert_eq!(on_day_8.len(), 1, "{on_day_8:?}");
    assert_eq!(on_day_8[0]["action"], "bid.submitted");

    // Auditors only; bad input is refused.
    for token in [app.registrar(), crate::tenders::officer(&app, "SEP")] {
        assert_problem(
            app.get("/api/v1/audit/events", Some(&token)).await,
            StatusCode::FORBIDDEN,
            "forbidden_role",
        )
        .await;
    }
    assert_problem(
        app.get("/api/v1/audit/events", None).await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;
    for bad in [
        "tender=nope",
        "from=yesterday",
        "cursor=zz",
        "limit=0",
        "actor=x",
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/audit/events?{bad}"), Some(&auditor))
                .await
                .status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
