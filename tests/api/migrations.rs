use licita_migrations::{Migrator, MigratorTrait};
use reqwest::StatusCode;

use crate::helpers::{Backend, json_of, rfc, spawn_app};
use crate::on_both_databases;
use sea_orm::{ConnectionTrait, EntityTrait};

on_both_databases!(
    migrations_apply_are_idempotent_and_roll_back_cleanly,
    sealing_the_bidder_keeps_every_stored_bid,
);

async fn migrations_apply_are_idempotent_and_roll_back_cleanly(backend: Backend) {
    // The app applied every migration at start.
    let app = spawn_app(backend).await;
    let status = Migrator::get_pending_migrations(&app.db).await.unwrap();
    assert!(status.is_empty(), "nothing pending after start");
    let applied = Migrator::get_applied_migrations(&app.db).await.unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());

    // Applying again is a no-op.
    Migrator::up(&app.db, None).await.unwrap();

    // Every `down` works, and `up` rebuilds the same schema and seed.
    Migrator::down(&app.db, None).await.unwrap();
    assert_eq!(
        Migrator::get_applied_migrations(&app.db)
            .await
            .unwrap()
            .len(),
        0
    );
    Migrator::up(&app.db, None).await.unwrap();
    let agencies = app.collect_pages("/public/v1/agencies", None).await;
    assert!(agencies.iter().any(|a| a["code"] == "SHCP"));
    json_of(app.get("/readyz", None).await, StatusCode::OK).await;
}

/// The version 2 migration rebuilds `bids` on SQLite: bids stored before it, and the
/// auction participants that refer to them, come through unchanged as version 1.
async fn sealing_the_bidder_keeps_every_stored_bid(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = app.register_supplier(&rfc("ACM010101AB"), "Acme").await;
    let tender = crate::tenders::published(&app).await;
    // Back to before migration 11: every migration from the eleventh on is undone.
    let after = Migrator::migrations().len() - 10;
    Migrator::down(&app.db, Some(u32::try_from(after).unwrap()))
        .await
        .unwrap();
    let bid_id = uuid::Uuid::now_v7();
    let received = chrono::DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let insert = sea_orm::sea_query::Query::insert()
        .into_table("bids")
        .columns([
            "id",
            "tender_id",
            "rfc",
            "status",
            "received_at",
            "receipt_sha256",
            "sealed",
        ])
        .values_panic([
            bid_id.into(),
            uuid::Uuid::parse_str(&tender).unwrap().into(),
            who.clone().into(),
            "live".into(),
            received.into(),
            "0".repeat(64).into(),
            "abcd".into(),
        ])
        .to_owned();
    app.db.execute(&insert).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    let stored = licita::persistence::entities::bid::Entity::find_by_id(bid_id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the bid survives the migration");
    assert_eq!(stored.rfc.as_deref(), Some(who.as_str()));
    assert_eq!(stored.seal_version, 1);
    assert_eq!(stored.bidder_tag, None);
    assert_eq!(stored.sealed, "abcd");
    json_of(app.get("/readyz", None).await, StatusCode::OK).await;
}

/// The embedded default runs SQLite in WAL mode, each commit synced to disk
/// (`synchronous=FULL`: 2).
#[tokio::test]
async fn the_embedded_database_runs_in_wal_mode_with_full_sync() {
    let app = spawn_app(Backend::Sqlite).await;
    let pragma = async |name: &str| {
        app.db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .unwrap()
            .unwrap()
    };
    let journal: String = pragma("journal_mode").await.try_get_by_index(0).unwrap();
    assert_eq!(journal, "wal");
    let synchronous: i64 = pragma("synchronous").await.try_get_by_index(0).unwrap();
    assert_eq!(synchronous, 2);
}
