//! Reverse auctions: one per tender, its participants (the qualified bids) and every
//! accepted auction bid. SQL is the system of record; the engines hold the live state.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("auctions")
                    .col(uuid("id"))
                    .col(uuid("tender_id"))
                    // The settings as parsed (canonical JSON): format, decrement, visibility…
                    .col(text("settings"))
                    .col(big_integer("ceiling_centavos"))
                    .col(timestamp_with_time_zone("starts_at"))
                    // The scheduled end; at the close, the final one (after any extensions).
                    .col(timestamp_with_time_zone("ends_at"))
                    // scheduled or closed; open or not is a matter of the clock.
                    .col(string("status"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .primary_key(Index::create().name("pk_auctions").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auctions_tender")
                            .from("auctions", "tender_id")
                            .to("tenders", "id"),
                    )
                    .check(("ck_auctions_ceiling", Expr::col("ceiling_centavos").gt(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_auctions_tender")
                    .table("auctions")
                    .col("tender_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_auctions_status_ends")
                    .table("auctions")
                    .col("status")
                    .col("ends_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("auction_participants")
                    .col(uuid("auction_id"))
                    // Position in the auction's participant list (0-based, fixed at scheduling).
                    .col(integer("position"))
                    .col(string("rfc"))
                    .col(uuid("bid_id"))
                    .col(big_integer("start_centavos"))
                    .col(big_integer_null("final_centavos"))
                    .col(integer_null("final_rank"))
                    .primary_key(
                        Index::create()
                            .name("pk_auction_participants")
                            .col("auction_id")
                            .col("position"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auction_participants_auction")
                            .from("auction_participants", "auction_id")
                            .to("auctions", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auction_participants_bid")
                            .from("auction_participants", "bid_id")
                            .to("bids", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_auction_participants_rfc")
                    .table("auction_participants")
                    .col("auction_id")
                    .col("rfc")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("auction_bids")
                    .col(uuid("id"))
                    .col(uuid("auction_id"))
                    // 1, 2, 3… in the order the engine accepted them.
                    .col(big_integer("seq"))
                    .col(string("rfc"))
                    .col(big_integer("amount_centavos"))
                    .col(timestamp_with_time_zone("placed_at"))
                    .col(integer("rank"))
                    .col(big_integer("best_centavos"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_null("idempotency_key"))
                    .col(char_len_null("request_sha256", 64))
                    .primary_key(Index::create().name("pk_auction_bids").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auction_bids_auction")
                            .from("auction_bids", "auction_id")
                            .to("auctions", "id"),
                    )
                    .check(("ck_auction_bids_amount", Expr::col("amount_centavos").gt(0)))
                    .to_owned(),
            )
            .await?;
        // Writing the same accepted bid twice (a persister retrying) is a no-op.
        manager
            .create_index(
                Index::create()
                    .name("uq_auction_bids_seq")
                    .table("auction_bids")
                    .col("auction_id")
                    .col("seq")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_auction_bids_idempotency")
                    .table("auction_bids")
                    .col("auction_id")
                    .col("rfc")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["auction_bids", "auction_participants", "auctions"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
