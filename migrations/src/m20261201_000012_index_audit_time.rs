//! The auditor's reading of the audit log (`GET /api/v1/audit/events`) filters by time:
//! an index on `occurred_at` (the tender filter uses `ix_audit_events_entity`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_occurred_at")
                    .table("audit_events")
                    .col("occurred_at")
                    .col("seq")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_events_occurred_at")
                    .table("audit_events")
                    .to_owned(),
            )
            .await
    }
}
