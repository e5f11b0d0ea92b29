//! Framework contracts (contratos marco): fixed unit prices and adhered suppliers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("framework_contracts")
                    .col(uuid("id"))
                    .col(string("title"))
                    .col(date("valid_from"))
                    .col(date("valid_until"))
                    .col(date_null("ended_on"))
                    .col(text_null("end_reason"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().name("pk_framework_contracts").col("id"))
                    .check((
                        "ck_framework_contracts_validity",
                        Expr::col("valid_until").gte(Expr::col("valid_from")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("framework_items")
                    .col(uuid("contract_id"))
                    .col(integer("position"))
                    .col(string("classifier_code"))
                    .col(string("unit"))
                    .col(big_integer("unit_centavos"))
                    .primary_key(
                        Index::create()
                            .name("pk_framework_items")
                            .col("contract_id")
                            .col("position"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_framework_items_contract")
                            .from("framework_items", "contract_id")
                            .to("framework_contracts", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_framework_items_classifier")
                            .from("framework_items", "classifier_code")
                            .to("classifier_items", "code"),
                    )
                    .check(("ck_framework_items_price", Expr::col("unit_centavos").gt(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_framework_items_code")
                    .table("framework_items")
                    .col("classifier_code")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("framework_suppliers")
                    .col(uuid("contract_id"))
                    .col(string("rfc"))
                    .col(timestamp_with_time_zone("adhered_at"))
                    .primary_key(
                        Index::create()
                            .name("pk_framework_suppliers")
                            .col("contract_id")
                            .col("rfc"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_framework_suppliers_contract")
                            .from("framework_suppliers", "contract_id")
                            .to("framework_contracts", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_framework_suppliers_supplier")
                            .from("framework_suppliers", "rfc")
                            .to("suppliers", "rfc"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "framework_suppliers",
            "framework_items",
            "framework_contracts",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
