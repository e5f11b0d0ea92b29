//! `licita-load`: a small closed-loop HTTP load generator for licita.
//!
//! N connections each send requests back to back for a fixed time (bounded in count and
//! duration, loopback only by intent); at the end it prints requests per second and the
//! latency distribution. Scenarios live in `load-tests/README.md`.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

/// The most connections and the longest run accepted: a load test must stop by itself.
const MAX_CONNECTIONS: usize = 1024;
const MAX_DURATION_S: u64 = 600;

#[derive(Debug, Parser)]
#[command(name = "licita-load", about = "Closed-loop HTTP load generator")]
struct Args {
    /// The URL to hit (e.g. http://127.0.0.1:8080/healthz).
    #[arg(long)]
    url: String,
    /// Concurrent connections, each sending one request at a time.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    duration_s: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 1)]
    warmup_s: u64,
    /// Stop after this many requests in total (0: no limit).
    #[arg(long, default_value_t = 0)]
    max_requests: u64,
    /// A bearer token to send.
    #[arg(long)]
    token: Option<String>,
    /// A JSON body: the request becomes a POST.
    #[arg(long)]
    json: Option<String>,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        (1..=MAX_CONNECTIONS).contains(&args.connections),
        "--connections must be 1..={MAX_CONNECTIONS}"
    );
    anyhow::ensure!(
        (1..=MAX_DURATION_S).contains(&args.duration_s),
        "--duration-s must be 1..={MAX_DURATION_S}"
    );
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
        let url = args.url.clone();
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
                            *tally.statuses.entry(status).or_default() += 1;
                            let us =
                                u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                            tally.latencies_us.push(us);
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
        let tally = task.await?;
        total.latencies_us.extend(tally.latencies_us);
        total.errors += tally.errors;
        for (status, n) in tally.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
    }
    let measured_s = args.duration_s as f64;
    report(&args, &mut total, measured_s);
    Ok(())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn report(args: &Args, total: &mut Tally, seconds: f64) {
    total.latencies_us.sort_unstable();
    let n = total.latencies_us.len();
    println!("url            {}", args.url);
    println!("connections    {}", args.connections);
    println!(
        "duration       {seconds:.0} s (after {} s warm-up)",
        args.warmup_s
    );
    println!("responses      {n} ({:.0}/s)", n as f64 / seconds);
    println!("errors         {}", total.errors);
    println!("statuses       {:?}", total.statuses);
    println!(
        "latency ms     p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&total.latencies_us, 50.0),
        percentile(&total.latencies_us, 90.0),
        percentile(&total.latencies_us, 99.0),
        percentile(&total.latencies_us, 100.0),
    );
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 50.0), 51.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }
}
