//! The Redis engine: each auction's live state in Redis, every operation one call of one
//! server-side script (`auction.lua`) under the auction's hash tag, deciding by Redis
//! server time. Many service instances share it.
//!
//! Durability: Redis runs with `appendonly yes` and `appendfsync always`, so a script's
//! writes are on disk before its reply, and the script appends each accepted bid to the
//! auction's stream. A persister in every instance reads the streams through one consumer
//! group and writes the bids to SQL by sequence number (a retry is a no-op), acknowledging
//! each only once written; entries left pending by a dead instance are claimed after
//! [`CLAIM_IDLE_MS`]. Closing drains the stream first. When Redis comes back empty, the
//! first operation on an auction finds no state and loads it from SQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamRangeReply, StreamReadReply};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde_json::json;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use super::{BidRequest, EngineError, Placed, Snapshot, Then};
use crate::clock::Clock;
use crate::domain::auction::{Accepted, Decrement, Format, Refusal};
use crate::domain::money::Money;
use crate::persistence::auctions::{self, AuctionRecord, NewAuctionBid};
use crate::persistence::entities::AuctionStatus;
use crate::persistence::entities::auction;
use crate::redis_link::{RedisConnection, RedisLink};

const SCRIPT: &str = include_str!("auction.lua");
const GROUP: &str = "persisters";
/// A pending stream entry idle this long belongs to a dead persister: claim it.
pub const CLAIM_IDLE_MS: u64 = 5_000;
/// How often a persister writes the bids this instance accepted (besides being woken).
const PERSIST_INTERVAL: Duration = Duration::from_millis(250);
/// How often a persister sweeps every open auction's stream: bids accepted by instances
/// that died, and entries they left pending.
const SWEEP_INTERVAL: Duration = Duration::from_secs(2);
/// Entries read per stream per pass.
const BATCH: usize = 500;
/// Bids a persister writes in one transaction (read from as many auctions as it takes).
const WRITE_BATCH: usize = 5_000;

/// What a persister's pass did: entries written and acknowledged, and the auctions to
/// read again soon (more entries waiting, or a failure).
#[derive(Debug, Default)]
struct Persisted {
    written: usize,
    again: Vec<Uuid>,
}

/// One accepted bid as the script writes it: `seq|bid id|amount|at µs|rank|best|ends µs|
/// extended|rfc|idempotency key|request hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    seq: i64,
    bid_id: Uuid,
    amount: i64,
    at_us: i64,
    rank: usize,
    best: i64,
    ends_us: i64,
    extended: bool,
    rfc: String,
    key: String,
    hash: String,
}

impl Answer {
    fn parse(raw: &str) -> anyhow::Result<Self> {
        let mut head = raw.splitn(10, '|');
        let mut next = || head.next().context("a short auction answer");
        let seq = next()?.parse()?;
        let bid_id = next()?.parse()?;
        let amount = next()?.parse()?;
        let at_us = next()?.parse()?;
        let rank = next()?.parse()?;
        let best = next()?.parse()?;
        let ends_us = next()?.parse()?;
        let extended = next()? == "1";
        let rfc = next()?.to_owned();
        // The key may itself hold '|'; the hash (hex) never does.
        let (key, hash) = next()?.rsplit_once('|').context("no request hash")?;
        Ok(Self {
            seq,
            bid_id,
            amount,
            at_us,
            rank,
            best,
            ends_us,
            extended,
            rfc,
            key: key.to_owned(),
            hash: hash.to_owned(),
        })
    }

    fn format(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.seq,
            self.bid_id,
            self.amount,
            self.at_us,
            self.rank,
            self.best,
            self.ends_us,
            if self.extended { "1" } else { "0" },
            self.rfc,
            self.key,
            self.hash
        )
    }

    fn accepted(&self, record: &AuctionRecord) -> anyhow::Result<Accepted> {
        Ok(Accepted {
            participant: record
                .participants
                .iter()
                .position(|p| p.rfc == self.rfc)
                .context("a bid from someone who is not a participant")?,
            amount: Money::from_centavos(self.amount)?,
            at: from_us(self.at_us)?,
            rank: self.rank,
            best: Money::from_centavos(self.best)?,
            ends_at: from_us(self.ends_us)?,
            extended: self.extended,
        })
    }

    fn new_bid(&self, record: &AuctionRecord) -> anyhow::Result<NewAuctionBid> {
        Ok(NewAuctionBid {
            id: self.bid_id,
            auction_id: record.auction.id,
            seq: self.seq,
            rfc: self.rfc.clone(),
            accepted: self.accepted(record)?,
            idempotency_key: (!self.key.is_empty()).then(|| self.key.clone()),
            request_sha256: (!self.hash.is_empty()).then(|| self.hash.clone()),
        })
    }
}

