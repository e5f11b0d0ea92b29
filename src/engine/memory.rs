//! The in-process engine: each auction's state behind its own lock, loaded from SQL on
//! first use. A bid is decided on the state, written to SQL (with the bids of other
//! auctions decided meanwhile: `group_commit`), and only then applied and acknowledged,
//! so an acknowledged bid is durable and a failed write changes nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{BidRequest, EngineError, Placed, Snapshot, Then};
use crate::clock::Clock;
use crate::domain::auction::Auction;
use crate::persistence::auctions::{self, AuctionRecord, NewAuctionBid};
use crate::usecases::UseCaseError;

struct Live {
    record: AuctionRecord,
    state: Auction,
    bid_ids: Vec<Uuid>,
    /// Each accepted bid as it was acknowledged (`state` holds them moved forward by any
    /// pause since): a replay answers the same, and views show when each was placed.
    answers: Vec<crate::domain::auction::Accepted>,
    /// (rfc, key) → (request hash, index of the bid).
    idempotency: HashMap<(String, String), (String, usize)>,
}

impl Live {
    fn load(record: AuctionRecord) -> Self {
        let state = record.state();
        let bid_ids = record.bids.iter().map(|b| b.id).collect();
        let answers = record
            .bids
            .iter()
            .filter_map(|b| record.accepted(b))
            .collect();
        let idempotency = record
            .bids
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                Some((
                    (b.rfc.clone(), b.idempotency_key.clone()?),
                    (b.request_sha256.clone().unwrap_or_default(), i),
                ))
            })
            .collect();
        Self {
            record,
            state,
            bid_ids,
            answers,
            idempotency,
        }
    }

    fn placed(&self, index: usize, replayed: bool) -> Option<Placed> {
        Some(Placed {
            bid_id: *self.bid_ids.get(index)?,
            seq: i64::try_from(index + 1).ok()?,
            accepted: self.answers.get(index)?.clone(),
            replayed,
            visibility: self.record.settings.visibility,
        })
    }

    fn snapshot(&self, now: chrono::DateTime<chrono::Utc>) -> Snapshot {
        Snapshot {
            record: self.record.clone(),
            state: self.state.clone(),
            bid_ids: self.bid_ids.clone(),
            placed_at: self.answers.iter().map(|a| a.at).collect(),
            now,
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Live>>>;

pub struct MemoryEngine {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    slots: Mutex<HashMap<Uuid, Slot>>,
    changes: super::Changes,
    /// Bids decided while a commit is in flight go together in the next.
    commits: super::group_commit::GroupCommit,
}

impl MemoryEngine {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            slots: Mutex::new(HashMap::new()),
            changes: super::Changes::default(),
            commits: super::group_commit::GroupCommit::new(db.clone()),
            db,
        }
    }

    fn slot(&self, id: Uuid) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(id).or_default().clone()
    }

    pub fn subscribe(&self, id: Uuid) -> broadcast::Receiver<i64> {
        self.changes.subscribe(id)
    }

    pub fn forget(&self, id: Uuid) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.remove(&id);
    }

    /// Loads the auction into its slot when it is not there yet; an unknown auction leaves
    /// no slot behind.
    async fn ensure_loaded(&self, id: Uuid, live: &mut Option<Live>) -> Result<(), EngineError> {
        if live.is_none() {
            let Some(record) = auctions::get(&self.db, id.into()).await? else {
                self.forget(id);
                return Err(EngineError::NotFound(id));
            };
            *live = Some(Live::load(record));
        }
        Ok(())
    }

    pub async fn place(&self, bid: BidRequest) -> Result<Placed, EngineError> {
        let slot = self.slot(bid.auction_id);
        let mut guard = slot.lock().await;
        self.ensure_loaded(bid.auction_id, &mut guard).await?;
        let Some(live) = guard.as_mut() else {
            return Err(EngineError::NotFound(bid.auction_id));
        };
        if let Some(idem) = &bid.idempotency
            && let Some((hash, index)) = live.idempotency.get(&(bid.rfc.clone(), idem.key.clone()))
        {
            if *hash != idem.request_sha256 {
                return Err(EngineError::IdempotencyConflict);
            }
            return live.placed(*index, true).ok_or_else(|| {
                EngineError::Unexpected(anyhow::anyhow!("a replayed bid is missing"))
            });
        }
        if live.record.is_closed() {
            // Closed in SQL: at its end, or early with its tender's cancellation. An
            // outsider is told it is none first, as the rules say.
            return Err(EngineError::Refused(
                if live.state.participant(&bid.rfc).is_none() {
                    crate::domain::auction::Refusal::NotAParticipant
                } else {
                    crate::domain::auction::Refusal::Closed
                },
            ));
        }
        let now = self.clock.now();
        let accepted = live.state.decide(&bid.rfc, bid.amount, now).map_err(|r| {
            EngineError::Refused(r.as_seen(live.record.settings.visibility.shows_best()))
        })?;
        let index = live.state.bids.len();
        let new = NewAuctionBid {
            id: Uuid::now_v7(),
            auction_id: bid.auction_id,
            seq: i64::try_from(index + 1).unwrap_or(i64::MAX),
            rfc: bid.rfc.clone(),
            accepted: accepted.clone(),
            idempotency_key: bid.idempotency.as_ref().map(|i| i.key.clone()),
            request_sha256: bid.idempotency.as_ref().map(|i| i.request_sha256.clone()),
        };
        // Durable first: the bid (and a moved end) commit together, or nothing does. The
        // live state is out of its slot meanwhile: after any failure, or if this request is
        // dropped while its bid commits, the next use reads it again from SQL (an error can
        // come after a commit: a lost reply).
        let Some(mut live) = guard.take() else {
            return Err(EngineError::NotFound(bid.auction_id));
        };
        self.commits.commit(new.clone()).await?;
        live.answers.push(accepted.clone());
        live.state.apply(accepted);
        live.bid_ids.push(new.id);
        if let Some(idem) = bid.idempotency {
            live.idempotency
                .insert((bid.rfc, idem.key), (idem.request_sha256, index));
        }
        let placed = live.placed(index, false).ok_or_else(|| {
            EngineError::Unexpected(anyhow::anyhow!("an accepted bid is missing"))
        })?;
        *guard = Some(live);
        self.changes.notify(new.auction_id, placed.seq);
        Ok(placed)
    }

    pub async fn snapshot(&self, id: Uuid) -> Result<Snapshot, EngineError> {
        let slot = self.slot(id);
        let mut guard = slot.lock().await;
        self.ensure_loaded(id, &mut guard).await?;
        let now = self.clock.now();
        let Some(live) = guard.as_mut() else {
            return Err(EngineError::NotFound(id));
        };
        if !live.record.is_closed() && live.state.is_closed(now) {
            self.close_locked(id, live).await?;
        }
        let snapshot = live.snapshot(now);
        if snapshot.record.is_closed() {
            self.forget(id);
        }
        Ok(snapshot)
    }

    /// Closes under the auction's lock, so no bid can be accepted between the last check
    /// and the recording of the final prices.
    async fn close_locked(&self, id: Uuid, live: &mut Live) -> Result<(), EngineError> {
        let now = self.clock.now();
        match crate::usecases::auctions::close::run(&self.db, id.into(), now).await {
            Ok(_) => {}
            Err(UseCaseError::Unexpected(e)) => return Err(EngineError::Unexpected(e)),
            Err(other) => return Err(EngineError::Unexpected(anyhow::Error::new(other))),
        }
        if let Some(record) = auctions::get(&self.db, id.into()).await? {
            *live = Live::load(record);
        }
        self.changes
            .notify(id, i64::try_from(live.state.bids.len()).unwrap_or(i64::MAX));
        // A closed auction is read from SQL from now on: free its slot and its channel.
        self.forget(id);
        self.changes.remove(id);
        Ok(())
    }

    /// Holds the auction's lock (no bid is decided meanwhile) while `commit` changes it in
    /// SQL — its close with its tender's cancellation, a pause, a resumption — then reads
    /// it again from SQL on its next use.
    pub async fn hold<T, E: From<EngineError>>(
        &self,
        id: Uuid,
        then: Then,
        commit: impl AsyncFnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let slot = self.slot(id);
        let mut guard = slot.lock().await;
        let outcome = commit().await;
        *guard = None;
        drop(guard);
        if outcome.is_ok() {
            self.forget(id);
            match then {
                Then::Close => {
                    self.changes.notify(id, i64::MAX);
                    self.changes.remove(id);
                }
                // Listeners look again (the auction's status changed, not its bids).
                Then::Reload => {
                    self.changes.notify(id, 0);
                }
            }
        }
        outcome
    }

    pub async fn close_due(&self) -> anyhow::Result<usize> {
        let due = auctions::due(&self.db, self.clock.now()).await?;
        let mut closed = 0;
        for id in due {
            match self.snapshot(id.uuid()).await {
                Ok(s) if s.record.is_closed() => closed += 1,
                Ok(_) => {}
                Err(e) => tracing::warn!(auction_id = %id, error = %e, "closing an auction failed"),
            }
        }
        Ok(closed)
    }
}
