//! The pauses of live auctions while their tender is suspended by an admitted complaint:
//! from when, until when (none while it lasts), and the complaint that caused it. An
//! auction's times are read with its pauses (each ended one moved its start, end and turns
//! forward), so they are history that is never dropped.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("auction_pauses")
                    .col(uuid("id").primary_key())
                    .col(uuid("auction_id"))
                    .col(uuid_null("complaint_id"))
                    .col(timestamp_with_time_zone("paused_at"))
                    .col(timestamp_with_time_zone_null("resumed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auction_pauses_auction")
                            .from("auction_pauses", "auction_id")
                            .to("auctions", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_auction_pauses_auction")
                    .table("auction_pauses")
                    .col("auction_id")
                    .col("paused_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let pauses = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM auction_pauses",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if pauses > 0 {
            return Err(DbErr::Migration(format!(
                "{pauses} auction pauses are stored: the auctions' times are read with them"
            )));
        }
        manager
            .drop_table(Table::drop().table("auction_pauses").to_owned())
            .await
    }
}
