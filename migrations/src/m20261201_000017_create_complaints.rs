//! Complaints (inconformidades) against an act of a tender, and what they change: a
//! tender may be suspended by an admitted complaint (`tenders.suspended_by`), and an award
//! annulled by an upheld one (`awards.annulled_at`, kept as history: one award in force per
//! lot).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("complaints")
                    .col(uuid("id").primary_key())
                    .col(uuid("tender_id"))
                    .col(string("agency"))
                    // conditions, opening, evaluation or award.
                    .col(string("act"))
                    // The lot of an award complaint, and the award it contests.
                    .col(integer_null("lot"))
                    .col(uuid_null("award_id"))
                    // When the act contested happened (the publication, for the conditions).
                    .col(timestamp_with_time_zone_null("contested_at"))
                    .col(string("complainant_rfc"))
                    .col(text("title"))
                    .col(text("facts"))
                    .col(text("request"))
                    // filed, admitted, rejected, upheld, dismissed or withdrawn.
                    .col(string("status"))
                    .col(boolean("suspends"))
                    .col(timestamp_with_time_zone("filed_at"))
                    .col(timestamp_with_time_zone_null("admitted_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(string_null("decided_by"))
                    .col(string_null("rejection_reason"))
                    .col(text_null("decision_text"))
                    .col(timestamp_with_time_zone_null("suspension_lifted_at"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    // What the resolution changed, in words (annulled award, back to draft…).
                    .col(text_null("effects"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaints_tender")
                            .from("complaints", "tender_id")
                            .to("tenders", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_complaints_tender", vec!["tender_id"]),
            ("ix_complaints_status", vec!["status"]),
        ] {
            let mut index = Index::create();
            index.name(name).table("complaints");
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("tenders")
                    .add_column(uuid_null("suspended_by"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("awards")
                    .add_column(timestamp_with_time_zone_null("annulled_at"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // One award in force per lot; annulled ones stay as history.
        db.execute_unprepared("DROP INDEX uq_awards_tender_lot")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_awards_tender_lot ON awards (tender_id, lot) \
             WHERE annulled_at IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let annulled = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM awards WHERE annulled_at IS NOT NULL",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if annulled > 0 {
            return Err(DbErr::Migration(format!(
                "{annulled} annulled awards are kept as history: they can't go back to one \
                 award per lot"
            )));
        }
        db.execute_unprepared("DROP INDEX uq_awards_tender_lot")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_awards_tender_lot ON awards (tender_id, lot)",
        )
        .await?;
        for (table, column) in [("awards", "annulled_at"), ("tenders", "suspended_by")] {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                .await?;
        }
        manager
            .drop_table(Table::drop().table("complaints").to_owned())
            .await
    }
}
