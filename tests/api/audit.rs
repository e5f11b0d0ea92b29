use std::process::Command;

use licita::persistence::entities::{audit_event, audit_head};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use crate::helpers::{Backend, assert_problem, json_of, rfc, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    an_edited_event_breaks_the_chain_at_that_event,
    a_walk_stops_at_its_limit_and_the_next_goes_on_from_there,
    the_auditor_reads_the_log_page_by_page_filtered_by_tender_and_time,
);

async fn verify(app: &crate::helpers::TestApp) -> serde_json::Value {
    json_of(
        app.get("/public/v1/audit/verify", None).await,
        StatusCode::OK,
    )
    .await
}

async fn register_agencies(app: &crate::helpers::TestApp, from: usize, to: usize) {
    for i in from..to {
        let body = json!({"code": format!("AUD-{i}"), "name": format!("Unidad auditada {i}")});
        json_of(
            app.post_json("/api/v1/agencies", Some(&app.registrar()), &body)
                .await,
            StatusCode::CREATED,
        )
        .await;
    }
}

async fn rewrite(app: &crate::helpers::TestApp, seq: i64, data: &str, rehash: bool) -> String {
    let event = audit_event::Entity::find_by_id(seq)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let before = event.data.clone();
    let mut active: audit_event::ActiveModel = event.clone().into();
    active.data = Set(data.into());
    if rehash {
        // What someone who knows the scheme would do: recompute the event's hash, and the
        // head's, so that the chain links up again.
        let actor = licita::domain::audit::Actor {
            role: event.actor_role.clone(),
            sub: event.actor_sub.clone(),
        };
        let hash = licita::domain::audit::EventContent {
            seq,
            occurred_at: event.occurred_at,
            actor: &actor,
            action: &event.action,
            entity_type: &event.entity_type,
            entity_id: &event.entity_id,
            data: &serde_json::from_str(data).unwrap(),
        }
        .hash(&event.prev_hash);
        active.hash = Set(hash.clone());
        let mut head: audit_head::ActiveModel = audit_head::Entity::find_by_id(1)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
        head.hash = Set(hash);
        head.update(&app.db).await.unwrap();
    }
    active.update(&app.db).await.unwrap();
    before
}

async fn a_walk_stops_at_its_limit_and_the_next_goes_on_from_there(backend: Backend) {
    use licita::persistence::audit::verify_since_checkpoint;
    let app = spawn_app(backend).await;
    let now = chrono::Utc::now();
    let walks = async |app: &crate::helpers::TestApp| {
        let mut walks = Vec::new();
        loop {
            let recent = verify_since_checkpoint(&app.db, 2, now).await.unwrap();
            assert!(recent.walk.broken.is_none());
            walks.push((recent.from.seq, recent.walk.length, recent.complete));
            if recent.complete {
                return walks;
            }
        }
    };
    register_agencies(&app, 0, 4).await;
    assert_eq!(
        walks(&app).await,
        [(0, 2, false), (2, 4, true)],
        "two events a walk, each from where the last stopped, the last one right at the head"
    );
    register_agencies(&app, 4, 5).await;
    assert_eq!(walks(&app).await, [(4, 5, true)]);
    // The public answer says the same of the whole chain, from the checkpoint at 5.
    let public = verify(&app).await;
    assert_eq!(
        (
            public["checkpoint"]["seq"].as_i64(),
            public["length"].as_i64()
        ),
        (Some(5), Some(5))
    );
    assert_eq!(public["complete"], true);
}

async fn an_edited_event_breaks_the_chain_at_that_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let empty = verify(&app).await;
    assert_eq!(empty["status"], "intact");
    assert_eq!(empty["length"], 0);
    assert_eq!(empty["checkpoint"]["seq"], 0);
    assert_eq!(empty["complete"], true);
    register_agencies(&app, 0, 4).await;
    let intact = verify(&app).await;
    assert_eq!(intact["status"], "intact");
    assert_eq!(intact["length"], 4);
    assert_eq!(
        intact["checkpoint"]["seq"], 0,
        "the first walk starts at the beginning"
    );
    let head = intact["head_hash"].as_str().unwrap().to_owned();
    assert_eq!(head.len(), 64);
    // The next walk starts where that one ended.
    let again = verify(&app).await;
    assert_eq!(again["checkpoint"]["seq"], 4);
    assert_eq!(again["checkpoint"]["hash"], head.as_str());
    assert_eq!(again["length"], 4);
    assert_eq!(again["head_hash"], head.as_str());

    // An event after the checkpoint rewritten: broken there.
    register_agencies(&app, 4, 6).await;
    let original = rewrite(&app, 5, r#"{"code":"AUD-4","name":"Otra unidad"}"#, false).await;
    let broken = verify(&app).await;
    assert_eq!(broken["status"], "broken");
    assert_eq!(broken["broken_at"]["seq"], 5);
    assert_eq!(broken["length"], 4, "verified up to the event before");
    assert!(
        broken["broken_at"]["reason"]
            .as_str()
            .unwrap()
            .contains("changed")
    );
    rewrite(&app, 5, &original, false).await;
    assert_eq!(verify(&app).await["length"], 6);
    assert_eq!(verify(&app).await["checkpoint"]["seq"], 6);

    // The checkpoint's own event rewritten with its hash (and the head's) recomputed: the
    // links hold, but the checkpoint remembers the hash it had.
    rewrite(
        &app,
        6,
        r#"{"code":"AUD-5","name":"Unidad cambiada"}"#,
        true,
    )
    .await;
    let broken = verify(&app).await;
    assert_eq!(broken["status"], "broken", "{broken}");
    assert_eq!(broken["broken_at"]["seq"], 6);
    assert!(
        broken["broken_at"]["reason"]
            .as_str()
            .unwrap()
            .contains("last checkpoint"),
        "{broken}"
    );

    // The offline walk finds every link sound (the hashes were recomputed), but not the
    // checkpoint's hash: it fails too, and leaves the checkpoint where it was.
    let report = verify_offline(&app, backend);
    assert_eq!(report["broken_at"]["seq"], 6, "{report}");
    assert_eq!(verify(&app).await["checkpoint"]["seq"], 6);

    // An event before the checkpoint: the public walk does not go back there (its cost
    // would grow with the history), the full re-walk of the command does.
    rewrite(&app, 2, r#"{"code":"AUD-1","name":"Otra unidad"}"#, false).await;
    assert_eq!(verify(&app).await["broken_at"]["seq"], 6);

    // The offline command walks everything: it finds the earliest break, and fails.
    let report = verify_offline(&app, backend);
    assert_eq!(report["broken_at"]["seq"], 2);
}

/// `licita verify-audit` against the app's database: its report (it must exit 1).
fn verify_offline(app: &crate::helpers::TestApp, backend: Backend) -> serde_json::Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_licita"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("verify-audit");
    if backend == Backend::Sqlite {
        command.env("LICITA_DATA_DIR", app.data_dir_path());
    } else {
        command.env("DATABASE_URL", app.database_url.as_deref().unwrap());
    }
    let out = command.output().unwrap();
    assert!(!out.status.success(), "a broken chain fails the command");
    serde_json::from_slice(&out.stdout).unwrap()
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