fn from_us(us: i64) -> anyhow::Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).context("a time out of range")
}

fn us(t: DateTime<Utc>) -> String {
    t.timestamp_micros().to_string()
}

pub struct RedisEngine {
    link: RedisLink,
    db: DatabaseConnection,
    /// `None`: Redis server time decides. `Some`: an injected clock (tests, simulations).
    clock: Option<Arc<dyn Clock>>,
    sha: String,
    /// The unchanging part of each auction (settings, participants), read once from SQL;
    /// the whole record once it is closed.
    records: Mutex<HashMap<Uuid, Arc<AuctionRecord>>>,
    changes: super::Changes,
    consumer: String,
    wake: Notify,
    /// Auctions with bids this instance accepted and has not persisted yet.
    dirty: Mutex<std::collections::HashSet<Uuid>>,
    /// Changes heard on the deployment's channel and passed to this instance's streams.
    relayed: std::sync::atomic::AtomicU64,
    /// Whether the relay is subscribed now.
    subscribed: std::sync::atomic::AtomicBool,
}

impl RedisEngine {
    pub fn new(link: RedisLink, db: DatabaseConnection, clock: Option<Arc<dyn Clock>>) -> Self {
        Self {
            link,
            db,
            clock,
            sha: hex::encode(sha1_of(SCRIPT)),
            records: Mutex::new(HashMap::new()),
            changes: super::Changes::default(),
            consumer: format!("licita-{}", Uuid::new_v4().simple()),
            wake: Notify::new(),
            dirty: Mutex::new(std::collections::HashSet::new()),
            relayed: std::sync::atomic::AtomicU64::new(0),
            subscribed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Passes every change the script announces (`auction.lua`, `announce`: a bid or a
    /// close on any instance) to this instance's streams of that auction, as it happens,
    /// instead of when they next look. Reconnects by itself; the streams' own one-second
    /// look covers the gap.
    pub async fn relay_changes(self: Arc<Self>) {
        use futures_util::StreamExt as _;
        let channel = self.link.key("changes");
        loop {
            let subscribed = async {
                let mut pubsub = self.link.pubsub().await?;
                pubsub
                    .subscribe(&channel)
                    .await
                    .context("subscribing to the auctions' changes")?;
                anyhow::Ok(pubsub)
            }
            .await;
            match subscribed {
                Ok(pubsub) => {
                    self.subscribed
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(text) = message.get_payload::<String>() else {
                            continue;
                        };
                        let Some((id, seq)) = text.split_once(' ') else {
                            continue;
                        };
                        let (Ok(id), Ok(seq)) = (id.parse::<Uuid>(), seq.parse::<i64>()) else {
                            continue;
                        };
                        if self.changes.notify(id, seq) {
                            self.relayed
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    self.subscribed
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!("the subscription to the auctions' changes ended; again in 1 s");
                }
                Err(e) => tracing::warn!(
                    error = %format!("{e:#}"),
                    "subscribing to the auctions' changes failed; again in 1 s"
                ),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    pub fn is_relaying(&self) -> bool {
        self.subscribed.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn changes_relayed(&self) -> u64 {
        self.relayed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The auction's keys, in the order the script takes them (`auction.lua`).
    fn keys(&self, id: Uuid) -> [String; 4] {
        let tag = format!("{{{}}}", self.link.key(&format!("a:{id}")));
        ["meta", "idem", "bids", "snap"].map(|k| format!("{tag}:{k}"))
    }

    /// The auction's stream of accepted bids.
    fn stream_key(&self, id: Uuid) -> String {
        let [_, _, bids, _] = self.keys(id);
        bids
    }

    fn now_arg(&self) -> String {
        self.clock
            .as_ref()
            .map(|c| c.now().timestamp_micros().to_string())
            .unwrap_or_default()
    }

    /// Runs the script: EVALSHA, and EVAL on a node that has not cached it yet.
    async fn invoke(&self, id: Uuid, args: &[&str]) -> anyhow::Result<Vec<String>> {
        let keys = self.keys(id);
        let mut conn = self.link.connection();
        let run = |command: &str, body: &str| {
            let mut cmd = redis::cmd(command);
            cmd.arg(body).arg(keys.len()).arg(&keys[..]).arg(args);
            cmd
        };
        match run("EVALSHA", &self.sha)
            .query_async::<Vec<String>>(&mut conn)
            .await
        {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                run("EVAL", SCRIPT)
                    .query_async(&mut conn)
                    .await
                    .context("running the auction script")
            }
            other => other.context("running the auction script"),
        }
    }

    /// The auction's record: cached, or read from SQL.
    async fn record(&self, id: Uuid) -> Result<Arc<AuctionRecord>, EngineError> {
        if let Some(r) = self.cached(id) {
            return Ok(r);
        }
        let record = Arc::new(
            auctions::get(&self.db, id.into())
                .await?
                .ok_or(EngineError::NotFound(id))?,
        );
        // Closed auctions are read from SQL each time: the cache holds only live ones.
        if !record.is_closed() {
            self.cache(record.clone());
        }
        Ok(record)
    }

    fn cached(&self, id: Uuid) -> Option<Arc<AuctionRecord>> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.get(&id).cloned()
    }

    fn cache(&self, record: Arc<AuctionRecord>) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.insert(record.auction.id, record);
    }

    pub fn subscribe(&self, id: Uuid) -> broadcast::Receiver<i64> {
        self.changes.subscribe(id)
    }

    pub fn forget(&self, id: Uuid) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.remove(&id);
    }

    /// Loads the auction's state from SQL into Redis: when Redis has none, or (`over_live`)
    /// over a live state that holds no bid SQL lacks (it was paused or resumed in SQL).
    /// Returns whether it loaded.
    async fn load(&self, id: Uuid, over_live: bool) -> Result<bool, EngineError> {
        let record = auctions::get(&self.db, id.into())
            .await?
            .ok_or(EngineError::NotFound(id))?;
        let state = record.state();
        let rules = &state.rules;
        let mut meta = serde_json::Map::new();
        let mut put = |k: &str, v: String| {
            meta.insert(k.to_owned(), json!(v));
        };
        put("start", us(rules.starts_at));
        put("ends", us(state.ends_at));
        put("extn", state.extensions.to_string());
        put("n", state.participants.len().to_string());
        put("ceil", rules.ceiling.centavos().to_string());
        put("mbb", if rules.must_beat_best { "1" } else { "0" }.into());
        put("seq", record.bids.last().map_or(0, |b| b.seq).to_string());
        put("closed", if record.is_closed() { "1" } else { "0" }.into());
        if let Some(since) = state.paused {
            put("paused", us(since));
        }
        put("pv", record.pause_events().to_string());
        match rules.decrement {
            Decrement::Amount(m) => {
                put("dk", "a".into());
                put("dv", m.centavos().to_string());
            }
            Decrement::Percent(bp) => {
                put("dk", "p".into());
                put("dv", bp.to_string());
            }
        }
        match rules.format {
            Format::Continuous {
                soft_close_s,
                extension_s,
                max_extensions,
                ..
            } => {
                put("fmt", "c".into());
                put("soft", (soft_close_s * 1_000_000).to_string());
                put("ext", (extension_s * 1_000_000).to_string());
                put("maxext", max_extensions.to_string());
            }
            Format::Rounds { rounds, turn_s } => {
                put("fmt", "r".into());
                put("rounds", rounds.to_string());
                put("turn", (turn_s * 1_000_000).to_string());
            }
        }
        let now = self.server_now().await?;
        let snap = state.round_start_prices(now).map(|(round, prices)| {
            json!({
                "round": round.to_string(),
                "prices": prices.iter().map(|p| p.centavos().to_string()).collect::<Vec<_>>(),
            })
        });
        let answers: Vec<Answer> = record
            .bids
            .iter()
            .filter_map(|b| {
                Some(Answer {
                    seq: b.seq,
                    bid_id: b.id,
                    amount: b.amount_centavos,
                    at_us: b.placed_at.timestamp_micros(),
                    rank: usize::try_from(b.rank).ok()?,
                    best: b.best_centavos,
                    ends_us: b.ends_at.timestamp_micros(),
                    extended: false,
                    rfc: b.rfc.clone(),
                    key: b.idempotency_key.clone().unwrap_or_default(),
                    hash: b.request_sha256.clone().unwrap_or_default(),
                })
            })
            .collect();
        let idem: serde_json::Map<String, serde_json::Value> = answers
            .iter()
            .filter(|a| !a.key.is_empty())
            .map(|a| (format!("{}\n{}", a.rfc, a.key), json!(a.seq.to_string())))
            .collect();
        let payload = json!({
            "meta": meta,
            "prices": state.prices().iter().map(|p| p.centavos().to_string()).collect::<Vec<_>>(),
            "ats": state.priced_at().iter().map(|t| us(*t)).collect::<Vec<_>>(),
            "rfcs": state.participants,
            "idem": idem,
            "snap": snap,
            "bids": answers.iter().map(Answer::format).collect::<Vec<_>>(),
        });
        let op = if over_live { "reload" } else { "init" };
        let reply = self.invoke(id, &[op, "", &payload.to_string()]).await?;
        let loaded = reply.first().map(String::as_str) == Some("ok");
        if loaded {
            tracing::info!(auction_id = %id, bids = record.bids.len(), op, "auction state loaded into Redis");
        }
        Ok(loaded)
    }

    /// Whether Redis held the auction with other pauses than SQL's (`pv`, its count of
    /// pauses and resumptions): a pause or a resumption committed whose reload did not
    /// reach Redis. It is loaded again then, unless it took bids SQL lacks.
    async fn stale(&self, id: Uuid, pv: &str) -> Result<bool, EngineError> {
        let in_sql = auctions::pause_events(&self.db, id.into()).await?;
        if pv == in_sql.to_string() {
            return Ok(false);
        }
        tracing::warn!(auction_id = %id, redis = pv, sql = in_sql, "Redis held an auction's pauses stale: reloading it");
        self.forget(id);
        self.load(id, true).await
    }

    /// Runs an operation, loading the state from SQL first when Redis has none.
    async fn run(&self, id: Uuid, args: &[&str]) -> Result<Vec<String>, EngineError> {
        let first = self.invoke(id, args).await?;
        if first.first().map(String::as_str) != Some("load") {
            return Ok(first);
        }
        self.load(id, false).await?;
        Ok(self.invoke(id, args).await?)
    }

    pub async fn place(&self, bid: BidRequest) -> Result<Placed, EngineError> {
        let record = self.record(bid.auction_id).await?;
        if record.is_closed() {
            // Replays of earlier answers still work after the close (from SQL).
            if let Some(idem) = &bid.idempotency
                && let Some(b) = record.bids.iter().find(|b| {
                    b.rfc == bid.rfc && b.idempotency_key.as_deref() == Some(idem.key.as_str())
                })
            {
                if b.request_sha256.as_deref() != Some(idem.request_sha256.as_str()) {
                    return Err(EngineError::IdempotencyConflict);
                }
                return Ok(Placed {
                    bid_id: b.id,
                    seq: b.seq,
                    accepted: record
                        .accepted(b)
                        .context("a stored bid from someone who is not a participant")?,
                    replayed: true,
                    visibility: record.settings.visibility,
                });
            }
            // An outsider is told it is none first, as the rules say.
            return Err(EngineError::Refused(
                if record.participants.iter().any(|p| p.rfc == bid.rfc) {
                    Refusal::Closed
                } else {
                    Refusal::NotAParticipant
                },
            ));
        }
        let bid_id = Uuid::now_v7();
        let (key, hash) = bid
            .idempotency
            .as_ref()
            .map_or((String::new(), String::new()), |i| {
                (i.key.clone(), i.request_sha256.clone())
            });
        let now = self.now_arg();
        let amount = bid.amount.centavos().to_string();
        let bid_id_text = bid_id.to_string();
        let args = ["place", &now, &bid.rfc, &amount, &bid_id_text, &key, &hash];
        let mut reply = self.run(bid.auction_id, &args).await?;
        if let ["no", "halted" | "tender_suspended", pv] =
            reply.iter().map(String::as_str).collect::<Vec<_>>()[..]
            && self.stale(bid.auction_id, pv).await?
        {
            reply = self.run(bid.auction_id, &args).await?;
        }
        let field = |i: usize| reply.get(i).map(String::as_str).unwrap_or_default();
        let (answer, replayed) = match field(0) {
            "ok" => (Answer::parse(field(1))?, false),
            "replay" => (Answer::parse(field(1))?, true),
            "no" => {
                let detail: i64 = field(2).parse().unwrap_or(0);
                return Err(match field(1) {
                    "idempotency_conflict" => EngineError::IdempotencyConflict,
                    "not_a_participant" => EngineError::Refused(Refusal::NotAParticipant),
                    "auction_not_open" => EngineError::Refused(Refusal::NotOpen),
                    "auction_closed" => EngineError::Refused(Refusal::Closed),
                    "halted" | "tender_suspended" => EngineError::Refused(Refusal::Suspended),
                    "not_your_turn" => EngineError::Refused(Refusal::NotYourTurn),
                    "above_ceiling" => {
                        EngineError::Refused(Refusal::AboveCeiling { ceiling: detail })
                    }
                    "decrement_too_small" => {
                        EngineError::Refused(Refusal::DecrementTooSmall { limit: detail })
                    }
                    "must_beat_best" => EngineError::Refused(
                        Refusal::MustBeatBest { best: Some(detail) }
                            .as_seen(record.settings.visibility.shows_best()),
                    ),
                    other => EngineError::Unexpected(anyhow::anyhow!(
                        "the auction script refused with {other:?}"
                    )),
                });
            }
            other => {
                return Err(EngineError::Unexpected(anyhow::anyhow!(
                    "the auction script answered {other:?}"
                )));
            }
        };
        if !replayed {
            self.dirty
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(bid.auction_id);
            self.wake.notify_one();
            self.changes.notify(bid.auction_id, answer.seq);
        }
        Ok(Placed {
            bid_id: answer.bid_id,
            seq: answer.seq,
            accepted: answer.accepted(&record)?,
            replayed,
            visibility: record.settings.visibility,
        })
    }

    /// Every accepted bid in the auction's stream, in order.
    async fn stream(&self, id: Uuid) -> anyhow::Result<Vec<Answer>> {
        let mut conn = self.link.connection();
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.stream_key(id))
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .context("reading an auction's stream")?;
        reply.ids.iter().map(entry_answer).collect()
    }

    pub async fn snapshot(&self, id: Uuid) -> Result<Snapshot, EngineError> {
        let mut record = self.record(id).await?;
        if record.is_closed() {
            return sql_snapshot(record, self.now_or_wall());
        }
        let now_arg = self.now_arg();
        let mut reply = self.run(id, &["now", &now_arg]).await?;
        // Paused or resumed (through this instance or another) since Redis or this
        // instance's record last read SQL: both are read again.
        if reply.get(5).map(String::as_str) != Some(&record.pause_events().to_string()) {
            self.forget(id);
            record = self.record(id).await?;
            let pv = reply.get(5).cloned().unwrap_or_default();
            if self.stale(id, &pv).await? {
                reply = self.run(id, &["now", &now_arg]).await?;
            }
        }
        let field = |i: usize| reply.get(i).map(String::as_str).unwrap_or_default();
        let now_us: i64 = field(1).parse().unwrap_or(0);
        let now = from_us(now_us)?;
        let closed = field(2) == "1";
        let ends_us: i64 = field(3).parse().unwrap_or(i64::MAX);
        let paused = field(4) == "1";
        if closed || (now_us >= ends_us && !paused) {
            return self.close(id, now).await;
        }
        let answers = self.stream(id).await?;
        let bid_ids = answers.iter().map(|a| a.bid_id).collect();
        let accepted = answers
            .iter()
            .map(|a| a.accepted(&record))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let placed_at = accepted.iter().map(|a| a.at).collect();
        let state = record.replay(accepted);
        Ok(Snapshot {
            record: (*record).clone(),
            state,
            bid_ids,
            placed_at,
            now,
        })
    }

    /// The time the script decides by: the injected clock, or Redis server time.
    async fn server_now(&self) -> anyhow::Result<DateTime<Utc>> {
        if let Some(clock) = &self.clock {
            return Ok(clock.now());
        }
        let mut conn = self.link.connection();
        let (secs, micros): (i64, i64) = redis::cmd("TIME")
            .query_async(&mut conn)
            .await
            .context("reading Redis server time")?;
        from_us(secs * 1_000_000 + micros)
    }

    fn now_or_wall(&self) -> DateTime<Utc> {
        self.clock.as_ref().map_or_else(Utc::now, |c| c.now())
    }

    /// Marks the auction closed in Redis (no bid passes after), writes every accepted bid
    /// to SQL, then records the close there.
    async fn close(&self, id: Uuid, now: DateTime<Utc>) -> Result<Snapshot, EngineError> {
        let now_arg = self.now_arg();
        let reply = self.run(id, &["close", &now_arg]).await?;
        if reply.first().map(String::as_str) == Some("closed") {
            self.drain(id).await?;
            match crate::usecases::auctions::close::run(&self.db, id.into(), now).await {
                Ok(_) => {}
                Err(crate::usecases::UseCaseError::Unexpected(e)) => {
                    return Err(EngineError::Unexpected(e));
                }
                Err(other) => return Err(EngineError::Unexpected(anyhow::Error::new(other))),
            }
            self.changes.notify(id, i64::MAX);
        }
        let record = Arc::new(
            auctions::get(&self.db, id.into())
                .await?
                .ok_or(EngineError::NotFound(id))?,
        );
        if record.is_closed() {
            self.forget(id);
            self.changes.remove(id);
        }
        sql_snapshot(record, now)
    }

    /// Holds `id` while `commit` changes it in SQL: halts it in Redis (no bid passes
    /// after), writes every accepted bid to SQL, runs `commit`, then marks it closed in
    /// Redis (a cancellation) or drops its live state there to be loaded again from SQL (a
    /// pause, a resumption). When `commit` fails the auction takes bids again.
    pub async fn hold<T, E: From<EngineError>>(
        &self,
        id: Uuid,
        then: Then,
        commit: impl AsyncFnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let now_arg = self.now_arg();
        let reason = match then {
            Then::Close => "c",
            Then::Reload => "p",
        };
        self.run(id, &["halt", &now_arg, reason]).await?;
        let outcome = match self.drain(id).await {
            Ok(()) => commit().await,
            Err(e) => Err(E::from(e)),
        };
        match outcome {
            Ok(value) => {
                match then {
                    Then::Close => {
                        if let Err(e) = self.run(id, &["close", &now_arg, "force"]).await {
                            // Halted stays halted; SQL says closed, and Redis's keys expire.
                            tracing::warn!(auction_id = %id, error = %e, "marking a cancelled auction closed in Redis");
                        }
                        self.forget(id);
                        self.changes.notify(id, i64::MAX);
                        self.changes.remove(id);
                    }
                    Then::Reload => {
                        // Every bid is in SQL (drained above, and none passed since). If
                        // this fails, the next bid or look finds Redis stale and reloads.
                        self.forget(id);
                        match self.load(id, true).await {
                            Ok(true) => {}
                            Ok(false) => {
                                tracing::warn!(auction_id = %id, "an auction paused or resumed in SQL was reloaded in Redis meanwhile")
                            }
                            Err(e) => {
                                tracing::error!(auction_id = %id, error = %e, "an auction paused or resumed in SQL keeps its old state in Redis for now")
                            }
                        }
                        self.changes.notify(id, 0);
                    }
                }
                Ok(value)
            }
            Err(e) => {
                if let Err(resume) = self.run(id, &["resume", &now_arg]).await {
                    tracing::error!(auction_id = %id, error = %resume, "an auction halted for a change that failed could not resume");
                }
                Err(e)
            }
        }
    }

    /// Writes every entry of the auction's stream to SQL and acknowledges it.
    async fn drain(&self, id: Uuid) -> Result<(), EngineError> {
        let record = self.record(id).await?;
        let answers = self.stream(id).await?;
        let batch = answers
            .iter()
            .map(|a| a.new_bid(&record))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let ids: Vec<String> = answers.iter().map(|a| format!("{}-1", a.seq)).collect();
        self.write_and_ack(vec![(id, ids, batch)]).await?;
        Ok(())
    }

    pub async fn close_due(&self) -> anyhow::Result<usize> {
        let due = auctions::due(&self.db, self.now_or_wall()).await?;
        let mut closed = 0;
        for id in due {
            let id = id.uuid();
            match self.snapshot(id).await {
                Ok(s) if s.record.is_closed() => closed += 1,
                Ok(_) => {}
                Err(e) => tracing::warn!(auction_id = %id, error = %e, "closing an auction failed"),
            }
        }
        Ok(closed)
    }

    /// The persister: writes accepted bids from every open auction's stream to SQL until
    /// the process ends. Every instance runs one; the consumer group shares the work.
    pub async fn persist_forever(self: Arc<Self>) {
        let mut last_sweep = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(PERSIST_INTERVAL) => {}
            }
            // The auctions this instance took bids for, at once; every open one now and then.
            let dirty: Vec<Uuid> =
                std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|p| p.into_inner()))
                    .into_iter()
                    .collect();
            let again = self.persist(dirty, false).await.again;
            if !again.is_empty() {
                self.dirty
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(again);
            }
            if last_sweep.elapsed() >= SWEEP_INTERVAL {
                last_sweep = tokio::time::Instant::now();
                if let Err(e) = self.persist_pass().await {
                    tracing::warn!(error = %format!("{e:#}"), "the auction persister failed; retrying");
                }
            }
        }
    }

