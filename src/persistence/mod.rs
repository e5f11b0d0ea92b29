//! SQL persistence through sea-orm: one code path for SQLite (the embedded default) and
//! PostgreSQL. Query functions take `&impl ConnectionTrait`, so the same function runs
//! on the pool or inside a transaction.

pub mod agencies;
pub mod auctions;
pub mod audit;
pub mod awards;
pub mod bids;
pub mod classifier;
pub mod complaints;
pub mod documents;
pub mod entities;
pub mod frameworks;
pub mod ict;
pub mod releases;
pub mod suppliers;
pub mod tenders;

use std::time::Duration;

use anyhow::Context;
use licita_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use secrecy::ExposeSecret;

use crate::settings::Settings;

/// How long a request waits for a pooled connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The URL to connect to and its backend, from the settings.
pub fn database_url(settings: &Settings) -> anyhow::Result<(String, Backend)> {
    match &settings.database_url {
        Some(url) => {
            let url = url.expose_secret();
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                Ok((url.to_owned(), Backend::Postgres))
            } else if url.starts_with("sqlite:") {
                Ok((url.to_owned(), Backend::Sqlite))
            } else {
                anyhow::bail!("DATABASE_URL must start with postgres://, postgresql:// or sqlite:")
            }
        }
        None => {
            std::fs::create_dir_all(&settings.data_dir).with_context(|| {
                format!("creating the data folder {}", settings.data_dir.display())
            })?;
            let path = settings.default_sqlite_path();
            Ok((
                format!("sqlite://{}?mode=rwc", path.display()),
                Backend::Sqlite,
            ))
        }
    }
}

/// Opens the connection pool. SQLite gets a single connection: it allows one writer at a
/// time anyway, and one connection can never deadlock on lock upgrades. It runs in WAL mode
/// (a commit appends to the write-ahead log instead of copying pages to a rollback journal)
/// with `synchronous=FULL`, so a commit is on disk before it returns, as before.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let (url, backend) = database_url(settings)?;
    let mut options = ConnectOptions::new(url);
    if backend == Backend::Sqlite {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
        });
    }
    options
        .max_connections(match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => settings.db_max_connections,
        })
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to the {backend:?} database"))
}

/// The connections the public reads go through: on SQLite a pool of read-only
/// connections beside the one writer (WAL lets them read while it writes, each seeing
/// what was committed when its read began); on PostgreSQL the pool itself. Open it after
/// the migrations.
pub async fn connect_reads(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    let (url, backend) = database_url(settings)?;
    // A database in memory exists only on its own connection.
    if backend != Backend::Sqlite || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(db.clone());
    }
    let readers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let mut options = ConnectOptions::new(url);
    options.map_sqlx_sqlite_opts(|o| o.read_only(true).create_if_missing(false));
    options
        .max_connections(u32::try_from(readers).unwrap_or(2))
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .context("opening the read-only SQLite connections")
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrate_schema(db).await?;
    let filled = tenders::fill_search_text(db).await?;
    if filled > 0 {
        tracing::info!(
            tenders = filled,
            "search text filled for the tenders stored before it"
        );
    }
    Ok(())
}

async fn migrate_schema(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations")
}

/// True when `error` says the database could not be reached or gave no connection in
/// time: a temporary condition (503, retry), not a fault.
pub fn is_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<DbErr>(),
            Some(DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
        )
    })
}

/// True when the error is a unique-constraint violation.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// `SELECT <columns> FROM tender_items WHERE classifier_code IN (code and its
/// descendants)`: the tenders (or lots) with an item under the code, the descendants found
/// by a recursive query over the classifier's parents (UNION, so that even a cycle would
/// end). Shared by the repositories that filter by a classifier subtree.
pub fn items_classified_under(
    code: &str,
    columns: &[entities::tender_item::Column],
) -> sea_orm::sea_query::Expr {
    use entities::{classifier_item, tender_item};
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::sea_query::{
        Alias, CommonTableExpression, Expr, Query, SubQueryStatement, UnionType, WithClause,
    };
    let under = Alias::new("under");
    let code_col = Alias::new("code");
    let mut base = Query::select()
        .column(classifier_item::Column::Code)
        .from(classifier_item::Entity)
        .and_where(Expr::col(classifier_item::Column::Code).eq(code))
        .to_owned();
    let step = Query::select()
        .column((classifier_item::Entity, classifier_item::Column::Code))
        .from(classifier_item::Entity)
        .inner_join(
            under.clone(),
            Expr::col((classifier_item::Entity, classifier_item::Column::Parent))
                .equals((under.clone(), code_col.clone())),
        )
        .to_owned();
    let cte = CommonTableExpression::new()
        .query(base.union(UnionType::Distinct, step).to_owned())
        .column(code_col.clone())
        .table_name(under.clone())
        .to_owned();
    let items = Query::select()
        .columns(columns.iter().copied())
        .from(tender_item::Entity)
        .and_where(
            Expr::col(tender_item::Column::ClassifierCode).in_subquery(
                Query::select()
                    .column((under.clone(), code_col))
                    .from(under)
                    .to_owned(),
            ),
        )
        .to_owned();
    let query = items.with(WithClause::new().recursive(true).cte(cte).to_owned());
    Expr::SubQuery(None, Box::new(SubQueryStatement::WithStatement(query)))
}
