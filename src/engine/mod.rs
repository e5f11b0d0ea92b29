//! The auction engines: where an auction's live state is held and each bid is checked and
//! applied atomically. Both apply the same pure rules (`domain::auction`); SQL stays the
//! system of record.
//!
//! - [`memory::MemoryEngine`] (no `REDIS_URL`): the state in process, one lock per
//!   auction, each accepted bid written to SQL before it is acknowledged. One instance
//!   only.
//! - [`redis::RedisEngine`] (`REDIS_URL`): the state in Redis, each operation one atomic
//!   script; many instances share it, and a persister writes accepted bids to SQL.

mod group_commit;
pub mod memory;
pub mod redis;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::auction::{Accepted, Refusal};
use crate::domain::money::Money;
use crate::persistence::auctions::AuctionRecord;

/// A bid as a supplier sends it.
#[derive(Debug, Clone)]
pub struct BidRequest {
    pub auction_id: Uuid,
    pub rfc: String,
    pub amount: Money,
    pub idempotency: Option<Idempotency>,
}

/// The `Idempotency-Key` of a request and the SHA-256 of what it asked for: the same key
/// with the same request replays the first answer; with another request it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_sha256: String,
}

/// An accepted bid, as acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub bid_id: Uuid,
    pub seq: i64,
    pub accepted: Accepted,
    /// The answer to an earlier request with the same idempotency key.
    pub replayed: bool,
    /// What the auction lets suppliers see (rank, best price).
    pub visibility: crate::domain::auction_settings::Visibility,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("auction {0} not found")]
    NotFound(Uuid),
    #[error("the bid was refused: {}", .0.code())]
    Refused(Refusal),
    #[error("this Idempotency-Key was used for another request")]
    IdempotencyConflict,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// An auction as read for a view: its stored record and live state.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub record: AuctionRecord,
    pub state: crate::domain::auction::Auction,
    /// Each accepted bid's id, in sequence order.
    pub bid_ids: Vec<Uuid>,
    /// When each accepted bid was placed, in sequence order (`state` holds them moved
    /// forward by any pause since).
    pub placed_at: Vec<DateTime<Utc>>,
    /// The time of the engine that decided (its clock).
    pub now: DateTime<Utc>,
}

/// Changes per auction (the sequence number after each bid, or the close), for
/// live streams. A channel exists only while someone listens or until the close. The same
/// bid told twice (by this instance, then again through Redis) is told once.
#[derive(Default)]
pub struct Changes(
    std::sync::Mutex<std::collections::HashMap<Uuid, (tokio::sync::broadcast::Sender<i64>, i64)>>,
);

/// Changes a slow listener may fall behind before it skips to the latest.
const CHANGES_BUFFER: usize = 256;

impl Changes {
    pub fn subscribe(&self, id: Uuid) -> tokio::sync::broadcast::Receiver<i64> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id)
            .or_insert_with(|| (tokio::sync::broadcast::channel(CHANGES_BUFFER).0, 0))
            .0
            .subscribe()
    }

    /// Tells the auction's listeners, if it has any, and whether it did: a bid's sequence
    /// number once (a number not above the last told is not told again); anything else
    /// (0, or `i64::MAX` for the close) every time.
    pub fn notify(&self, id: Uuid, seq: i64) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some((sender, last)) = map.get_mut(&id) else {
            return false;
        };
        let is_bid = seq > 0 && seq < i64::MAX;
        if is_bid {
            if seq <= *last {
                return false;
            }
            *last = seq;
        }
        sender.send(seq).is_ok()
    }

    pub fn remove(&self, id: Uuid) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}

/// What follows a [`Engine::hold`] whose commit succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// The auction is closed (its tender cancelled): no bid passes again.
    Close,
    /// The auction changed in SQL (paused, resumed): its live state is read again.
    Reload,
}

/// The engine in use.
pub enum Engine {
    Memory(Box<memory::MemoryEngine>),
    Redis(Arc<redis::RedisEngine>),
}