    /// One pass over the open auctions; returns how many stream entries it persisted.
    pub async fn persist_pass(&self) -> anyhow::Result<usize> {
        let open: Vec<Uuid> = auction::Entity::find()
            .select_only()
            .column(auction::Column::Id)
            .filter(auction::Column::Status.eq(AuctionStatus::Scheduled))
            .into_tuple()
            .all(&self.db)
            .await
            .context("listing open auctions")?;
        Ok(self.persist(open, true).await.written)
    }

    /// Persists the new entries of these auctions' streams (and, with `claim`, those a
    /// dead persister left pending): reads each stream, writes the bids of many auctions
    /// in one transaction (one commit, not one per auction), then acknowledges them. One
    /// auction's trouble never holds back the others; a failed write leaves its entries
    /// pending, for the sweep to claim again.
    async fn persist(&self, ids: Vec<Uuid>, claim: bool) -> Persisted {
        let mut done = Persisted::default();
        let mut batch: Vec<(Uuid, Vec<String>, Vec<NewAuctionBid>)> = Vec::new();
        let mut rows = 0;
        for id in ids {
            match self.read_entries(id, claim).await {
                Ok((entry_ids, bids)) if !entry_ids.is_empty() => {
                    if entry_ids.len() >= BATCH {
                        done.again.push(id);
                    }
                    rows += bids.len();
                    batch.push((id, entry_ids, bids));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(auction_id = %id, error = %format!("{e:#}"), "reading an auction's bids failed; retrying");
                    done.again.push(id);
                }
            }
            if rows >= WRITE_BATCH {
                self.write_batch(std::mem::take(&mut batch), &mut done)
                    .await;
                rows = 0;
            }
        }
        self.write_batch(batch, &mut done).await;
        done
    }

