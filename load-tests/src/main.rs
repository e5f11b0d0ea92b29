#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
// A load generator indexes tables it builds itself; the service denies indexing that may
// panic, this tool does not.
#![allow(clippy::indexing_slicing)]
//! `licita-load`: a small closed-loop load generator for licita.
//!
//! N connections each send requests back to back for a fixed time (bounded in count and
//! duration, loopback only); at the end it prints requests per second and the latency
//! distribution. Scenarios:
//!
//! - `licita-load --url URL …`: one URL, GET (or POST of a fixed JSON body);
//! - `licita-load auction …`: sets up live reverse auctions through the HTTP API, then
//!   drives valid bids into them (JWT, `Idempotency-Key`);
//! - `licita-load script …`: the Redis engine's Lua script alone, on Redis, with the
//!   same valid bids (the ceiling the Redis engine could reach).
//!
//! Results and how to run them: `load-tests/README.md`, `load-tests/auction-bench.sh`.

mod auction;
mod http;
mod resp;
mod script;
mod stats;
mod wire;

use clap::{Parser, Subcommand};

/// The most connections and the longest run accepted: a load test must stop by itself.
pub const MAX_CONNECTIONS: usize = 1024;
pub const MAX_DURATION_S: u64 = 600;

#[derive(Debug, Parser)]
#[command(
    name = "licita-load",
    about = "Closed-loop load generator for licita",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    scenario: Option<Scenario>,
    #[command(flatten)]
    http: http::Args,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Live reverse auctions set up through the API, then bids through HTTP.
    Auction(auction::Args),
    /// The Redis engine's Lua script alone, called as the service calls it.
    Script(script::Args),
}

/// Checks the bounds every scenario shares.
pub fn bounded(connections: usize, duration_s: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=MAX_CONNECTIONS).contains(&connections),
        "--connections must be 1..={MAX_CONNECTIONS}"
    );
    anyhow::ensure!(
        (1..=MAX_DURATION_S).contains(&duration_s),
        "--duration-s must be 1..={MAX_DURATION_S}"
    );
    Ok(())
}

/// Refuses a target that is not on this machine: a load test aims at loopback only.
pub fn require_loopback(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(loopback, "{url}: a load test aims at loopback only");
    Ok(())
}

/// One thread: the generator shares the machine with what it measures, and a second
/// thread would only add context switches (it needs a fraction of one core).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.scenario {
        None => http::run(cli.http).await,
        Some(Scenario::Auction(args)) => auction::run(args).await,
        Some(Scenario::Script(args)) => script::run(args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::require_loopback;

    #[test]
    fn only_loopback_targets_are_accepted() {
        for ok in [
            "http://127.0.0.1:8080/healthz",
            "http://localhost:1",
            "http://[::1]:80",
            "redis://127.0.0.2:6379",
        ] {
            assert!(require_loopback(ok).is_ok(), "{ok}");
        }
        for refused in ["http://10.0.0.1/", "http://example.com/", "http://0.0.0.0/"] {
            assert!(require_loopback(refused).is_err(), "{refused}");
        }
    }
}
