//! The script scenario: the Redis engine's Lua script (`src/engine/auction.lua`) alone,
//! called on Redis the way the service calls it for each bid — `EVALSHA` of `place` on
//! the auction's four keys, with a bid id, an idempotency key and a request hash — but
//! without HTTP, JSON, JWT or the service in between. Every bid is valid (each
//! connection owns its (auction, participant) pairs and lowers its own price by one
//! centavo), so each call takes the accepting path: the reads, the writes, the stream
//! append and, with `appendfsync always`, the fsync before the reply.
//!
//! It is the ceiling the Redis engine could reach on this Redis; `redis-benchmark` on one
//! auction measures mostly the refusing path (no writes, no fsync) instead.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::json;

use crate::resp::{Connection, Reply};
use crate::stats::Tally;
use crate::{bounded, require_loopback};

/// The most auctions one run loads.
const MAX_AUCTIONS: usize = 100_000;
const MAX_PARTICIPANTS: usize = 50;
const FIRST_PRICE: i64 = 90_000_000;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Redis, `host:port` (loopback only).
    #[arg(long, default_value = "127.0.0.1:6379")]
    pub redis: String,
    /// The engine's script.
    #[arg(long, default_value = "src/engine/auction.lua")]
    pub script: std::path::PathBuf,
    /// Key prefix of the auctions loaded (their keys are deleted first).
    #[arg(long, default_value = "licita-load-script")]
    pub prefix: String,
    #[arg(long, default_value_t = 1000)]
    pub auctions: usize,
    #[arg(long, default_value_t = 2)]
    pub participants: usize,
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    #[arg(long, default_value_t = 10)]
    pub duration_s: u64,
    #[arg(long, default_value_t = 1)]
    pub warmup_s: u64,
}

/// What each auction's keys are, as the service names them.
fn keys(prefix: &str, auction: usize) -> Vec<String> {
    let tag = format!("{{{prefix}:a:{auction}}}");
    ["meta", "idem", "bids", "snap"]
        .iter()
        .map(|k| format!("{tag}:{k}"))
        .collect()
}