    /// [`Self::write_and_ack`] for a persister's pass: a failed write is logged and its
    /// auctions read again (their entries stay pending, for the sweep to claim).
    async fn write_batch(
        &self,
        batch: Vec<(Uuid, Vec<String>, Vec<NewAuctionBid>)>,
        done: &mut Persisted,
    ) {
        let ids: Vec<Uuid> = batch.iter().map(|(id, _, _)| *id).collect();
        match self.write_and_ack(batch).await {
            Ok(written) => done.written += written,
            Err(e) => {
                tracing::warn!(auctions = ids.len(), error = %format!("{e:#}"), "writing auction bids to SQL failed; the sweep claims them again");
                done.again.extend(ids);
            }
        }
    }

    /// Reads an auction's new stream entries (and, with `claim`, entries idle for
    /// [`CLAIM_IDLE_MS`] in any persister's hands): their ids and the bids they carry.
    async fn read_entries(
        &self,
        id: Uuid,
        claim: bool,
    ) -> anyhow::Result<(Vec<String>, Vec<NewAuctionBid>)> {
        let stream = self.stream_key(id);
        let mut conn = self.link.connection();
        let claimed: Option<redis::RedisResult<StreamAutoClaimReply>> = if claim {
            Some(
                redis::cmd("XAUTOCLAIM")
                    .arg(&stream)
                    .arg(GROUP)
                    .arg(&self.consumer)
                    .arg(CLAIM_IDLE_MS)
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(BATCH)
                    .query_async(&mut conn)
                    .await,
            )
        } else {
            None
        };
        let fresh: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(BATCH)
            .arg("STREAMS")
            .arg(&stream)
            .arg(">")
            .query_async(&mut conn)
            .await;
        let mut entries: Vec<StreamId> = Vec::new();
        // NOGROUP: the auction is not in Redis (yet, or any more); nothing to persist.
        if let Some(Ok(reply)) = claimed {
            entries.extend(reply.claimed);
        }
        if let Ok(Some(reply)) = fresh {
            entries.extend(reply.keys.into_iter().flat_map(|k| k.ids));
        }
        if entries.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let record = self.record(id).await.map_err(anyhow::Error::new)?;
        let bids = entries
            .iter()
            .map(|entry| entry_answer(entry)?.new_bid(&record))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((entries.into_iter().map(|e| e.id).collect(), bids))
    }

