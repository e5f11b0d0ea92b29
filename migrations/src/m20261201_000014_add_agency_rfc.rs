//! A buying unit's RFC (its organisation identifier, scheme MX-RFC, in the OCDS feeds);
//! units registered before have none until the registrar records it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("agencies")
                    .add_column(string_null("rfc"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("agencies")
                    .drop_column("rfc")
                    .to_owned(),
            )
            .await
    }
}
