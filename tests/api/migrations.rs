use licita_migrations::{Migrator, MigratorTrait};
use reqwest::StatusCode;

use crate::helpers::{Backend, json_of, spawn_app};
use crate::on_both_databases;

on_both_databases!(migrations_apply_are_idempotent_and_roll_back_cleanly);

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
