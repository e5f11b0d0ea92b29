//! Awards (fallos) and contracts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("awards")
                    .col(uuid("id"))
                    .col(uuid("tender_id"))
                    .col(uuid("bid_id"))
                    .col(string("rfc"))
                    .col(string("agency"))
                    .col(string("procedure"))
                    .col(big_integer("amount_centavos"))
                    .col(big_integer("reference_centavos"))
                    // reference value − awarded amount (may be negative only if a rule changes).
                    .col(big_integer("savings_centavos"))
                    // Under a framework contract: Σ (framework price − acquired price) × quantity.
                    .col(big_integer_null("framework_savings_centavos"))
                    .col(text_null("pass_over_reason"))
                    .col(text("passed_over"))
                    .col(string("awarded_by"))
                    .col(timestamp_with_time_zone("awarded_at"))
                    .primary_key(Index::create().name("pk_awards").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_awards_tender")
                            .from("awards", "tender_id")
                            .to("tenders", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_awards_bid")
                            .from("awards", "bid_id")
                            .to("bids", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_awards_tender")
                    .table("awards")
                    .col("tender_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_awards_agency_date")
                    .table("awards")
                    .col("agency")
                    .col("awarded_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contracts")
                    .col(uuid("id"))
                    .col(uuid("tender_id"))
                    .col(uuid("award_id"))
                    .col(big_integer("amount_centavos"))
                    .col(date("signed_on"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(string("signed_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .primary_key(Index::create().name("pk_contracts").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contracts_award")
                            .from("contracts", "award_id")
                            .to("awards", "id"),
                    )
                    .check((
                        "ck_contracts_period",
                        Expr::col("ends_on").gte(Expr::col("starts_on")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_contracts_tender")
                    .table("contracts")
                    .col("tender_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["contracts", "awards"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
