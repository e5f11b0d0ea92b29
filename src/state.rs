//! The application's state: everything a handler may need, built once and shared.

use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::auth::{TokenVerifier, keys};
use crate::clock::Clock;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::ocds::Feed;
use crate::persistence;
use crate::redis_link::RedisLink;
use crate::settings::Settings;
use crate::storage::DocumentStore;
use crate::usecases::Context;

/// Everything a handler may need, registered once.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// What public reads go through ([`persistence::connect_reads`]).
    reads: DatabaseConnection,
    pub redis: Option<RedisLink>,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenVerifier>,
    pub sealer: Arc<crate::seal::Sealer>,
    pub metrics: Arc<Metrics>,
    pub engine: Arc<Engine>,
    /// What the OCDS releases share: the ocid prefix and the legal calendar.
    pub feed: Arc<Feed>,
    /// Where document bytes are kept.
    pub documents: DocumentStore,
    /// The auction event streams open in this instance, under their caps.
    pub streams: Arc<crate::streams::StreamSlots>,
    /// The rate limits, per client and budget.
    pub limits: Arc<crate::limits::Limiter>,
}

impl AppState {
    /// Connects to the database (applying migrations) and Redis, and loads the token key.
    /// `server_time`: the auction engine on Redis decides by Redis server time (in
    /// production) rather than by `clock` (tests inject a clock that they move).
    pub async fn build(
        settings: Settings,
        clock: Arc<dyn Clock>,
        server_time: bool,
    ) -> anyhow::Result<Self> {
        let db = persistence::connect(&settings).await?;
        persistence::migrate(&db).await?;
        let reads = persistence::connect_reads(&settings, &db).await?;
        let redis = settings
            .redis_url
            .as_ref()
            .map(|url| RedisLink::new(url.expose_secret(), &settings.redis_prefix))
            .transpose()?;
        let tokens = keys::verifier(&settings).context("loading the token key")?;
        let sealer = keys::sealer(&settings).context("loading the seal key")?;
        let engine = Arc::new(match &redis {
            Some(link) => Engine::redis(
                link.clone(),
                db.clone(),
                (!server_time).then(|| clock.clone()),
            ),
            None => Engine::memory(db.clone(), clock.clone()),
        });
        let feed = Arc::new(Feed {
            prefix: settings.ocid_prefix.clone(),
            legal_offset: settings.legal_offset,
            public_url: settings.public_url.clone().unwrap_or_default(),
        });
        let documents = DocumentStore::open(&settings.documents)?;
        let streams = crate::streams::StreamSlots::new(
            settings.streams.max_total,
            settings.streams.max_per_client,
        );
        let limits = crate::limits::Limiter::new(settings.rate_limits.clone(), redis.clone());
        Ok(Self {
            reads,
            engine,
            streams,
            limits,
            db,
            redis,
            feed,
            documents,
            settings: Arc::new(settings),
            clock,
            tokens: Arc::new(tokens),
            sealer: Arc::new(sealer),
            metrics: Arc::new(Metrics::new()?),
        })
    }
}

impl AppState {
    /// The address the public reaches the service at: every absolute link starts with it.
    pub fn public_url(&self) -> &str {
        self.settings.public_url.as_deref().unwrap_or_default()
    }

    /// The connections for reads that change nothing: on SQLite, read-only ones beside
    /// the writer; on PostgreSQL, the pool.
    pub fn reads(&self) -> &DatabaseConnection {
        &self.reads
    }

    /// What the OCDS releases share: the ocid prefix and the legal calendar.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// What a use case runs against, at this moment.
    pub fn context(&self) -> Context<'_> {
        let now = self.clock.now();
        Context {
            db: &self.db,
            sealer: &self.sealer,
            feed: &self.feed,
            now,
            today: now.with_timezone(&self.settings.legal_offset).date_naive(),
            legal_offset: self.settings.legal_offset,
            held: &[],
        }
    }

    /// Today's date in the legal calendar (`LICITA_LEGAL_UTC_OFFSET`).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&self.settings.legal_offset)
            .date_naive()
    }
}
