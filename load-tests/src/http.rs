//! The plain scenario: one URL (a GET, or a POST of a fixed JSON body), hit back to back
//! by N connections for a fixed time.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::stats::Tally;
use crate::{bounded, require_loopback};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The URL to hit (e.g. http://127.0.0.1:8080/healthz).
    #[arg(long)]
    pub url: Option<String>,
    /// Concurrent connections, each sending one request at a time.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    pub duration_s: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 1)]
    pub warmup_s: u64,
    /// Stop after this many requests in total (0: no limit).
    #[arg(long, default_value_t = 0)]
    pub max_requests: u64,
    /// A bearer token to send.
    #[arg(long)]
    pub token: Option<String>,
    /// A JSON body: the request becomes a POST.
    #[arg(long)]
    pub json: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let url = args
        .url
        .clone()
        .context("give --url, or a scenario: `licita-load auction --help`")?;
    require_loopback(&url)?;
    bounded(args.connections, args.duration_s)?;
    let body: Option<serde_json::Value> = args
        .json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .context("--json is not valid JSON")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(10))
        .build()?;

    let warmup_end = Instant::now() + Duration::from_secs(args.warmup_s);
    let end = warmup_end + Duration::from_secs(args.duration_s);
    let per_task_cap = if args.max_requests == 0 {
        u64::MAX
    } else {
        args.max_requests.div_ceil(args.connections as u64)
    };
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let client = client.clone();
        let url = url.clone();
        let token = args.token.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut sent = 0u64;
            while Instant::now() < end && sent < per_task_cap {
                let mut request = match &body {
                    Some(body) => client.post(&url).json(body),
                    None => client.get(&url),
                };
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let started = Instant::now();
                let outcome = request.send().await;
                let measuring = started >= warmup_end;
                match outcome {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        if measuring {
                            sent += 1;
                            tally.record(status, started);
                        }
                    }
                    Err(_) if measuring => {
                        sent += 1;
                        tally.errors += 1;
                    }
                    Err(_) => {}
                }
            }
            tally
        }));
    }

    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await?);
    }
    let seconds = args.duration_s as f64;
    let summary = total.summary(seconds);
    println!("url            {url}");
    println!("connections    {}", args.connections);
    println!(
        "duration       {seconds:.0} s (after {} s warm-up)",
        args.warmup_s
    );
    println!(
        "responses      {} ({:.0}/s)",
        summary.responses, summary.per_s
    );
    println!("errors         {}", total.errors);
    println!("statuses       {:?}", total.statuses);
    println!("{}", summary.latency_line());
    println!(
        "summary {}",
        serde_json::json!({
            "responses": summary.responses, "per_s": summary.per_s, "errors": total.errors,
            "p50_ms": summary.p50_ms, "p90_ms": summary.p90_ms, "p99_ms": summary.p99_ms,
            "max_ms": summary.max_ms,
            "statuses": total.statuses.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        })
    );
    Ok(())
}
