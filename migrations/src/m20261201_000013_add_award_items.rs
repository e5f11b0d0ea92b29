//! Each award keeps the unit prices it awarded, item by item (after an auction, the sealed
//! unit prices scaled to the final total), so that the OCDS feed can publish
//! `awards[].items` and `contracts[].items`. Awards made before hold none.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("awards")
                    // JSON: [{"position": 1, "unit_price_centavos": 1750000}, …]
                    .add_column(text_null("items"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("awards")
                    .drop_column("items")
                    .to_owned(),
            )
            .await
    }
}
