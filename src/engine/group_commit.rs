//! Group commit for the in-process engine: the bids decided while a commit is in flight
//! wait in a queue, and the next commit writes them all in one transaction (one fsync for
//! the lot on SQLite). Each bid's caller is answered only once its own bid is durable, or
//! refused (its auction closed meanwhile), or failed. A batch that fails is written again
//! bid by bid, so that one bad bid never fails the others.

use std::sync::Mutex;

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::EngineError;
use crate::domain::auction::Refusal;
use crate::persistence::auctions::{self, NewAuctionBid};

/// The most bids one transaction writes.
const MAX_BATCH: usize = 512;

struct Commit {
    bid: NewAuctionBid,
    done: oneshot::Sender<Result<(), EngineError>>,
}

/// The queue of bids waiting to be committed, and its task: started on first use, on the
/// runtime of the worker that used it, and again should that runtime end.
pub struct GroupCommit {
    db: DatabaseConnection,
    queue: Mutex<Option<mpsc::Sender<Commit>>>,
}

impl GroupCommit {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            queue: Mutex::new(None),
        }
    }

    /// Writes `bid` durably, with whatever other bids are waiting: `Ok` once it is
    /// committed.
    pub async fn commit(&self, bid: NewAuctionBid) -> Result<(), EngineError> {
        let queue = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            match queue.as_ref() {
                Some(q) if !q.is_closed() => q.clone(),
                _ => {
                    if queue.is_some() {
                        tracing::warn!("the group commit's task ended; starting it again");
                    }
                    let (q, waiting) = mpsc::channel(4 * MAX_BATCH);
                    tokio::spawn(commit_batches(self.db.clone(), waiting));
                    *queue = Some(q.clone());
                    q
                }
            }
        };
        let (done, outcome) = oneshot::channel();
        match queue.send(Commit { bid, done }).await {
            Ok(()) => outcome.await.unwrap_or_else(|_| {
                Err(EngineError::Unexpected(anyhow::anyhow!(
                    "the group commit ended before answering"
                )))
            }),
            // The task is gone (its runtime ended): this bid alone.
            Err(mpsc::error::SendError(Commit { bid, .. })) => write_one(&self.db, &bid).await,
        }
    }
}

async fn commit_batches(db: DatabaseConnection, mut waiting: mpsc::Receiver<Commit>) {
    let mut batch: Vec<Commit> = Vec::with_capacity(MAX_BATCH);
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match write_batch(&db, &batch).await {
            Ok(outcomes) => {
                for (commit, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = commit.done.send(outcome);
                }
            }
            // The database unreachable or its pool exhausted: every bid of the batch is
            // told so at once (a 503: retry with the same key), rather than each waiting
            // for its own connection to time out in turn.
            Err(e) if crate::persistence::is_unreachable(&e) => {
                tracing::warn!(error = %format!("{e:#}"), bids = batch.len(), "the database did not take a group commit");
                for commit in batch.drain(..) {
                    let _ = commit.done.send(Err(EngineError::Unexpected(
                        anyhow::Error::new(sea_orm::DbErr::ConnectionAcquire(
                            sea_orm::error::ConnAcquireErr::Timeout,
                        ))
                        .context(format!("{e:#}")),
                    )));
                }
            }
            Err(e) => {
                if batch.len() > 1 {
                    tracing::warn!(
                        error = %format!("{e:#}"),
                        bids = batch.len(),
                        "a group commit failed; writing its bids one by one"
                    );
                }
                // Each again on its own: the error may even have followed a commit (a
                // lost reply), which a bid's own write then tells (it finds its row).
                for commit in batch.drain(..) {
                    let outcome = write_one(&db, &commit.bid).await;
                    let _ = commit.done.send(outcome);
                }
            }
        }
    }
}

/// One transaction for the whole batch: the auctions still open are locked, their bids
/// written; a bid of an auction that closed meanwhile is refused. `Err` when the
/// transaction failed, or wrote fewer rows than it should (a stale state): nothing of it
/// is committed then.
async fn write_batch(
    db: &DatabaseConnection,
    batch: &[Commit],
) -> anyhow::Result<Vec<Result<(), EngineError>>> {
    use anyhow::Context as _;
    let txn = db.begin().await.context("starting a transaction")?;
    let mut ids: Vec<uuid::Uuid> = batch.iter().map(|c| c.bid.auction_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let open = auctions::lock_open_among(&txn, &ids).await?;
    let writable: Vec<NewAuctionBid> = batch
        .iter()
        .filter(|c| open.contains(&c.bid.auction_id))
        .map(|c| c.bid.clone())
        .collect();
    let written = auctions::insert_bids(&txn, &writable).await?;
    anyhow::ensure!(
        usize::try_from(written).ok() == Some(writable.len()),
        "{written} of {} bids written: a state was stale",
        writable.len()
    );
    txn.commit().await.context("committing the bids")?;
    Ok(batch
        .iter()
        .map(|c| {
            if open.contains(&c.bid.auction_id) {
                Ok(())
            } else {
                Err(EngineError::Refused(Refusal::Closed))
            }
        })
        .collect())
}

/// One bid in its own transaction.
pub async fn write_one(db: &DatabaseConnection, new: &NewAuctionBid) -> Result<(), EngineError> {
    let txn = db.begin().await.map_err(|e| {
        EngineError::Unexpected(anyhow::Error::new(e).context("starting a transaction"))
    })?;
    if !auctions::lock_if_open(&txn, new.auction_id.into()).await? {
        return Err(EngineError::Refused(Refusal::Closed));
    }
    if !auctions::insert_bid(&txn, new).await? {
        // This very bid, committed by an earlier attempt whose answer was lost: durable.
        if auctions::has_bid(&txn, new.id).await? {
            return Ok(());
        }
        return Err(EngineError::Unexpected(anyhow::anyhow!(
            "auction bid {} of {} is in SQL already: the state was stale",
            new.seq,
            new.auction_id
        )));
    }
    txn.commit()
        .await
        .map_err(|e| EngineError::Unexpected(anyhow::Error::new(e).context("committing a bid")))?;
    Ok(())
}
