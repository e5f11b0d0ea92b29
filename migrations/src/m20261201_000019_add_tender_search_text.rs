//! The text a tender is searched by: its title and description folded (lower case, no
//! accents, punctuation as spaces), so that the search matches `papelería` with
//! `PAPELERIA` on SQLite as on PostgreSQL. The service fills it for the tenders stored
//! before (`persistence::migrate`), since the folding is the service's own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenders")
                    .add_column(text("search_text").default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenders")
                    .drop_column("search_text")
                    .to_owned(),
            )
            .await
    }
}
