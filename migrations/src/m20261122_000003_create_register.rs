//! The classifier of goods and services, the supplier register and sanctions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("classifier_items")
                    .col(string("code"))
                    .col(string("description"))
                    .col(string_null("parent"))
                    .col(integer("level"))
                    .col(string_null("partida"))
                    .col(string_null("unit"))
                    .col(boolean("is_ict"))
                    // Lower case, accents folded: what text search matches against.
                    .col(string("search_text"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().name("pk_classifier_items").col("code"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_classifier_items_parent")
                            .from("classifier_items", "parent")
                            .to("classifier_items", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_classifier_items_parent", "parent"),
            ("ix_classifier_items_is_ict", "is_ict"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("classifier_items")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("suppliers")
                    .col(string("rfc"))
                    .col(string("person_type"))
                    .col(string("legal_name"))
                    .col(string("search_name"))
                    .col(string("size"))
                    .col(string("email"))
                    .col(boolean("check_digit_override"))
                    .col(string("registered_by"))
                    .col(timestamp_with_time_zone("registered_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().name("pk_suppliers").col("rfc"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suppliers_size")
                    .table("suppliers")
                    .col("size")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("supplier_classifiers")
                    .col(string("rfc"))
                    .col(string("code"))
                    .primary_key(
                        Index::create()
                            .name("pk_supplier_classifiers")
                            .col("rfc")
                            .col("code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_supplier_classifiers_supplier")
                            .from("supplier_classifiers", "rfc")
                            .to("suppliers", "rfc")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_supplier_classifiers_item")
                            .from("supplier_classifiers", "code")
                            .to("classifier_items", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_supplier_classifiers_code")
                    .table("supplier_classifiers")
                    .col("code")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sanctions")
                    .col(uuid("id"))
                    .col(string("rfc"))
                    .col(string("authority"))
                    .col(string("reference"))
                    .col(text("reason"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .primary_key(Index::create().name("pk_sanctions").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sanctions_supplier")
                            .from("sanctions", "rfc")
                            .to("suppliers", "rfc"),
                    )
                    .check((
                        "ck_sanctions_period",
                        Expr::col("ends_on").gt(Expr::col("starts_on")),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sanctions_rfc_period")
                    .table("sanctions")
                    .col("rfc")
                    .col("starts_on")
                    .col("ends_on")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "sanctions",
            "supplier_classifiers",
            "suppliers",
            "classifier_items",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