impl Engine {
    pub fn memory(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Engine::Memory(Box::new(memory::MemoryEngine::new(db, clock)))
    }

    pub fn redis(
        link: crate::redis_link::RedisLink,
        db: DatabaseConnection,
        clock: Option<Arc<dyn Clock>>,
    ) -> Self {
        Engine::Redis(Arc::new(redis::RedisEngine::new(link, db, clock)))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Engine::Memory(_) => "in-process",
            Engine::Redis(_) => "redis",
        }
    }

    /// Background work the engine needs while the process runs: on Redis, the persister,
    /// and the relay of other instances' changes to this one's streams.
    pub fn spawn_background(&self) {
        if let Engine::Redis(r) = self {
            tokio::spawn(r.clone().persist_forever());
            tokio::spawn(r.clone().relay_changes());
        }
    }

    /// Whether other instances' changes reach this one's streams as they happen (always,
    /// in process: there is no other instance).
    pub fn is_relaying(&self) -> bool {
        match self {
            Engine::Memory(_) => true,
            Engine::Redis(r) => r.is_relaying(),
        }
    }

    /// Changes heard from Redis and passed to this instance's streams (0 in process).
    pub fn changes_relayed(&self) -> u64 {
        match self {
            Engine::Memory(_) => 0,
            Engine::Redis(r) => r.changes_relayed(),
        }
    }

    /// Checks and applies one bid atomically; an `Ok` is durable.
    pub async fn place(&self, bid: BidRequest) -> Result<Placed, EngineError> {
        match self {
            Engine::Memory(m) => m.place(bid).await,
            Engine::Redis(r) => r.place(bid).await,
        }
    }

    /// The auction's current state, closing it first when its end has passed.
    pub async fn snapshot(&self, id: Uuid) -> Result<Snapshot, EngineError> {
        match self {
            Engine::Memory(m) => m.snapshot(id).await,
            Engine::Redis(r) => r.snapshot(id).await,
        }
    }

    /// Holds `id` while `commit` changes it in SQL: no bid is accepted from the moment this
    /// starts, and bids accepted before are in SQL before `commit` runs. Then, as `then`
    /// says, the auction is closed (its tender's cancellation recorded the close) or its
    /// live state is read again from SQL (a pause or a resumption). If `commit` fails the
    /// auction goes on as before.
    pub async fn hold<T, E: From<EngineError>>(
        &self,
        id: Uuid,
        then: Then,
        commit: impl AsyncFnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            Engine::Memory(m) => m.hold(id, then, commit).await,
            Engine::Redis(r) => r.hold(id, then, commit).await,
        }
    }

    /// Closes every auction whose end has passed; returns how many it closed.
    pub async fn close_due(&self) -> anyhow::Result<usize> {
        match self {
            Engine::Memory(m) => m.close_due().await,
            Engine::Redis(r) => r.close_due().await,
        }
    }

    /// A receiver told the sequence number of each change of `id` (a bid, or the close).
    pub fn subscribe(&self, id: Uuid) -> tokio::sync::broadcast::Receiver<i64> {
        match self {
            Engine::Memory(m) => m.subscribe(id),
            Engine::Redis(r) => r.subscribe(id),
        }
    }

    /// Drops an auction's live state — the in-process engine's memory, or Redis's keys —
    /// as a restart would; the next operation rebuilds it from SQL.
    pub async fn evict(&self, id: Uuid) -> anyhow::Result<()> {
        match self {
            Engine::Memory(m) => {
                m.forget(id);
                Ok(())
            }
            Engine::Redis(r) => r.evict(id).await,
        }
    }

    /// Forgets an auction's cached state (it is read again from SQL on next use).
    pub fn forget(&self, id: Uuid) {
        match self {
            Engine::Memory(m) => m.forget(id),
            Engine::Redis(r) => r.forget(id),
        }
    }
}
