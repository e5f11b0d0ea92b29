//! ICT assents (dictámenes) of the Digital Government Unit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("ict_assents")
                    .col(uuid("id"))
                    .col(string("agency"))
                    .col(string("title"))
                    .col(text("justification"))
                    .col(big_integer("amount_centavos"))
                    .col(boolean("strategic"))
                    .col(string("status"))
                    .col(big_integer_null("approved_centavos"))
                    .col(date_null("expires_on"))
                    .col(integer_null("fiscal_year"))
                    .col(text_null("decision_notes"))
                    .col(string_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(string("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .primary_key(Index::create().name("pk_ict_assents").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ict_assents_agency")
                            .from("ict_assents", "agency")
                            .to("agencies", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ict_assents_agency_year")
                    .table("ict_assents")
                    .col("agency")
                    .col("fiscal_year")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("ict_assent_codes")
                    .col(uuid("assent_id"))
                    .col(string("code"))
                    .primary_key(
                        Index::create()
                            .name("pk_ict_assent_codes")
                            .col("assent_id")
                            .col("code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ict_assent_codes_assent")
                            .from("ict_assent_codes", "assent_id")
                            .to("ict_assents", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ict_assent_codes_item")
                            .from("ict_assent_codes", "code")
                            .to("classifier_items", "code"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["ict_assent_codes", "ict_assents"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
