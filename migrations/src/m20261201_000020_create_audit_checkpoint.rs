//! The audit chain's checkpoint: the last event a verification found intact (its sequence
//! number and hash) and when. The public verification walks only what was appended after
//! it (and checks that the checkpoint's event still has its hash), so its cost does not
//! grow with the history; `licita verify-audit` re-walks the whole chain. One row, which
//! only moves forward. No index is needed: the walk reads `audit_events` by its primary
//! key (`seq`) from the checkpoint on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash before the first event (the chain's genesis).
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_checkpoint")
                    .col(integer("id"))
                    .col(big_integer("seq"))
                    .col(char_len("hash", 64))
                    .col(timestamp_with_time_zone_null("verified_at"))
                    .primary_key(Index::create().name("pk_audit_checkpoint").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_checkpoint")
                    .columns(["id", "seq", "hash"])
                    .values([1.into(), 0i64.into(), GENESIS.into()])
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_checkpoint").to_owned())
            .await
    }
}
