//! The public OCDS feed: one row per published release, in the order the feed serves them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("ocds_releases")
                    // The feed position: assigned under the audit chain's head lock, which
                    // the writing transaction holds until it commits, so positions become
                    // visible in order and a reader following the cursor never skips one.
                    .col(big_integer("seq"))
                    .col(string("release_id"))
                    .col(string("ocid"))
                    .col(uuid("tender_id"))
                    .col(string("tag"))
                    .col(timestamp_with_time_zone("date"))
                    .col(text("body"))
                    .primary_key(Index::create().name("pk_ocds_releases").col("seq"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ocds_releases_tender")
                            .from("ocds_releases", "tender_id")
                            .to("tenders", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ocds_releases_release_id")
                    .table("ocds_releases")
                    .col("release_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ocds_releases_ocid")
                    .table("ocds_releases")
                    .col("ocid")
                    .col("seq")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("ocds_releases").to_owned())
            .await
    }
}
