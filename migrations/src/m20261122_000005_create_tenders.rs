//! Tenders, their items and invitations, clarification questions, and sealed bids.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tenders")
                    .col(uuid("id"))
                    .col(string("agency"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(string("procedure"))
                    .col(string("scope"))
                    .col(string("status"))
                    .col(big_integer("reference_centavos"))
                    .col(timestamp_with_time_zone("clarifications_until"))
                    .col(timestamp_with_time_zone("submission_deadline"))
                    .col(timestamp_with_time_zone("opening_at"))
                    .col(text_null("legal_justification"))
                    .col(uuid_null("framework_contract_id"))
                    .col(uuid_null("ict_assent_id"))
                    .col(text_null("framework_exception"))
                    .col(text_null("auction_settings"))
                    .col(text_null("cancel_reason"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("opened_at"))
                    .col(timestamp_with_time_zone_null("evaluated_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .primary_key(Index::create().name("pk_tenders").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tenders_agency")
                            .from("tenders", "agency")
                            .to("agencies", "code"),
                    )
                    .check((
                        "ck_tenders_reference",
                        Expr::col("reference_centavos").gte(0),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_tenders_agency", "agency"),
            ("ix_tenders_status", "status"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("tenders")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("tender_items")
                    .col(uuid("tender_id"))
                    .col(integer("position"))
                    .col(string("classifier_code"))
                    .col(big_integer("quantity"))
                    .col(string("unit"))
                    .col(big_integer("max_unit_centavos"))
                    .col(boolean("is_ict"))
                    .primary_key(
                        Index::create()
                            .name("pk_tender_items")
                            .col("tender_id")
                            .col("position"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tender_items_tender")
                            .from("tender_items", "tender_id")
                            .to("tenders", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tender_items_classifier")
                            .from("tender_items", "classifier_code")
                            .to("classifier_items", "code"),
                    )
                    .check(("ck_tender_items_quantity", Expr::col("quantity").gt(0)))
                    .check((
                        "ck_tender_items_price",
                        Expr::col("max_unit_centavos").gt(0),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tender_invitations")
                    .col(uuid("tender_id"))
                    .col(string("rfc"))
                    .primary_key(
                        Index::create()
                            .name("pk_tender_invitations")
                            .col("tender_id")
                            .col("rfc"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tender_invitations_tender")
                            .from("tender_invitations", "tender_id")
                            .to("tenders", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tender_questions")
                    .col(uuid("id"))
                    .col(uuid("tender_id"))
                    .col(string("asker_rfc"))
                    .col(text("question"))
                    .col(timestamp_with_time_zone("asked_at"))
                    .col(text_null("answer"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .col(string_null("answered_by"))
                    .primary_key(Index::create().name("pk_tender_questions").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tender_questions_tender")
                            .from("tender_questions", "tender_id")
                            .to("tenders", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_tender_questions_tender")
                    .table("tender_questions")
                    .col("tender_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("bids")
                    .col(uuid("id"))
                    .col(uuid("tender_id"))
                    .col(string("rfc"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(char_len("receipt_sha256", 64))
                    // nonce ‖ ciphertext, hex: the prices and offer, sealed until opening.
                    .col(text("sealed"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    // Written at the opening, never before.
                    .col(big_integer_null("total_centavos"))
                    .col(boolean_null("qualified"))
                    .col(text_null("evaluation_reason"))
                    .col(timestamp_with_time_zone_null("evaluated_at"))
                    .primary_key(Index::create().name("pk_bids").col("id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bids_tender")
                            .from("bids", "tender_id")
                            .to("tenders", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bids_supplier")
                            .from("bids", "rfc")
                            .to("suppliers", "rfc"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_bids_tender")
                    .table("bids")
                    .col("tender_id")
                    .to_owned(),
            )
            .await?;
        // One live bid per supplier per tender; replaced and withdrawn ones stay as history.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_bids_live ON bids (tender_id, rfc) WHERE status = 'live'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "bids",
            "tender_questions",
            "tender_invitations",
            "tender_items",
            "tenders",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