    /// Writes the bids read from one or several auctions in one transaction, then
    /// acknowledges each auction's stream entries; returns how many entries it wrote.
    /// An acknowledgement that fails is only logged: the entries are in SQL, and writing
    /// them again later is a no-op.
    async fn write_and_ack(
        &self,
        mut batch: Vec<(Uuid, Vec<String>, Vec<NewAuctionBid>)>,
    ) -> anyhow::Result<usize> {
        if batch.is_empty() {
            return Ok(0);
        }
        let bids: Vec<NewAuctionBid> = batch
            .iter_mut()
            .flat_map(|(_, _, b)| std::mem::take(b))
            .collect();
        let txn = self.db.begin().await?;
        auctions::insert_bids(&txn, &bids).await?;
        txn.commit().await?;
        let mut conn = self.link.connection();
        let mut written = 0;
        for (id, entry_ids, _) in batch {
            if entry_ids.is_empty() {
                continue;
            }
            written += entry_ids.len();
            let acked: redis::RedisResult<i64> = redis::cmd("XACK")
                .arg(self.stream_key(id))
                .arg(GROUP)
                .arg(&entry_ids)
                .query_async(&mut conn)
                .await;
            if let Err(e) = acked {
                tracing::warn!(auction_id = %id, error = %e, "acknowledging persisted bids failed");
            }
        }
        Ok(written)
    }

