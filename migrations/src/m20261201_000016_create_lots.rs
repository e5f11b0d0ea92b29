//! Lots (partidas): a tender is bought in 1 to 200 lots, each with its items, reference
//! value, status, auction, award and contract. Every tender stored before becomes one lot
//! (number 1) holding all its items; each opened bid's total becomes its offer on that
//! lot, with its evaluation. Auctions, awards and contracts become unique per lot.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The per-tender unique indexes that become per lot: (table, old name, new name).
const PER_LOT: [(&str, &str, &str); 3] = [
    ("auctions", "uq_auctions_tender", "uq_auctions_tender_lot"),
    ("awards", "uq_awards_tender", "uq_awards_tender_lot"),
    (
        "contracts",
        "uq_contracts_tender",
        "uq_contracts_tender_lot",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tender_lots")
                    .col(uuid("tender_id"))
                    .col(integer("number"))
                    .col(text("title"))
                    .col(text_null("description"))
                    .col(big_integer("reference_centavos"))
                    // active, auction, awarded, contracted, deserted or cancelled.
                    .col(string("status"))
                    .primary_key(
                        Index::create()
                            .name("pk_tender_lots")
                            .col("tender_id")
                            .col("number"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tender_lots_tender")
                            .from("tender_lots", "tender_id")
                            .to("tenders", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(("ck_tender_lots_number", Expr::col("number").gt(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("bid_lots")
                    .col(uuid("bid_id"))
                    .col(integer("lot"))
                    .col(uuid("tender_id"))
                    // Written at the opening, never before: what the bid offers for the lot.
                    .col(big_integer("total_centavos"))
                    .col(boolean_null("qualified"))
                    .col(text_null("evaluation_reason"))
                    .primary_key(Index::create().name("pk_bid_lots").col("bid_id").col("lot"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bid_lots_bid")
                            .from("bid_lots", "bid_id")
                            .to("bids", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bid_lots_lot")
                            .from("bid_lots", ("tender_id", "lot"))
                            .to("tender_lots", ("tender_id", "number")),
                    )
                    .check(("ck_bid_lots_lot", Expr::col("lot").gt(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_bid_lots_tender")
                    .table("bid_lots")
                    .col("tender_id")
                    .col("lot")
                    .to_owned(),
            )
            .await?;
        for table in ["tender_items", "auctions", "awards", "contracts"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(integer("lot").default(1))
                        .to_owned(),
                )
                .await?;
        }
        for (table, old, new) in PER_LOT {
            manager
                .drop_index(Index::drop().name(old).table(table).to_owned())
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(new)
                        .table(table)
                        .col("tender_id")
                        .col("lot")
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO tender_lots (tender_id, number, title, description, reference_centavos, status) \
             SELECT id, 1, title, NULL, reference_centavos, CASE status \
               WHEN 'auction' THEN 'auction' WHEN 'awarded' THEN 'awarded' \
               WHEN 'contracted' THEN 'contracted' WHEN 'deserted' THEN 'deserted' \
               WHEN 'cancelled' THEN 'cancelled' ELSE 'active' END \
             FROM tenders",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO bid_lots (bid_id, lot, tender_id, total_centavos, qualified, evaluation_reason) \
             SELECT id, 1, tender_id, total_centavos, qualified, evaluation_reason \
             FROM bids WHERE total_centavos IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let several = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM tender_lots WHERE number > 1",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if several > 0 {
            return Err(DbErr::Migration(format!(
                "{several} lots beyond the first are stored: tenders with several lots can't \
                 go back to one lot each"
            )));
        }
        for (table, old, new) in PER_LOT {
            manager
                .drop_index(Index::drop().name(new).table(table).to_owned())
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(old)
                        .table(table)
                        .col("tender_id")
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for table in ["tender_items", "auctions", "awards", "contracts"] {
            if db.get_database_backend() == DbBackend::Sqlite {
                db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN lot"))
                    .await?;
            } else {
                manager
                    .alter_table(Table::alter().table(table).drop_column("lot").to_owned())
                    .await?;
            }
        }
        for table in ["bid_lots", "tender_lots"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
