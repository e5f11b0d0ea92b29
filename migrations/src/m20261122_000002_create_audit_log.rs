//! The append-only, hash-chained audit log.
//!
//! `audit_events` holds one row per state change; `hash` is the SHA-256 of the previous
//! event's hash and this event's canonical content. `audit_head` is a single row holding
//! the chain's head: writers lock it (`SELECT … FOR UPDATE`) so that appends are serialised
//! and the chain never forks.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash that precedes the first event.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(big_integer("seq"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string("actor_role"))
                    .col(string("actor_sub"))
                    .col(string("action"))
                    .col(string("entity_type"))
                    .col(string("entity_id"))
                    .col(text("data"))
                    .col(char_len("prev_hash", 64))
                    .col(char_len("hash", 64))
                    .primary_key(Index::create().name("pk_audit_events").col("seq"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_entity")
                    .table("audit_events")
                    .col("entity_type")
                    .col("entity_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_head")
                    .col(integer("id"))
                    .col(big_integer("seq"))
                    .col(char_len("hash", 64))
                    .primary_key(Index::create().name("pk_audit_head").col("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_head")
                    .columns(["id", "seq", "hash"])
                    .values([1.into(), 0i64.into(), GENESIS.into()])
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_head").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("audit_events").to_owned())
            .await
    }
}
