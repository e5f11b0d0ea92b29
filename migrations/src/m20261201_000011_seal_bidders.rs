//! Sealed bids, version 2: who bid is sealed too. A bid's RFC is written in clear only at
//! the opening (`rfc` becomes nullable); before it, a bid is found by its bidder tag, a
//! keyed hash of tender and RFC that only the seal key can compute. `seal_version` tells
//! the envelope's format: 1 (RFC in clear, unkeyed receipt) for bids sealed before this
//! migration, 2 for every new one.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns both versions of the table share, in order.
const SHARED: &str = "id, tender_id, rfc, status, received_at, receipt_sha256, sealed, \
    withdrawn_at, total_centavos, qualified, evaluation_reason, evaluated_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE bids ALTER COLUMN rfc DROP NOT NULL; \
                     ALTER TABLE bids ADD COLUMN bidder_tag char(64) NULL; \
                     ALTER TABLE bids ADD COLUMN seal_version integer NOT NULL DEFAULT 1",
                )
                .await?;
            }
            _ => rebuild_sqlite(manager, true).await?,
        }
        live_indexes(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sealed = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM bids WHERE rfc IS NULL",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if sealed > 0 {
            return Err(DbErr::Migration(format!(
                "{sealed} bids keep their bidder sealed (version 2): they can't go back to \
                 version 1, which holds the RFC in clear"
            )));
        }
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DROP INDEX IF EXISTS uq_bids_live_bidder; \
                     ALTER TABLE bids DROP COLUMN bidder_tag; \
                     ALTER TABLE bids DROP COLUMN seal_version; \
                     ALTER TABLE bids ALTER COLUMN rfc SET NOT NULL",
                )
                .await?;
                Ok(())
            }
            _ => {
                rebuild_sqlite(manager, false).await?;
                live_indexes(manager, false).await
            }
        }
    }
}

/// The indexes of `bids`: by tender, and one live bid per supplier (by RFC for version 1,
/// by bidder tag for version 2).
async fn live_indexes(manager: &SchemaManager<'_>, v2: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        // The rebuilt table has lost its indexes.
        manager
            .create_index(
                Index::create()
                    .name("ix_bids_tender")
                    .table("bids")
                    .col("tender_id")
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_bids_live ON bids (tender_id, rfc) WHERE status = 'live'",
        )
        .await?;
    }
    if v2 {
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_bids_live_bidder ON bids (tender_id, bidder_tag) \
             WHERE status = 'live'",
        )
        .await?;
    }
    Ok(())
}

/// SQLite can't change a column's nullability: the table is rebuilt (its documented
/// procedure: foreign keys off, new table, copy, drop, rename, check, foreign keys on).
/// SQLite migrations run on the pool's one connection, outside a transaction, so the
/// pragma holds for the whole rebuild, which runs in its own transaction.
async fn rebuild_sqlite(manager: &SchemaManager<'_>, v2: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    let outcome = async {
        let txn = manager.begin().await?;
        let mut table = Table::create();
        table
            .table("bids_rebuilt")
            .col(uuid("id"))
            .col(uuid("tender_id"));
        if v2 {
            table.col(string_null("rfc"));
        } else {
            table.col(string("rfc"));
        }
        table
            .col(string("status"))
            .col(timestamp_with_time_zone("received_at"))
            .col(char_len("receipt_sha256", 64))
            .col(text("sealed"))
            .col(timestamp_with_time_zone_null("withdrawn_at"))
            .col(big_integer_null("total_centavos"))
            .col(boolean_null("qualified"))
            .col(text_null("evaluation_reason"))
            .col(timestamp_with_time_zone_null("evaluated_at"));
        if v2 {
            table
                .col(char_len_null("bidder_tag", 64))
                .col(integer("seal_version").default(1));
        }
        table
            .primary_key(Index::create().name("pk_bids").col("id"))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_bids_tender")
                    .from("bids_rebuilt", "tender_id")
                    .to("tenders", "id"),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_bids_supplier")
                    .from("bids_rebuilt", "rfc")
                    .to("suppliers", "rfc"),
            );
        txn.create_table(table.to_owned()).await?;
        let conn = txn.get_connection();
        conn.execute_unprepared(&format!(
            "INSERT INTO bids_rebuilt ({SHARED}) SELECT {SHARED} FROM bids"
        ))
        .await?;
        conn.execute_unprepared("DROP TABLE bids").await?;
        conn.execute_unprepared("ALTER TABLE bids_rebuilt RENAME TO bids")
            .await?;
        let broken = conn
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COUNT(*) AS n FROM pragma_foreign_key_check",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if broken > 0 {
            return Err(DbErr::Migration(format!(
                "rebuilding bids broke {broken} foreign keys"
            )));
        }
        txn.commit().await
    }
    .await;
    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    outcome
}