    /// Drops an auction's live state from Redis, as a Redis restarted empty would; the next
    /// operation reloads it from SQL. Only bids already persisted survive it.
    pub async fn evict(&self, id: Uuid) -> anyhow::Result<()> {
        let mut conn: RedisConnection = self.link.connection();
        let _: i64 = redis::cmd("DEL")
            .arg(&self.keys(id)[..])
            .query_async(&mut conn)
            .await
            .context("dropping an auction's live state")?;
        self.forget(id);
        Ok(())
    }
}

fn entry_answer(entry: &StreamId) -> anyhow::Result<Answer> {
    let raw: String = entry.get("bid").context("a stream entry without its bid")?;
    Answer::parse(&raw)
}

fn sql_snapshot(record: Arc<AuctionRecord>, now: DateTime<Utc>) -> Result<Snapshot, EngineError> {
    Ok(Snapshot {
        state: record.state(),
        bid_ids: record.bids.iter().map(|b| b.id).collect(),
        placed_at: record.bids.iter().map(|b| b.placed_at).collect(),
        record: (*record).clone(),
        now,
    })
}

/// SHA-1 of the script, as EVALSHA names it.
fn sha1_of(text: &str) -> [u8; 20] {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(text.as_bytes());
    hasher.digest().bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn answers_round_trip_even_with_a_bar_in_the_key() {
        let answer = Answer {
            seq: 7,
            bid_id: Uuid::from_bytes([1; 16]),
            amount: 123_456,
            at_us: 1_800_000_000_123_456,
            rank: 2,
            best: 100_000,
            ends_us: 1_800_000_600_000_000,
            extended: true,
            rfc: "ACM010101AB1".into(),
            key: "a|b".into(),
            hash: hex::encode(Sha256::digest(b"x")),
        };
        assert_eq!(Answer::parse(&answer.format()).unwrap(), answer);
    }
}
