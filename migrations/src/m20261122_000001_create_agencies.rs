//! Buying units (agencies), with a few real federal agencies seeded for demos.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SEED: &[(&str, &str)] = &[
    ("SHCP", "Secretaría de Hacienda y Crédito Público"),
    ("SEP", "Secretaría de Educación Pública"),
    ("SSA", "Secretaría de Salud"),
    (
        "SICT",
        "Secretaría de Infraestructura, Comunicaciones y Transportes",
    ),
    (
        "SEMARNAT",
        "Secretaría de Medio Ambiente y Recursos Naturales",
    ),
    ("IMSS", "Instituto Mexicano del Seguro Social"),
    (
        "ISSSTE",
        "Instituto de Seguridad y Servicios Sociales de los Trabajadores del Estado",
    ),
    ("SAT", "Servicio de Administración Tributaria"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("agencies")
                    .col(string("code"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().name("pk_agencies").col("code"))
                    .to_owned(),
            )
            .await?;

        let mut insert = Query::insert();
        insert
            .into_table("agencies")
            .columns(["code", "name", "created_at"]);
        for (code, name) in SEED {
            insert
                .values([(*code).into(), (*name).into(), Expr::current_timestamp()])
                .map_err(|e| DbErr::Migration(e.to_string()))?;
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("agencies").to_owned())
            .await
    }
}