fn participant(j: usize) -> String {
    crate::auction::rfc_number(j)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    require_loopback(&format!("redis://{}", args.redis))?;
    bounded(args.connections, args.duration_s)?;
    anyhow::ensure!(
        (1..=MAX_AUCTIONS).contains(&args.auctions),
        "--auctions must be 1..={MAX_AUCTIONS}"
    );
    anyhow::ensure!(
        (1..=MAX_PARTICIPANTS).contains(&args.participants),
        "--participants must be 1..={MAX_PARTICIPANTS}"
    );
    let text = std::fs::read_to_string(&args.script)
        .with_context(|| format!("reading {}", args.script.display()))?;
    let mut conn = Connection::open(&args.redis).await?;
    let sha = match conn.call(&["SCRIPT", "LOAD", &text]).await? {
        Reply::Bulk(Some(sha)) => String::from_utf8(sha)?,
        other => bail!("SCRIPT LOAD answered {other:?}"),
    };

    // Load the auctions as the engine's `init` does: open for an hour, a one-centavo
    // decrement, each participant at its sealed price.
    let began = Instant::now();
    let now_us = Utc::now().timestamp_micros();
    let n = args.participants;
    let rfcs: Vec<String> = (0..n).map(participant).collect();
    let payload = json!({
        "meta": {
            "fmt": "c", "start": (now_us - 1_000_000).to_string(),
            "ends": (now_us + 3_600_000_000).to_string(), "soft": "60000000", "ext": "60000000",
            "maxext": "10", "extn": "0", "dk": "a", "dv": "1", "mbb": "0",
            "ceil": "100000000", "n": n.to_string(), "seq": "0", "closed": "0",
        },
        "prices": (0..n).map(|j| (FIRST_PRICE + 100_000 * j as i64).to_string()).collect::<Vec<_>>(),
        "ats": vec![(now_us - 2_000_000).to_string(); n],
        "rfcs": rfcs,
        "idem": {},
        "snap": null,
        "bids": [],
    })
    .to_string();
    for a in 0..args.auctions {
        let keys = keys(&args.prefix, a);
        let mut del = vec!["DEL".to_owned()];
        del.extend(keys.iter().cloned());
        conn.call(&del).await?;
        let mut init = vec!["EVALSHA".to_owned(), sha.clone(), keys.len().to_string()];
        init.extend(keys);
        init.extend(["init".into(), String::new(), payload.clone()]);
        match conn.call(&init).await? {
            Reply::Array(items) if items.first().and_then(Reply::text).as_deref() == Some("ok") => {
            }
            other => bail!("loading auction {a} answered {other:?}"),
        }
    }
    println!(
        "setup          {} auctions × {n} participants loaded in {:.1} s",
        args.auctions,
        began.elapsed().as_secs_f64()
    );

    // Pair k = (auction k / n, participant k mod n) belongs to connection k mod C.
    let pairs = args.auctions * n;
    let connections = args.connections.min(pairs);
    let mut owned: Vec<Vec<(usize, usize, i64)>> = vec![Vec::new(); connections];
    for k in 0..pairs {
        let (a, j) = (k / n, k % n);
        owned[k % connections].push((a, j, FIRST_PRICE + 100_000 * j as i64));
    }
    let warmup_end = Instant::now() + Duration::from_secs(args.warmup_s);
    let end = warmup_end + Duration::from_secs(args.duration_s);
    let mut tasks = Vec::new();
    for (c, pairs) in owned.into_iter().enumerate() {
        let conn = Connection::open(&args.redis).await?;
        tasks.push(tokio::spawn(drive(
            conn,
            sha.clone(),
            args.prefix.clone(),
            pairs,
            c,
            warmup_end,
            end,
        )));
    }
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await??);
    }
    let seconds = args.duration_s as f64;
    let accepted = total.codes.get("ok").copied().unwrap_or(0);
    let summary = total.summary(seconds);
    println!("target         EVALSHA {sha} (place) on {}", args.redis);
    println!("connections    {connections}");
    println!(
        "duration       {seconds:.0} s (after {} s warm-up)",
        args.warmup_s
    );
    println!(
        "calls          {} ({:.0}/s); accepted {accepted} ({:.0}/s)",
        summary.responses,
        summary.per_s,
        accepted as f64 / seconds
    );
    println!("answers        {:?}", total.codes);
    println!("{}", summary.latency_line());
    println!(
        "summary {}",
        json!({
            "auctions": args.auctions, "participants": n, "connections": connections,
            "duration_s": args.duration_s, "calls": summary.responses,
            "accepted": accepted, "calls_per_s": summary.per_s,
            "bids_per_s": accepted as f64 / seconds, "answers": total.codes,
            "p50_ms": summary.p50_ms, "p90_ms": summary.p90_ms, "p99_ms": summary.p99_ms,
            "max_ms": summary.max_ms,
        })
    );
    Ok(())
}

async fn drive(
    mut conn: Connection,
    sha: String,
    prefix: String,
    mut pairs: Vec<(usize, usize, i64)>,
    c: usize,
    warmup_end: Instant,
    end: Instant,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut sent = 0u64;
    let rfcs: Vec<String> = (0..=pairs.iter().map(|p| p.1).max().unwrap_or(0))
        .map(participant)
        .collect();
    while Instant::now() < end && !pairs.is_empty() {
        let index = (sent % pairs.len() as u64) as usize;
        sent += 1;
        let (a, j, price) = pairs[index];
        let amount = price - 1;
        // As the service sends them: a UUID-shaped bid id, the Idempotency-Key, and the
        // SHA-256 (hex) of the request.
        let bid_id = format!("00000000-0000-7000-8000-{:04x}{sent:08x}", c);
        let key = format!("script-{c}-{sent}");
        let hash = format!("{:064x}", u128::from(sent as u32) << 64 | c as u128);
        let keys = keys(&prefix, a);
        let mut args = vec!["EVALSHA".to_owned(), sha.clone(), keys.len().to_string()];
        args.extend(keys);
        args.extend([
            "place".to_owned(),
            String::new(),
            rfcs[j].clone(),
            amount.to_string(),
            bid_id,
            key,
            hash,
        ]);
        let started = Instant::now();
        let reply = conn.call(&args).await?;
        let answer = match &reply {
            Reply::Array(items) => match items.first().and_then(Reply::text).as_deref() {
                Some("ok") => {
                    pairs[index].2 = amount;
                    "ok".to_owned()
                }
                Some("no") => items.get(1).and_then(Reply::text).unwrap_or_default(),
                Some(other) => other.to_owned(),
                None => "empty".to_owned(),
            },
            Reply::Error(e) => bail!("the script failed: {e}"),
            other => bail!("the script answered {other:?}"),
        };
        if started >= warmup_end {
            *tally.codes.entry(answer).or_default() += 1;
            tally.record(0, started);
        }
    }
    Ok(tally)
}
