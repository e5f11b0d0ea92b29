//! Documents: a tender's (the call, annexes, minutes, notices, the contract) and a sealed
//! bid's. The bytes live in the document store (a folder or an S3 bucket) under
//! `storage_key`; a row is written only once its bytes are stored whole, so no half
//! document is ever listed. A document never changes: a new version is a new row naming
//! the one it supersedes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("documents")
                    .col(uuid("id").primary_key())
                    .col(uuid("tender_id"))
                    // A bid's document: its title and digest are sealed with the bid.
                    .col(uuid_null("bid_id"))
                    .col(string("kind"))
                    .col(text("title"))
                    .col(string("media_type"))
                    .col(big_integer("size_bytes"))
                    // Hex SHA-256 of the bytes as uploaded (a sealed one's: of the bytes
                    // as stored).
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .col(uuid_null("supersedes"))
                    .col(string("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    // Version of the envelope of a sealed document; 0: stored in clear.
                    .col(integer("seal_version"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documents_tender")
                            .from("documents", "tender_id")
                            .to("tenders", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documents_supersedes")
                            .from("documents", "supersedes")
                            .to("documents", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // A tender's documents are listed in upload order (ids are time-ordered).
        manager
            .create_index(
                Index::create()
                    .name("ix_documents_tender")
                    .table("documents")
                    .col("tender_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("documents").to_owned())
            .await
    }
}
